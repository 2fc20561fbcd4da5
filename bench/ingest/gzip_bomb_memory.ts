/**
 * Peak memory of refusing a gzip bomb: posts gzip of 256 MiB of zeros
 * (about 260 KB) to `readBody()` with the default 1 MiB limit and prints the
 * resident set size before and at its highest while the body is read.
 * A measurement, not a test: `deno run bench/ingest/gzip_bomb_memory.ts`.
 *
 * @module
 */
import { readBody } from "../../src/ingest/read_body.ts";

const MiB = 1024 * 1024;

async function gzipZeros(bytes: number): Promise<Uint8Array<ArrayBuffer>> {
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

const bomb = await gzipZeros(256 * MiB);
const before = Deno.memoryUsage().rss;
let peak = before;
const sampler = setInterval(() => {
  peak = Math.max(peak, Deno.memoryUsage().rss);
}, 1);
const request = new Request("http://x/", {
  method: "POST",
  body: bomb,
  headers: { "content-encoding": "gzip" },
});
const outcome = await readBody(request, MiB).then(
  () => "accepted",
  (error: Error) => error.message,
);
peak = Math.max(peak, Deno.memoryUsage().rss);
clearInterval(sampler);
// deno-lint-ignore no-console
console.log(
  `bomb ${(bomb.length / 1024).toFixed(0)} KB -> ${outcome}; RSS ${
    (before / MiB).toFixed(0)
  } MiB before, ${(peak / MiB).toFixed(0)} MiB at peak`,
);
