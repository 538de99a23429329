/**
 * Facts about an asset file computed from its bytes, never taken from the
 * pipeline's word: SHA-256, size and a media type from its extension.
 * Node-only (reads files); the rest of evidence/ runs in browsers too.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { extname } from "node:path";
import { BaseError } from "../errors.ts";

const MEDIA_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".gif": "image/gif",
  ".svg": "image/svg+xml",
  ".tif": "image/tiff",
  ".tiff": "image/tiff",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".wav": "audio/wav",
  ".mp3": "audio/mpeg",
  ".pdf": "application/pdf",
  ".json": "application/json",
  ".jsonl": "application/jsonl",
  ".csv": "text/csv",
  ".txt": "text/plain",
  ".md": "text/markdown",
  ".html": "text/html",
  ".safetensors": "application/octet-stream",
};

export interface AssetFacts {
  readonly assetHash: Uint8Array;
  readonly assetSize: number;
  readonly mimeType: string;
}

export class AssetFileError extends BaseError {
  override name = "AssetFileError";
}

/** The media type for a file name (application/octet-stream when unknown). */
export function mediaTypeOf(path: string): string {
  return MEDIA_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}

/** Below this size a file is read in one call: a stream's setup costs more than the read (10,000 small outputs). */
const SMALL_FILE = 1 << 20;

/** Hashes the file: small ones in one read, larger ones streamed, so outputs far larger than memory work. */
export async function describeAssetFile(path: string): Promise<AssetFacts> {
  const hash = createHash("sha256");
  let size = 0;
  try {
    const { size: length } = await stat(path);
    if (length <= SMALL_FILE) {
      const bytes = await readFile(path);
      hash.update(bytes);
      size = bytes.length;
    } else
      for await (const chunk of createReadStream(path)) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AssetFileError(`Cannot read asset file ${path}: ${code === "ENOENT" ? "no such file" : code}.`, {
      cause: error,
    });
  }
  return { assetHash: new Uint8Array(hash.digest()), assetSize: size, mimeType: mediaTypeOf(path) };
}
