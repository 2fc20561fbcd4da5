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
