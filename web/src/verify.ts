/**
 * The verify page: reads what to verify from the form (or a link that carries it), runs the project's
 * verifier (src/verify) here in the browser against the RPC endpoint and gateways given, and shows the
 * verdict with every check. The server that served the page only supplies default endpoints (config.json);
 * it is never asked for a verdict.
 */
import { createPublicClient, http, type PublicClient } from "viem";
import { type AnchorVerificationReport, type VerifyProgress, verifyAnchor } from "../../src/verify/verifyAnchor.ts";
import { byId, type Defaults, element, setField } from "./dom.ts";
import { checkItem, showVerdict } from "./report.ts";
import { readVerifyForm, type VerifyRequest, verifyLink } from "./request.ts";

const form = byId<HTMLFormElement>("verify-form");
const button = byId<HTMLButtonElement>("verify-button");
const result = byId<HTMLElement>("result");
const verdictLine = byId<HTMLParagraphElement>("verdict");
const checksList = byId<HTMLOListElement>("checks");
const anchorFacts = byId<HTMLDListElement>("anchor");
const share = byId<HTMLAnchorElement>("share");

/**
 * Marks the fields the request names as wrong, with the sentence next to each (read out with the field:
 * `aria-describedby`, before its help), and clears the others.
 */
function showFieldErrors(errors: ReadonlyMap<string, string>) {
  for (const node of form.querySelectorAll(".field-error")) node.remove();
  for (const input of form.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>("input, textarea")) {
    input.dataset.help ??= input.getAttribute("aria-describedby") ?? "";
    const message = errors.get(input.name);
    if (message === undefined) {
      input.removeAttribute("aria-invalid");
      if (input.dataset.help === "") input.removeAttribute("aria-describedby");
      else input.setAttribute("aria-describedby", input.dataset.help);
      continue;
    }
    const note = element("p", message, "field-error");
    note.id = `${input.name}-error`;
    input.after(note);
    // "true" spelled out: an empty aria-invalid reads as false.
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", `${note.id} ${input.dataset.help}`.trim());
  }
  const [first] = errors.keys();
  if (first !== undefined) {
    const endpoints = byId<HTMLDetailsElement>("endpoints");
    if (["rpc", "gateways", "registry"].includes(first)) endpoints.open = true;
    (form.elements.namedItem(first) as HTMLElement | null)?.focus();
  }
}

function showReport(report: AnchorVerificationReport) {
  showVerdict(report, verdictLine, checksList);
  anchorFacts.replaceChildren();
  if (report.anchor !== undefined) {
    const facts: [string, string][] = [
      ["Anchored in block", report.anchor.blockNumber.toString()],
      ["Transaction", report.anchor.transactionHash],
      ["Anchored at", new Date(Number(report.anchor.timestamp) * 1000).toISOString()],
      ["Chainscript", report.anchor.ipfsCid],
    ];
    for (const [term, value] of facts) anchorFacts.append(element("dt", term), element("dd", value));
  }
}

/** Each check as it is settled, and the packets as they come: the report replaces it all at the end. */
function showProgress(progress: VerifyProgress) {
  if (progress.kind === "check") checksList.append(checkItem(progress.check));
  else
    verdictLine.textContent = `Verifying: fetched ${progress.done.toLocaleString("en")} of ${progress.total.toLocaleString("en")} packets; their signatures and the hash chain are checked next…`;
}

async function run(request: VerifyRequest) {
  result.hidden = false;
  result.setAttribute("aria-busy", "true");
  button.disabled = true;
  verdictLine.className = "verdict verdict-running";
  delete verdictLine.dataset.verdict;
  verdictLine.textContent = "Verifying: reading the registry, then fetching and checking the chainscript and packets…";
  anchorFacts.replaceChildren();
  checksList.replaceChildren();
  share.href = verifyLink(request);
  history.replaceState(null, "", share.href);
  try {
    const client = createPublicClient({
      transport: http(request.rpcUrl, { retryCount: 1, timeout: 15_000 }),
    }) as PublicClient;
    showReport(
      await verifyAnchor([client], {
        tenantId: request.tenant,
        chainId: request.chain,
        registry: request.registry,
        gateways: request.gateways,
        fetchTimeoutMs: 15_000,
        onProgress: showProgress,
      }),
    );
  } catch (error) {
    verdictLine.className = "verdict verdict-error";
    verdictLine.dataset.verdict = "error";
    verdictLine.textContent = `! Could not verify: ${error instanceof Error ? error.message : String(error)} Check the RPC URL and the gateways under "Where to read from", then verify again.`;
  } finally {
    result.setAttribute("aria-busy", "false");
    button.disabled = false;
  }
}

/** Fills the form with the server's default endpoints and makes it verify on submit. */
export function startVerifyPage(defaults: Defaults): void {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const read = readVerifyForm(new FormData(form));
    showFieldErrors(read.errors);
    if (read.request !== undefined) void run(read.request);
  });
  setField(form, "rpc", defaults.rpcUrl);
  setField(form, "gateways", defaults.gateways?.join("\n"));
  setField(form, "registry", defaults.registry);
}

/** Fills the form from a link's parameters; verifies at once when the link names a tenant and a chain. */
export function verifyFromLink(linked: URLSearchParams): void {
  for (const name of ["tenant", "chain", "rpc", "registry"]) setField(form, name, linked.get(name) ?? undefined);
  if (linked.getAll("gateway").length > 0) setField(form, "gateways", linked.getAll("gateway").join("\n"));
  if (linked.has("tenant") && linked.has("chain")) form.requestSubmit();
}
