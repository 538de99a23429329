import { CID } from "multiformats/cid";
import { BaseError } from "../../errors.ts";
import { carRoots } from "../car.ts";

/** The CAR does not declare the roots it is uploaded for; no provider can confirm them. */
export class CarRootsError extends BaseError {
  override name = "CarRootsError";
  readonly missing: readonly string[];

  constructor(missing: readonly string[], declared: readonly string[], cause?: unknown) {
    super(
      missing.length === 0
        ? "No roots were given for the CAR, so nothing could be confirmed."
        : `The CAR does not declare ${missing.length === 1 ? "root" : "roots"} ${missing.join(", ")}.`,
      cause === undefined ? { details: `Its header lists: ${declared.join(", ") || "(none)"}.` } : { cause },
    );
    this.missing = missing;
  }
}

const CANONICAL_V1 = /^b[a-z2-7]{58,}$/;

/**
 * One spelling per CID (its default string form), for set and map lookups
 * over thousands of roots; text that does not parse is kept as it is.
 */
export function cidKey(text: string): string {
  // Already the default spelling of a CIDv1 (base32, lowercase): parsing would only print it again.
  if (CANONICAL_V1.test(text)) return text;
  try {
    return CID.parse(text).toString();
  } catch {
    return text;
  }
}

/**
 * Whether two CID strings name the same CID. Providers may print a CID in
 * another multibase than ours, so strings are compared as parsed CIDs.
 */
export function sameCid(a: string, b: string): boolean {
  try {
    return CID.parse(a).equals(CID.parse(b));
  } catch {
    return false;
  }
}

/**
 * Checks that every expected root is declared in the CAR's header. Providers
 * pin the header's roots, so a root missing there would later look like the
 * provider's fault.
 *
 * @throws {CarRootsError} when the header is unreadable or lacks an expected root.
 */
export async function assertCarRoots(car: Uint8Array, roots: readonly string[]): Promise<void> {
  let declared: string[];
  try {
    declared = carRoots(car);
  } catch (error) {
    throw new CarRootsError([...roots], [], error);
  }
  // Exact spellings first (thousands of roots in a batch); other spellings are normalised only on a miss.
  const exact = new Set(declared);
  let normalised: Set<string> | undefined;
  const missing = roots.filter((root) => {
    if (exact.has(root)) return false;
    normalised ??= new Set(declared.map(cidKey));
    return !normalised.has(cidKey(root));
  });
  if (missing.length > 0 || roots.length === 0) throw new CarRootsError(missing, declared);
}
