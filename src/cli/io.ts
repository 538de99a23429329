import { readFile, writeFile } from "node:fs/promises";
import { BaseError } from "../errors.ts";

/** A file the user named cannot be read or written. */
export class FileAccessError extends BaseError {
  override name = "FileAccessError";
}

export async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FileAccessError(`Cannot read ${what} ${path}: ${code === "ENOENT" ? "no such file" : code}.`, {
      cause: error,
    });
  }
}

/** Writes a new file; never replaces one unless `overwrite` (evidence is not silently clobbered). */
export async function writeOutput(path: string, data: Uint8Array | string, overwrite: boolean): Promise<void> {
  try {
    await writeFile(path, data, { flag: overwrite ? "w" : "wx" });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "EEXIST" ? "it already exists (pass --force to replace it)" : code;
    throw new FileAccessError(`Cannot write ${path}: ${reason}.`, { cause: error });
  }
}
