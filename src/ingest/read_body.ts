/**
 * Reading a request body within a size limit, before and after gzip.
 *
 * @module
 */
import { IngestError } from "./ingest_error.ts";

/** Options of {@linkcode readBody}. */
export interface ReadBodyOptions {
  /**
   * Creates the gzip decoder; default: `new DecompressionStream("gzip")`.
   * Tests pass one that counts what it decodes.
   */
  inflater?: (() => ReadableWritablePair<Uint8Array, BufferSource>) | undefined;
}

// A decoder turns each chunk it is given into one output chunk, all at once,
// and deflate expands up to ~1032:1: a 64 KB network chunk of a gzip bomb
// would become 64 MB in one piece. Feeding it 1 KiB at a time bounds any
// decoded chunk to ~1 MiB, so reading stops within about 1 MiB of the limit.
const SLICE_BYTES = 1024;

/**
 * Reads the body of `request`, decoding `Content-Encoding: gzip`, and
 * refuses it once more than `maxBytes` arrive, or decode. The order of the
 * checks: the encoding (415), the declared `Content-Length` (413, nothing
 * read), the bytes as they arrive (413), then, for gzip, the decoded bytes
 * as they come out of the decoder, which is fed in 1 KiB slices (413 as soon
 * as the limit is passed, so a gzip bomb costs at most about 1 MiB more than
 * `maxBytes`).
 *
 * @param request The request.
 * @param maxBytes The most bytes accepted, before and after decoding.
 * @param options The gzip decoder to use.
 * @returns The decoded body.
 * @throws {IngestError} 413 when too large, 415 for an unsupported
 * encoding, 400 for a corrupt gzip stream.
 */
export async function readBody(
  request: Request,
  maxBytes: number,
  options: ReadBodyOptions = {},
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
  if (encoding === "identity") {
    const chunks = new Chunks(maxBytes, "");
    const reader = request.body.getReader();
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.add(value);
      }
    } catch (error) {
      await reader.cancel().catch(() => {});
      throw error;
    } finally {
      reader.releaseLock();
    }
    return chunks.join();
  }
  return await inflate(
    request.body,
    maxBytes,
    options.inflater ?? (() => new DecompressionStream("gzip")),
  );
}

// Feeds the compressed body to the decoder slice by slice while another loop
// reads what it decodes; the decoder's own backpressure keeps at most one
// decoded chunk waiting. Whichever side stops first stops the other.
async function inflate(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  createInflater: () => ReadableWritablePair<Uint8Array, BufferSource>,
): Promise<Uint8Array<ArrayBuffer>> {
  const inflater = createInflater();
  const source = body.getReader();
  const writer = inflater.writable.getWriter();
  const reader = inflater.readable.getReader();
  const raw = new Chunks(maxBytes, "");
  const decoded = new Chunks(maxBytes, " once decompressed");
  let failure: unknown;
  // A body that breaks off (the client went away) is no gzip fault.
  let readFailed = false;
  const stop = (error: unknown): void => {
    failure ??= error;
    source.cancel().catch(() => {});
    writer.abort(error).catch(() => {});
    reader.cancel(error).catch(() => {});
  };
  const feed = async (): Promise<void> => {
    while (failure === undefined) {
      const { done, value } = await source.read().catch((error) => {
        readFailed = failure === undefined;
        throw error;
      });
      if (done) break;
      raw.count(value.length);
      for (
        let at = 0;
        at < value.length && failure === undefined;
        at += SLICE_BYTES
      ) {
        await writer.write(
          value.subarray(at, at + SLICE_BYTES) as Uint8Array<ArrayBuffer>,
        );
      }
    }
    if (failure === undefined) await writer.close();
  };
  const drain = async (): Promise<void> => {
    while (failure === undefined) {
      const { done, value } = await reader.read();
      if (done) break;
      decoded.add(value);
    }
  };
  await Promise.all([
    feed().catch(stop),
    drain().catch(stop),
  ]);
  source.releaseLock();
  if (failure instanceof IngestError || readFailed) throw failure;
  if (failure !== undefined) {
    throw new IngestError(
      400,
      "malformed_body",
      "body is not a valid gzip stream",
    );
  }
  return decoded.join();
}

// Chunks read so far, refused past the limit.
class Chunks {
  #chunks: Uint8Array[] = [];
  #total = 0;
  #maxBytes: number;
  #what: string;

  constructor(maxBytes: number, what: string) {
    this.#maxBytes = maxBytes;
    this.#what = what;
  }

  count(bytes: number): void {
    this.#total += bytes;
    if (this.#total > this.#maxBytes) {
      throw tooLarge(this.#maxBytes, this.#what);
    }
  }

  add(chunk: Uint8Array): void {
    this.count(chunk.length);
    this.#chunks.push(chunk);
  }

  join(): Uint8Array<ArrayBuffer> {
    const body = new Uint8Array(this.#total);
    let at = 0;
    for (const chunk of this.#chunks) {
      body.set(chunk, at);
      at += chunk.length;
    }
    return body;
  }
}

function tooLarge(maxBytes: number, what: string): IngestError {
  return new IngestError(
    413,
    "payload_too_large",
    `body is larger than ${maxBytes} bytes${what}`,
  );
}
