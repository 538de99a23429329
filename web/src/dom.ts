/** The few DOM helpers the pages share. */
import { readBody } from "../../src/storage/body.ts";

/** The endpoints the serving side suggests (src/web/routes.ts, config.json). */
export interface Defaults {
  readonly rpcUrl?: string;
  readonly numbersRpcUrl?: string;
  readonly gateways?: readonly string[];
  readonly registry?: string;
  readonly auditApiUrl?: string;
  /** The receipts service's base URL (ending in /); absent: the origin that served the page. */
  readonly receiptsApiUrl?: string;
}

export const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

/** Sets the form's field `name` to `value`, when there is a value. */
export function setField(form: HTMLFormElement, name: string, value: string | undefined) {
  const input = form.elements.namedItem(name) as HTMLInputElement | HTMLTextAreaElement | null;
  if (input !== null && value !== undefined) input.value = value;
}

/** Appends one cell to the row for each of `cells`, in order. */
export function appendCells(tr: HTMLTableRowElement, cells: readonly (string | Node)[]): void {
  for (const cell of cells) {
    const td = element("td");
    td.append(cell);
    tr.append(td);
  }
}

/** A status line's message: `running` while work goes on, then `ok` or `error` (styled, and said in words). */
export function setStatus(line: HTMLElement, kind: "ok" | "error" | "running", text: string): void {
  line.className = `status status-${kind}`;
  line.textContent = text;
}

/** Largest JSON answer a page reads from an API (the biggest, 25 anchors or 200 entries, is far smaller). */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;

/**
 * A response's JSON, read without ever holding more than {@link MAX_JSON_BYTES} (src/storage/body.ts), or
 * `undefined` when the body is not JSON: whatever a server sends is bounded before it is parsed.
 *
 * @throws {ContentTooLargeError} naming `what` when the body is larger.
 */
export async function readJson<T>(response: Response, what: string): Promise<T | undefined> {
  const bytes = await readBody(response, { limit: MAX_JSON_BYTES, what, source: what });
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch {
    return undefined;
  }
}
