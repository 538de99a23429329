/**
 * The anchors explorer: a tenant's anchors as the indexer knows them (its GraphQL API), each with the
 * indexer's verdict and its entries; the tenant's completeness (indexed anchors against the registry's
 * anchorCount, from the REST route) and its key history. The verdicts are the indexer's word: each anchor
 * has a link that verifies its chain in this browser instead.
 */
import { toOnchainId } from "../../src/anchor/ids.ts";
import { appendCells, byId, type Defaults, element, readJson, setField, setStatus } from "./dom.ts";

const PAGE_SIZE = 25;

const form = byId<HTMLFormElement>("anchors-form");
const status = byId<HTMLParagraphElement>("anchors-status");
const body = byId<HTMLElement>("anchors-body");
const completeness = byId<HTMLParagraphElement>("completeness");
const rows = byId<HTMLTableSectionElement>("anchors-rows");
const more = byId<HTMLButtonElement>("anchors-more");
const keys = byId<HTMLTableSectionElement>("keys-rows");

interface AnchorRow {
  readonly id: string;
  readonly chainId: string;
  readonly chainUuid: string | null;
  readonly tenantName: string | null;
  readonly status: "pending" | "valid" | "invalid" | "unresolved";
  readonly failedCheck: string | null;
  readonly entryCount: number | null;
  readonly sequence: number;
  readonly timestamp: string;
  readonly blockNumber: string;
  readonly transactionHash: string;
}
interface EntryRow {
  readonly sequence: number;
  readonly stageId: string;
  readonly modelId: string;
  readonly deviceClass: string;
  readonly createdAt: string;
  readonly durationMs: string;
  readonly packetCid: string;
}
interface KeyRow {
  readonly keyId: string;
  readonly validFrom: string;
  readonly validUntil: string;
  readonly revokedAt: string | null;
  readonly registeredBlock: string;
}
interface Page<T> {
  readonly items: T[];
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
}

let api = "";
let tenant = "";
let endCursor: string | null = null;

const VERDICT = {
  valid: "✓ valid",
  invalid: "✗ invalid",
  unresolved: "? unresolved",
  pending: "⋯ not verified yet",
} as const;

const seconds = (value: string) => new Date(Number(value) * 1000).toISOString().replace(".000Z", "Z");
/** Key bounds: 0 is "from registration", a time past year 9999 is "no end" (the registry's open bound). */
const bound = (value: string, open: string) =>
  Number(value) === 0 || Number(value) >= 253_402_300_800 ? open : seconds(value);

const say = (kind: "ok" | "error" | "running", text: string) => setStatus(status, kind, text);

/** One GraphQL query to the indexer; its errors become one sentence. */
async function graphql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(`${api}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const answer =
    (await readJson<{ data?: T; errors?: { message: string }[] }>(response, "The audit API's GraphQL answer")) ?? {};
  if (answer.data === undefined || answer.errors !== undefined)
    throw new Error(
      `The audit API's GraphQL answered ${response.status}: ${answer.errors?.map((e) => e.message).join("; ") ?? "no data"}.`,
    );
  return answer.data;
}

const ANCHORS = `query ($tenantId: String!, $after: String) {
  anchors(where: { tenantId: $tenantId }, orderBy: "sequence", orderDirection: "desc", limit: ${PAGE_SIZE}, after: $after) {
    items { id chainId chainUuid tenantName status failedCheck entryCount sequence timestamp blockNumber transactionHash }
    pageInfo { hasNextPage endCursor }
  }
}`;
const KEYS = `query ($tenantId: String!) {
  signingKeys(where: { tenantId: $tenantId }, orderBy: "registeredBlock", limit: 100) {
    items { keyId validFrom validUntil revokedAt registeredBlock }
    pageInfo { hasNextPage endCursor }
  }
}`;
const ENTRIES = `query ($anchorId: String!) {
  entrys(where: { anchorId: $anchorId }, orderBy: "sequence", limit: 200) {
    items { sequence stageId modelId deviceClass createdAt durationMs packetCid }
    pageInfo { hasNextPage endCursor }
  }
}`;

async function toggleEntries(anchor: AnchorRow, button: HTMLButtonElement, row: HTMLTableRowElement) {
  const open = row.nextElementSibling?.classList.contains("entries-row") === true;
  if (open) {
    row.nextElementSibling?.remove();
    button.setAttribute("aria-expanded", "false");
    return;
  }
  button.setAttribute("aria-expanded", "true");
  const holder = element("tr", undefined, "entries-row");
  const td = element("td");
  td.colSpan = 7;
  td.append(element("p", "Loading the entries…"));
  holder.append(td);
  row.after(holder);
  try {
    const { entrys } = await graphql<{ entrys: Page<EntryRow> }>(ENTRIES, { anchorId: anchor.id });
    const list = element("ol", undefined, "entries");
    list.start = 0;
    for (const entry of entrys.items)
      list.append(
        element(
          "li",
          `${entry.stageId}: ${entry.modelId} on ${entry.deviceClass}, ${entry.durationMs} ms, made ${new Date(Number(entry.createdAt)).toISOString()}; packet ${entry.packetCid}`,
        ),
      );
    td.replaceChildren(
      list,
      ...(entrys.pageInfo.hasNextPage ? [element("p", "The first 200 entries are shown.", "help")] : []),
    );
  } catch (error) {
    td.replaceChildren(element("p", `! ${error instanceof Error ? error.message : String(error)}`, "field-error"));
  }
}

function anchorRow(anchor: AnchorRow): HTMLTableRowElement {
  const tr = element("tr");
  tr.dataset.chain = anchor.chainUuid ?? anchor.chainId;
  tr.dataset.status = anchor.status;
  const verdict = element("span", VERDICT[anchor.status], `job-status anchor-${anchor.status}`);
  const verdictCell = element("span");
  verdictCell.append(verdict);
  if (anchor.failedCheck !== null) verdictCell.append(element("code", ` (${anchor.failedCheck})`, "check-id"));
  const entries = element("button", `${anchor.entryCount ?? "?"} entries`, "small");
  entries.type = "button";
  entries.setAttribute("aria-expanded", "false");
  entries.addEventListener("click", () => void toggleEntries(anchor, entries, tr));
  const actions = element("span");
  if (anchor.tenantName !== null && anchor.chainUuid !== null) {
    const verify = element("a", "Verify here");
    verify.href = `#/verify?${new URLSearchParams({ tenant: anchor.tenantName, chain: anchor.chainUuid })}`;
    verify.setAttribute("aria-label", `Verify here: chain ${anchor.chainUuid}`);
    actions.append(verify);
  } else actions.append("names not resolved");
  appendCells(tr, [
    String(anchor.sequence),
    element("code", anchor.chainUuid ?? anchor.chainId),
    verdictCell,
    entries,
    seconds(anchor.timestamp),
    element("code", `${anchor.transactionHash.slice(0, 10)}… (block ${anchor.blockNumber})`),
    actions,
  ]);
  return tr;
}

function keyState(key: KeyRow, now: number): string {
  if (key.revokedAt !== null) return `✗ revoked from ${seconds(key.revokedAt)}`;
  if (Number(key.validFrom) > now) return "⋯ not valid yet";
  if (Number(key.validUntil) <= now) return "✗ expired";
  return "✓ valid";
}

function keyRow(key: KeyRow): HTMLTableRowElement {
  const tr = element("tr");
  tr.dataset.key = key.keyId;
  appendCells(tr, [
    element("code", `${key.keyId.slice(0, 18)}…`),
    key.registeredBlock,
    bound(key.validFrom, "its registration"),
    bound(key.validUntil, "no end"),
    keyState(key, Date.now() / 1000),
  ]);
  return tr;
}

async function loadMore() {
  more.disabled = true;
  try {
    const { anchors } = await graphql<{ anchors: Page<AnchorRow> }>(ANCHORS, {
      tenantId: toOnchainId(tenant),
      after: endCursor,
    });
    rows.append(...anchors.items.map(anchorRow));
    endCursor = anchors.pageInfo.endCursor;
    more.hidden = !anchors.pageInfo.hasNextPage;
  } catch (error) {
    say("error", `! ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    more.disabled = false;
  }
}

interface Completeness {
  readonly indexed: { anchors: number; valid: number; invalid: number; unresolved: number; pending: number };
  readonly onchain: { blockNumber: string; anchorCount: string };
  readonly missing: number;
  readonly complete: boolean;
}

async function load() {
  body.hidden = true;
  rows.replaceChildren();
  keys.replaceChildren();
  endCursor = null;
  if (!/^https?:\/\//.test(api)) {
    say("error", 'Give the audit API\'s http:// or https:// URL under "Where to look".');
    return;
  }
  say("running", `Reading ${tenant}'s anchors from the audit API…`);
  try {
    const response = await fetch(`${api}/api/tenants/${encodeURIComponent(tenant)}/completeness`);
    const answer = await readJson<Partial<Completeness> & { error?: string }>(
      response,
      "The audit API's completeness answer",
    );
    if (!response.ok || answer?.indexed === undefined || answer.onchain === undefined)
      throw new Error(answer?.error ?? `The audit API answered ${response.status} without a completeness report.`);
    const { indexed, onchain } = answer;
    completeness.className = `verdict verdict-${answer.complete ? "valid" : "incomplete"}`;
    completeness.dataset.complete = String(answer.complete);
    completeness.textContent = `${answer.complete ? "✓ Complete" : `? Incomplete: ${answer.missing} missing`}: ${indexed.anchors} anchors indexed, ${onchain.anchorCount} on the registry at block ${onchain.blockNumber} (${indexed.valid} valid, ${indexed.invalid} invalid, ${indexed.unresolved} unresolved, ${indexed.pending} not verified yet).`;
    const [{ signingKeys }] = await Promise.all([
      graphql<{ signingKeys: Page<KeyRow> }>(KEYS, { tenantId: toOnchainId(tenant) }),
      loadMore(),
    ]);
    keys.replaceChildren(...signingKeys.items.map(keyRow));
    body.hidden = false;
    say("ok", `Tenant ${tenant}: the verdicts are the indexer's; "Verify here" checks a chain in this browser.`);
  } catch (error) {
    say("error", `! ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function startAnchorsPage(defaults: Defaults): void {
  setField(form, "auditApi", defaults.auditApiUrl);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const name = String(data.get("tenant") ?? "").trim();
    if (name === "") {
      say("error", "Tenant: give the tenant's id, for example studio-aurora.");
      (form.elements.namedItem("tenant") as HTMLInputElement).focus();
      return;
    }
    const params = new URLSearchParams({ tenant: name, api: String(data.get("auditApi") ?? "").trim() });
    // The same hash loads nothing new: load directly then.
    if (location.hash === `#/anchors?${params}`) showAnchorsPage(params);
    else location.hash = `#/anchors?${params}`;
  });
  more.addEventListener("click", () => void loadMore());
}

/** Shows the tenant the link names (`#/anchors?tenant=…[&api=…]`). */
export function showAnchorsPage(query: URLSearchParams | undefined): void {
  if (query === undefined) return;
  setField(form, "tenant", query.get("tenant") ?? undefined);
  setField(form, "auditApi", query.get("api") || undefined);
  tenant = query.get("tenant")?.trim() ?? "";
  api = (form.elements.namedItem("auditApi") as HTMLInputElement).value.trim().replace(/\/+$/, "");
  if (tenant !== "") void load();
}
