import assert from "node:assert/strict";
import { IngestError } from "../../src/ingest/ingest_error.ts";
import { readBody } from "../../src/ingest/read_body.ts";

const encoder = new TextEncoder();
const MiB = 1024 * 1024;

function post(
  body: BodyInit | null,
  headers: Record<string, string> = {},
): Request {
  return new Request("http://x/", { method: "POST", body, headers });
}

/** A streamed body that counts how many chunks were pulled from it. */
class CountingBody {
  pulls = 0;
  cancelled = false;
  readonly stream: ReadableStream<Uint8Array>;

  constructor(chunks: Uint8Array[]) {
    this.stream = new ReadableStream<Uint8Array>({
      pull: (controller) => {
        const chunk = chunks[this.pulls++];
        if (chunk) controller.enqueue(chunk);
        else controller.close();
      },
      cancel: () => {
        this.cancelled = true;
      },
    }, { highWaterMark: 0 });
  }

  /** A POST request carrying this body, with no Content-Length unless given. */
  request(headers: Record<string, string> = {}): Request {
    return new Request("http://x/", {
      method: "POST",
      body: this.stream,
      headers,
      duplex: "half",
    } as RequestInit);
  }
}

async function gzip(
  data: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([data]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function ingestErrorOf(promise: Promise<unknown>): Promise<IngestError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(
      error instanceof IngestError,
      `expected an IngestError, got ${String(error)}`,
    );
    return error;
  }
  assert.fail("expected an IngestError, the body was read");
}

function text(body: Uint8Array): string {
  return new TextDecoder().decode(body);
}

Deno.test("readBody() returns an identity body as sent", async () => {
  const body = await readBody(post('{"actor":"a"}'), 1024);
  assert.equal(text(body), '{"actor":"a"}');
  const declared = await readBody(
    post("abc", { "content-encoding": "identity" }),
    1024,
  );
  assert.equal(text(declared), "abc");
});

Deno.test("readBody() returns an empty body for a request without one", async () => {
  const body = await readBody(post(null), 1024);
  assert.equal(body.length, 0);
});

Deno.test("readBody() accepts a body of exactly maxBytes", async () => {
  const body = await readBody(post("x".repeat(64)), 64);
  assert.equal(body.length, 64);
});

Deno.test("readBody() decodes a gzip body", async () => {
  const original = '{"actor":"a"}\n'.repeat(200);
  const compressed = await gzip(encoder.encode(original));
  assert.ok(compressed.length < original.length);
  const body = await readBody(
    post(compressed, { "content-encoding": "gzip" }),
    MiB,
  );
  assert.equal(text(body), original);
});

Deno.test("readBody() accepts Content-Encoding GZIP in upper case", async () => {
  const compressed = await gzip(encoder.encode("hello gzip"));
  const body = await readBody(
    post(compressed, { "content-encoding": "GZIP" }),
    MiB,
  );
  assert.equal(text(body), "hello gzip");
});

Deno.test("readBody() refuses a body whose Content-Length is over maxBytes with 413", async () => {
  const request = post("x".repeat(200), { "content-length": "200" });
  assert.equal(request.headers.get("content-length"), "200");
  const error = await ingestErrorOf(readBody(request, 100));
  assert.equal(error.status, 413);
  assert.equal(error.code, "payload_too_large");
});

Deno.test("readBody() refuses a declared Content-Length over maxBytes before reading the body", async () => {
  const body = new CountingBody([new Uint8Array(10), new Uint8Array(10)]);
  const request = body.request({ "content-length": "200" });
  const error = await ingestErrorOf(readBody(request, 100));
  assert.equal(error.status, 413);
  assert.equal(error.code, "payload_too_large");
  assert.equal(body.pulls, 0, "the body was read");
  assert.equal(body.cancelled, true, "the body was not cancelled");
});

Deno.test("readBody() refuses a streamed body over maxBytes without Content-Length", async () => {
  const chunks = Array.from({ length: 100 }, () => new Uint8Array(40));
  const body = new CountingBody(chunks);
  const request = body.request();
  assert.equal(request.headers.get("content-length"), null);
  const error = await ingestErrorOf(readBody(request, 100));
  assert.equal(error.status, 413);
  assert.equal(error.code, "payload_too_large");
  assert.doesNotMatch(error.message, /decompressed/);
  assert.ok(body.pulls < 10, `read ${body.pulls} chunks of 100`);
  assert.equal(body.cancelled, true, "the body was not cancelled");
});

Deno.test("readBody() refuses a gzip bomb once it decompresses past maxBytes", async () => {
  const zeros = new Uint8Array(10 * MiB);
  const compressed = await gzip(zeros);
  assert.ok(compressed.length < MiB, "the bomb itself is small");
  const error = await ingestErrorOf(
    readBody(post(compressed, { "content-encoding": "gzip" }), MiB),
  );
  assert.equal(error.status, 413);
  assert.equal(error.code, "payload_too_large");
  assert.match(error.message, /once decompressed/);
});

Deno.test("readBody() refuses a corrupt gzip body with 400", async () => {
  const compressed = await gzip(
    encoder.encode("some text to compress ".repeat(50)),
  );
  const corrupt = compressed.slice();
  // Keep the header, damage the deflate data and the trailer.
  for (let i = 10; i < corrupt.length; i++) corrupt[i] = corrupt[i]! ^ 0x5a;
  const error = await ingestErrorOf(
    readBody(post(corrupt, { "content-encoding": "gzip" }), MiB),
  );
  assert.equal(error.status, 400);
  assert.equal(error.code, "malformed_body");
});

Deno.test("readBody() refuses a body that is not gzip at all under Content-Encoding gzip", async () => {
  const error = await ingestErrorOf(
    readBody(post('{"actor":"a"}', { "content-encoding": "gzip" }), MiB),
  );
  assert.equal(error.status, 400);
  assert.equal(error.code, "malformed_body");
});

Deno.test("readBody() refuses Content-Encoding br and deflate with 415", async () => {
  for (const encoding of ["br", "deflate", "gzip, br"]) {
    const error = await ingestErrorOf(
      readBody(post("abc", { "content-encoding": encoding }), MiB),
    );
    assert.equal(error.status, 415, `status for ${encoding}`);
    assert.equal(error.code, "unsupported_media_type");
  }
});

/**
 * A gzip decoder that counts the decoded bytes read out of it (pulled one
 * chunk at a time, so nothing is counted that readBody() did not ask for).
 */
class CountingInflater {
  written = 0;
  decoded = 0;
  largestChunk = 0;

  create = (): ReadableWritablePair<Uint8Array, BufferSource> => {
    const inner = new DecompressionStream("gzip");
    const reader = inner.readable.getReader();
    const writer = inner.writable.getWriter();
    return {
      writable: new WritableStream<BufferSource>({
        write: (chunk) => {
          this.written += chunk.byteLength;
          return writer.write(chunk);
        },
        close: () => writer.close(),
        abort: (reason) => writer.abort(reason),
      }),
      readable: new ReadableStream<Uint8Array>({
        pull: async (controller) => {
          const { done, value } = await reader.read();
          if (done) return controller.close();
          this.decoded += value.length;
          this.largestChunk = Math.max(this.largestChunk, value.length);
          controller.enqueue(value);
        },
        cancel: (reason) => reader.cancel(reason),
      }, { highWaterMark: 0 }),
    };
  };
}

/** gzip of `bytes` zeros, compressed as a stream (the zeros are never held at once). */
async function gzipBomb(bytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const zeros = new Uint8Array(MiB);
  let left = bytes;
  const source = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller): void {
      if (left <= 0) return controller.close();
      const size = Math.min(left, zeros.length);
      left -= size;
      controller.enqueue(zeros.subarray(0, size));
    },
  });
  const stream = source.pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("readBody() decodes a gzip bomb in small slices and stops pulling at maxBytes", async () => {
  const bomb = await gzipBomb(64 * MiB);
  assert.ok(bomb.length < 128 * 1024, `the bomb is ${bomb.length} bytes`);
  const inflater = new CountingInflater();
  const error = await ingestErrorOf(
    readBody(post(bomb, { "content-encoding": "gzip" }), MiB, {
      inflater: inflater.create,
    }),
  );
  assert.equal(error.status, 413);
  assert.match(error.message, /once decompressed/);
  assert.ok(inflater.decoded > MiB, "the injected decoder was not used");
  // Deflate expands at most ~1032:1, so a 1 KiB slice decodes to ~1 MiB at
  // most: what was decoded stays within the limit plus about one slice.
  assert.ok(
    inflater.decoded <= 2 * MiB,
    `decoded ${inflater.decoded} bytes for a limit of ${MiB}`,
  );
  assert.ok(
    inflater.largestChunk <= 1.1 * MiB,
    `one decoded chunk was ${inflater.largestChunk} bytes`,
  );
  assert.ok(
    inflater.written < bomb.length,
    `all ${bomb.length} compressed bytes were fed to the decoder`,
  );
});

Deno.test("readBody() decodes a gzip body sent in many network chunks", async () => {
  const original = encoder.encode(
    JSON.stringify(
      Array.from({ length: 2000 }, (_, i) => ({ actor: `a${i}` })),
    ),
  );
  const compressed = await gzip(original);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < compressed.length; at += 777) {
    chunks.push(compressed.subarray(at, at + 777));
  }
  const inflater = new CountingInflater();
  const body = await readBody(
    new CountingBody(chunks).request({ "content-encoding": "gzip" }),
    MiB,
    { inflater: inflater.create },
  );
  assert.deepEqual(body, original);
  assert.equal(inflater.written, compressed.length);
  assert.equal(inflater.decoded, original.length);
});

Deno.test("readBody() refuses a truncated gzip body with 400", async () => {
  const compressed = await gzip(encoder.encode("x".repeat(5000)));
  const error = await ingestErrorOf(
    readBody(
      post(compressed.slice(0, compressed.length - 6), {
        "content-encoding": "gzip",
      }),
      MiB,
    ),
  );
  assert.equal(error.status, 400);
  assert.equal(error.code, "malformed_body");
});

Deno.test("readBody() refuses an oversized compressed body before decoding it", async () => {
  const bytes = crypto.getRandomValues(new Uint8Array(32 * 1024));
  const compressed = await gzip(bytes);
  const inflater = new CountingInflater();
  const body = new CountingBody([
    compressed.subarray(0, 20_000),
    compressed.subarray(20_000),
  ]);
  const error = await ingestErrorOf(
    readBody(body.request({ "content-encoding": "gzip" }), 16 * 1024, {
      inflater: inflater.create,
    }),
  );
  assert.equal(error.status, 413);
  assert.doesNotMatch(error.message, /once decompressed/);
  assert.ok(body.cancelled, "the request body was not cancelled");
});

Deno.test("readBody() passes on the error of a gzip body that breaks off, not a 400", async () => {
  const compressed = await gzip(encoder.encode("x".repeat(5000)));
  let sent = false;
  const broken = new ReadableStream<Uint8Array>({
    pull(controller): void {
      if (sent) return controller.error(new Error("connection reset"));
      sent = true;
      controller.enqueue(compressed.subarray(0, 10));
    },
  });
  const request = new Request("http://x/", {
    method: "POST",
    body: broken,
    headers: { "content-encoding": "gzip" },
    duplex: "half",
  } as RequestInit);
  await assert.rejects(readBody(request, MiB), /connection reset/);
});
