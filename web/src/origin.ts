/**
 * "Where did this file come from?": the file's SHA-256 computed here (WebCrypto; the file is never sent),
 * looked up in the audit API's asset route (GET /api/assets/:sha256), and every anchored chain that
 * produced it listed with its stage and a link that verifies that chain in this browser.
 */
import { toHex } from "../../src/bytes.ts";
import { byId, type Defaults, element, readJson, setField } from "./dom.ts";
import { fileSha256 } from "./hashFile.ts";

/** One place the audit API answers for the digest (indexer/src/api/views.ts provenanceView). */
interface Provenance {
  readonly packet: {
    readonly cid: string;
    readonly modelId: string;
    readonly deviceClass: string;
    readonly time: string;
  };
  readonly stage: { readonly id: string; readonly sequence: number };
  /** The names are null where the indexer knows only the on-chain ids. */
  readonly chain: {
    readonly tenant: { readonly name: string | null; readonly id: string };
    readonly id: string;
    readonly uuid: string | null;
  };
  readonly anchor: { readonly time: string; readonly transactionHash: string; readonly blockNumber: string };
  readonly verification: { readonly status: string; readonly failedCheck: string | null };
}

const form = byId<HTMLFormElement>("origin-form");
const input = byId<HTMLInputElement>("file");
const dropZone = byId<HTMLElement>("drop-zone");
const result = byId<HTMLElement>("origin-result");
const digestLine = byId<HTMLParagraphElement>("digest");
const status = byId<HTMLParagraphElement>("origin-status");
const list = byId<HTMLOListElement>("origins");

function say(kind: "found" | "none" | "error" | "running", text: string) {
  status.className = `verdict verdict-${kind === "found" ? "valid" : kind === "none" ? "incomplete" : kind}`;
  status.dataset.outcome = kind;
  status.textContent = text;
}

function originItem(place: Provenance): HTMLLIElement {
  const item = element("li", undefined, "origin");
  const tenant = place.chain.tenant.name ?? place.chain.tenant.id;
  item.append(
    element("strong", `Stage ${place.stage.id} (entry ${place.stage.sequence})`),
    element("span", ` of chain ${place.chain.uuid ?? place.chain.id}, tenant ${tenant}`),
    element(
      "p",
      `Made ${place.packet.time} with ${place.packet.modelId} on ${place.packet.deviceClass}; anchored ${place.anchor.time} in block ${place.anchor.blockNumber}. The indexer's verdict: ${place.verification.status}${place.verification.failedCheck === null ? "" : ` (${place.verification.failedCheck})`}.`,
      "help",
    ),
  );
  // Verifying starts from the string ids, whose hashes the registry holds.
  if (place.chain.tenant.name !== null && place.chain.uuid !== null) {
    const verify = element("a", "Verify this chain here", "button-link");
    verify.href = `#/verify?${new URLSearchParams({ tenant: place.chain.tenant.name, chain: place.chain.uuid })}`;
    item.append(verify);
  }
  return item;
}

async function lookUp(file: File) {
  const api = (form.elements.namedItem("auditApi") as HTMLInputElement).value.trim().replace(/\/+$/, "");
  result.hidden = false;
  result.setAttribute("aria-busy", "true");
  list.replaceChildren();
  say("running", `Hashing ${file.name} here…`);
  try {
    const digest = `0x${toHex(await fileSha256(file, (done) => say("running", `Hashing ${file.name} here: ${Math.floor((100 * done) / file.size)} %…`)))}`;
    digestLine.textContent = `${file.name}: ${file.size} bytes, SHA-256 ${digest}`;
    if (!/^https?:\/\//.test(api)) {
      say("error", 'Give the audit API\'s http:// or https:// URL under "Where to look it up".');
      return;
    }
    say("running", "Looking the digest up in the audit API…");
    const response = await fetch(`${api}/api/assets/${digest}?limit=50`);
    const body =
      (await readJson<{ provenance?: Provenance[]; truncated?: boolean; error?: string }>(
        response,
        "The audit API's answer",
      )) ?? {};
    if (response.status === 404) {
      say("none", "No anchored chain known to this audit API produced this file.");
      return;
    }
    if (!response.ok || body.provenance === undefined)
      throw new Error(body.error ?? `The audit API answered ${response.status}.`);
    const count = body.provenance.length;
    say(
      "found",
      `${count === 1 ? "One place" : `${count} places`} produced this file${body.truncated ? " (the first 50 shown)" : ""}. Verify a chain to check it yourself: the list is the audit API's word until then.`,
    );
    list.replaceChildren(...body.provenance.map(originItem));
  } catch (error) {
    say("error", `! Could not look the file up: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    result.setAttribute("aria-busy", "false");
  }
}

/** Fills the audit API's URL from the defaults, and looks up each file chosen or dropped. */
export function startOriginPage(defaults: Defaults): void {
  setField(form, "auditApi", defaults.auditApiUrl);
  input.addEventListener("change", () => {
    const file = input.files?.[0];
    if (file !== undefined) void lookUp(file);
  });
  dropZone.addEventListener("dragover", (event) => {
    event.preventDefault();
    dropZone.classList.add("dragging");
  });
  dropZone.addEventListener("dragleave", () => dropZone.classList.remove("dragging"));
  dropZone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropZone.classList.remove("dragging");
    const file = event.dataTransfer?.files[0];
    if (file !== undefined) void lookUp(file);
  });
  form.addEventListener("submit", (event) => event.preventDefault());
}
