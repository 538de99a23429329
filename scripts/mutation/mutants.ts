/**
 * The mutants of one TypeScript file: every comparison and boolean operator
 * (<, <=, >, >=, ===, !==, &&, ||, !) flipped, negated or removed, one at a
 * time, found with the TypeScript parser so that strings, comments and types
 * are never touched.
 */
import ts from "typescript";

export interface Mutant {
  readonly file: string;
  /** 1-based line of the operator. */
  readonly line: number;
  /** That line of the original, trimmed: what the equivalence list matches. */
  readonly code: string;
  /** What was done, e.g. "< → <=", "&& → left only", "! removed". */
  readonly change: string;
  /** The whole file with this one mutation applied. */
  readonly text: string;
}

/** Each relational operator's boundary flip and negation; each equality's negation. */
const SWAPS = new Map<ts.SyntaxKind, readonly string[]>([
  [ts.SyntaxKind.LessThanToken, ["<=", ">="]],
  [ts.SyntaxKind.LessThanEqualsToken, ["<", ">"]],
  [ts.SyntaxKind.GreaterThanToken, [">=", "<="]],
  [ts.SyntaxKind.GreaterThanEqualsToken, [">", "<"]],
  [ts.SyntaxKind.EqualsEqualsEqualsToken, ["!=="]],
  [ts.SyntaxKind.ExclamationEqualsEqualsToken, ["==="]],
  [ts.SyntaxKind.AmpersandAmpersandToken, ["||"]],
  [ts.SyntaxKind.BarBarToken, ["&&"]],
]);

const LOGICAL = new Set([ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken]);

/**
 * Every mutant of `text` (the contents of `file`), in source order.
 *
 * @example
 * const mutants = mutantsOf("src/verify/keys.ts", await readFile("src/verify/keys.ts", "utf8"));
 */
export function mutantsOf(file: string, text: string): Mutant[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lines = text.split("\n");
  const mutants: Mutant[] = [];
  const add = (at: number, start: number, end: number, replacement: string, change: string) => {
    const line = source.getLineAndCharacterOfPosition(at).line + 1;
    mutants.push({
      file,
      line,
      code: (lines[line - 1] ?? "").trim(),
      change,
      text: text.slice(0, start) + replacement + text.slice(end),
    });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node)) {
      const operator = node.operatorToken;
      const at = operator.getStart(source);
      for (const to of SWAPS.get(operator.kind) ?? []) {
        add(at, at, operator.end, to, `${operator.getText(source)} → ${to}`);
      }
      if (LOGICAL.has(operator.kind)) {
        const start = node.getStart(source);
        add(at, start, node.end, `(${node.left.getText(source)})`, `${operator.getText(source)} → left only`);
        add(at, start, node.end, `(${node.right.getText(source)})`, `${operator.getText(source)} → right only`);
      }
    }
    if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
      const at = node.getStart(source);
      add(at, at, node.operand.getStart(source), "", "! removed");
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return mutants;
}
