import { ProviderConfigError } from "../storage/providers/env.ts";
import { type CaptureApiOptions, DEFAULT_CAPTURE_API_URL } from "./captureApi.ts";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Capture API options from `POP_NUMBERS_API_TOKEN` (required: the Capture
 * token) and `POP_NUMBERS_API_URL` (default https://api.numbersprotocol.io/api/v3).
 * Errors name the variable, never its value.
 *
 * @example
 * const api = createCaptureApi(captureApiFromEnv(process.env));
 */
export function captureApiFromEnv(env: Env): CaptureApiOptions {
  const token = env.POP_NUMBERS_API_TOKEN?.trim();
  if (token === undefined || token === "") {
    throw new ProviderConfigError(
      "POP_NUMBERS_API_TOKEN",
      "is not set",
      "Set it to the Capture token of the Numbers account that pays for the commits (https://docs.numbersprotocol.io).",
    );
  }
  const raw = env.POP_NUMBERS_API_URL?.trim();
  if (raw === undefined || raw === "") return { token, baseUrl: DEFAULT_CAPTURE_API_URL };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ProviderConfigError("POP_NUMBERS_API_URL", "is not a URL", "Give an absolute http:// or https:// URL.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ProviderConfigError("POP_NUMBERS_API_URL", "is not an http:// or https:// URL", "Give an absolute URL.");
  }
  if (url.username !== "" || url.password !== "") {
    throw new ProviderConfigError(
      "POP_NUMBERS_API_URL",
      "contains credentials",
      "The Capture API authenticates with POP_NUMBERS_API_TOKEN only; remove user and password from the URL.",
    );
  }
  return { token, baseUrl: raw.replace(/\/+$/, "") };
}
