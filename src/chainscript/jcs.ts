/**
 * RFC 8785 JSON Canonicalization Scheme for the values chainscripts hold:
 * objects with keys sorted by UTF-16 code units, no whitespace, ECMAScript
 * number and string serialization (which `JSON.stringify` implements).
 *
 * @example
 * jcs({ b: 1, a: [null, "x"] }) // '{"a":[null,"x"],"b":1}'
 */
export function jcs(value: unknown): string {
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) throw new TypeError("JCS: a string contains a lone UTF-16 surrogate");
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`JCS: ${value} is not a JSON number`);
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      if (value === null) return "null";
      if (Array.isArray(value)) return `[${value.map(jcs).join(",")}]`;
      return `{${Object.keys(value)
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .sort()
        .map((key) => `${jcs(key)}:${jcs((value as Record<string, unknown>)[key])}`)
        .join(",")}}`;
    default:
      throw new TypeError(`JCS: a ${typeof value} is not a JSON value`);
  }
}
