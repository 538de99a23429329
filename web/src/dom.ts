/** The few DOM helpers the pages share. */

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
