/**
 * Reading a request body within a size limit, before and after gzip.
 *
 * @module
 */
import { IngestError } from "./ingest_error.ts";

/**
 * Reads the body of `request`, decoding `Content-Encoding: gzip`, and
 * refuses it once more than `maxBytes` arrive, or decode (so a small gzip
 * bomb is refused as soon as it expands past the limit, not after).
 *
 * @param request The request.
 * @param maxBytes The most bytes accepted, before and after decoding.
 * @returns The decoded body.
 * @throws {IngestError} 413 when too large, 415 for an unsupported
 * encoding, 400 for a corrupt gzip stream.
 */
export async function readBody(
  request: Request,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const encoding = (request.headers.get("content-encoding") ?? "identity")
    .trim().toLowerCase();
  if (encoding !== "identity" && encoding !== "gzip") {
    await request.body?.cancel();
    throw new IngestError(
      415,
      "unsupported_media_type",
      `Content-Encoding must be gzip or identity, got ${
        JSON.stringify(encoding.slice(0, 40))
      }`,
    );
  }
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await request.body?.cancel();
    throw tooLarge(maxBytes, "");
  }
  if (!request.body) return new Uint8Array(0);
  const raw = await collect(request.body, maxBytes, "");
  if (encoding === "identity") return raw;
  const decoded = new Blob([raw]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  try {
    return await collect(decoded, maxBytes, " once decompressed");
  } catch (error) {
    if (error instanceof IngestError) throw error;
    throw new IngestError(
      400,
      "malformed_body",
      "body is not a valid gzip stream",
    );
  }
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  what: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge(maxBytes, what);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}

function tooLarge(maxBytes: number, what: string): IngestError {
  return new IngestError(
    413,
    "payload_too_large",
    `body is larger than ${maxBytes} bytes${what}`,
  );
}
