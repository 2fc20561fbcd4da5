/**
 * A minimal receiver for the benchmarks, meant to run in its own process so
 * that its work does not count against the sender's. It answers what each
 * platform expects, counts the events it receives, and can measure
 * event-to-receiver latency:
 *
 * - `POST /services/collector...` (Splunk HEC): 200
 *   `{"text":"Success","code":0}`; counts the envelopes.
 * - `POST .../_bulk` (Elasticsearch): 200 `{"errors":false,"items":[...]}`
 *   with one `{"<action>":{"status":201}}` per action line, and the
 *   `X-Elastic-Product` header the official client checks.
 * - `POST /api/v2/logs` (Datadog): 202 `{}`; counts the logs of the array.
 * - `POST /down/...`: 503 for every platform (a destination that is down).
 * - `GET /_bench/counts`: requests, events and bytes per platform.
 * - `POST /_bench/reset?latency=1`: zeroes the counts; with `latency=1`,
 *   records for each event carrying `"sent_at_ms":<epoch ms>` the time from
 *   that stamp to the end of its request's body.
 * - `GET /_bench/latencies`: percentiles of those times per platform.
 *
 * Gzip-encoded bodies are decoded (and counted as such). Run:
 * `deno run --allow-net=127.0.0.1 bench/peers/receiver.ts [--port=N]`; it
 * prints its URL on stdout, and exits on SIGTERM, SIGINT or when its standard
 * input closes (so it never outlives the benchmark that started it).
 *
 * @module
 */

/** The platforms the receiver tells apart. */
export type ReceiverPlatform = "splunk" | "elasticsearch" | "datadog";

/** What the receiver counted for one platform. */
export interface PlatformCount {
  /** Requests answered with success. */
  requests: number;
  /** Events in those requests. */
  events: number;
  /** Body bytes as received (compressed when they were). */
  bytes: number;
  /** Requests whose body was gzip-encoded. */
  gzipped: number;
}

/** The answer of `GET /_bench/counts`. */
export interface ReceiverCounts {
  /** Per platform. */
  platforms: Record<ReceiverPlatform, PlatformCount>;
  /** Requests answered 503 under `/down/`. */
  down: number;
  /** Requests to no known route. */
  unknown: number;
  /** CPU time the receiver process used since the last reset, in ms. */
  cpuMs: number;
}

/** Percentiles of event-to-receiver latency, in ms. */
export interface LatencySummary {
  /** Events measured. */
  count: number;
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 99th percentile. */
  p99: number;
  /** Largest. */
  max: number;
}

/** The answer of `GET /_bench/latencies`. */
export type ReceiverLatencies = Record<
  ReceiverPlatform | "all",
  LatencySummary
>;

import process from "node:process";

const PLATFORMS: readonly ReceiverPlatform[] = [
  "splunk",
  "elasticsearch",
  "datadog",
];
const SENT_AT = '"sent_at_ms":';
const decoder = new TextDecoder();

function emptyCounts(): ReceiverCounts {
  const platforms = {} as Record<ReceiverPlatform, PlatformCount>;
  for (const p of PLATFORMS) {
    platforms[p] = { requests: 0, events: 0, bytes: 0, gzipped: 0 };
  }
  return { platforms, down: 0, unknown: 0, cpuMs: 0 };
}

/** A growable list of numbers. */
class Samples {
  #values = new Float64Array(1 << 16);
  #length = 0;

  push(value: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = value;
  }

  get values(): Float64Array {
    return this.#values.subarray(0, this.#length);
  }
}

/**
 * Percentiles of a list of samples (nearest rank).
 *
 * @param values The samples.
 * @returns Count, p50, p90, p99 and max.
 */
export function summarize(values: Float64Array): LatencySummary {
  const sorted = values.slice().sort();
  const at = (q: number): number =>
    sorted.length === 0
      ? NaN
      : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return {
    count: sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted.length === 0 ? NaN : sorted[sorted.length - 1]!,
  };
}

/**
 * Counts the JSON objects that open at `depth` (0: top level, as in a HEC
 * body of envelopes back to back; 1: the elements of a JSON array), skipping
 * braces inside strings.
 *
 * @param body The JSON text as UTF-8.
 * @param depth The nesting depth of the objects to count.
 * @returns How many there are.
 */
export function countObjects(body: Uint8Array, depth: number): number {
  let count = 0;
  let level = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const b = body[i]!;
    if (inString) {
      if (b === 0x5c) i++;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) {
      inString = true;
    } else if (b === 0x7b || b === 0x5b) {
      if (b === 0x7b && level === depth) count++;
      level++;
    } else if (b === 0x7d || b === 0x5d) {
      level--;
    }
  }
  return count;
}

/**
 * The action names of a bulk body, one per action line (every other
 * non-empty line: `create` and `index` actions are followed by a document).
 *
 * @param body The NDJSON body.
 * @returns The action of each document, in order.
 */
export function bulkActions(body: Uint8Array): string[] {
  const actions: string[] = [];
  let start = 0;
  let line = 0;
  while (start < body.length) {
    let end = body.indexOf(0x0a, start);
    if (end === -1) end = body.length;
    if (end > start) {
      if (line % 2 === 0) {
        // {"create":{...}} -> create
        const close = body.indexOf(0x22, start + 2);
        actions.push(decoder.decode(body.subarray(start + 2, close)));
      }
      line++;
    }
    start = end + 1;
  }
  return actions;
}

const bulkItemsCache = new Map<string, string>();

function bulkAnswer(actions: string[]): string {
  const first = actions[0] ?? "create";
  if (actions.every((action) => action === first)) {
    const key = `${first}:${actions.length}`;
    let body = bulkItemsCache.get(key);
    if (body === undefined) {
      const item = `{"${first}":{"status":201}}`;
      body = `{"took":1,"errors":false,"items":[${
        new Array(actions.length).fill(item).join(",")
      }]}`;
      bulkItemsCache.set(key, body);
    }
    return body;
  }
  return `{"took":1,"errors":false,"items":[${
    actions.map((action) => `{"${action}":{"status":201}}`).join(",")
  }]}`;
}

async function readAll(
  request: Request,
): Promise<{ raw: Uint8Array; body: Uint8Array; gzipped: boolean }> {
  const raw = new Uint8Array(await request.arrayBuffer());
  const gzipped =
    (request.headers.get("content-encoding") ?? "").toLowerCase() === "gzip";
  if (!gzipped) return { raw, body: raw, gzipped };
  const stream = new Blob([raw]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return {
    raw,
    body: new Uint8Array(await new Response(stream).arrayBuffer()),
    gzipped,
  };
}

/** The receiver's state and request handler. */
export class Receiver {
  #counts = emptyCounts();
  #cpu = process.cpuUsage();
  #latency: Record<ReceiverPlatform, Samples> | undefined;

  /**
   * Answers one request.
   *
   * @param request The request.
   * @returns The answer.
   */
  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname;
    if (request.method === "GET" && path === "/_bench/counts") {
      const used = process.cpuUsage(this.#cpu);
      this.#counts.cpuMs = (used.user + used.system) / 1000;
      return Response.json(this.#counts);
    }
    if (request.method === "GET" && path === "/_bench/latencies") {
      return Response.json(this.latencies());
    }
    if (request.method === "POST" && path === "/_bench/reset") {
      await request.body?.cancel();
      this.#counts = emptyCounts();
      this.#cpu = process.cpuUsage();
      this.#latency = url.searchParams.get("latency") === "1"
        ? {
          splunk: new Samples(),
          elasticsearch: new Samples(),
          datadog: new Samples(),
        }
        : undefined;
      return Response.json({ ok: true });
    }
    if (request.method !== "POST") {
      this.#counts.unknown++;
      await request.body?.cancel();
      return new Response("not found", { status: 404 });
    }
    if (path.startsWith("/down/")) {
      await request.arrayBuffer();
      this.#counts.down++;
      return Response.json({ text: "Service Unavailable", code: 9 }, {
        status: 503,
      });
    }
    const platform: ReceiverPlatform | undefined =
      path.startsWith("/services/collector")
        ? "splunk"
        : path.endsWith("/_bulk")
        ? "elasticsearch"
        : path === "/api/v2/logs"
        ? "datadog"
        : undefined;
    if (platform === undefined) {
      this.#counts.unknown++;
      await request.body?.cancel();
      return new Response("not found", { status: 404 });
    }
    const { raw, body, gzipped } = await readAll(request);
    const receivedAt = performance.timeOrigin + performance.now();
    const count = this.#counts.platforms[platform];
    count.requests++;
    count.bytes += raw.length;
    if (gzipped) count.gzipped++;
    if (this.#latency) this.#record(this.#latency[platform], body, receivedAt);
    switch (platform) {
      case "splunk":
        count.events += countObjects(body, 0);
        return new Response('{"text":"Success","code":0}', {
          headers: { "content-type": "application/json" },
        });
      case "elasticsearch": {
        const actions = bulkActions(body);
        count.events += actions.length;
        return new Response(bulkAnswer(actions), {
          headers: {
            "content-type": "application/json",
            "x-elastic-product": "Elasticsearch",
          },
        });
      }
      case "datadog":
        count.events += countObjects(body, 1);
        return new Response("{}", {
          status: 202,
          headers: { "content-type": "application/json" },
        });
    }
  }

  #record(samples: Samples, body: Uint8Array, receivedAt: number): void {
    const text = decoder.decode(body);
    let at = text.indexOf(SENT_AT);
    while (at !== -1) {
      const start = at + SENT_AT.length;
      const sent = parseFloat(text.slice(start, start + 32));
      if (Number.isFinite(sent)) samples.push(receivedAt - sent);
      at = text.indexOf(SENT_AT, start);
    }
  }

  /**
   * The latency percentiles recorded since the last reset.
   *
   * @returns Per platform and over all.
   */
  latencies(): ReceiverLatencies {
    const empty = new Float64Array(0);
    const per = {} as ReceiverLatencies;
    const all: number[] = [];
    for (const p of PLATFORMS) {
      const values = this.#latency?.[p].values ?? empty;
      per[p] = summarize(values);
      for (const v of values) all.push(v);
    }
    per.all = summarize(Float64Array.from(all));
    return per;
  }
}

function portArgument(): number {
  const arg = Deno.args.find((a) => a.startsWith("--port="));
  return arg ? Number(arg.slice("--port=".length)) : 0;
}

if (import.meta.main) {
  const receiver = new Receiver();
  const controller = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: portArgument(),
    signal: controller.signal,
    onListen({ hostname, port }): void {
      // The parent reads this line to find the receiver.
      // deno-lint-ignore no-console
      console.log(`http://${hostname}:${port}`);
    },
  }, (request) => receiver.handle(request));
  const stop = (): void => controller.abort();
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  // The parent holds our stdin open; when it goes away, so do we.
  (async (): Promise<void> => {
    const buffer = new Uint8Array(64);
    try {
      while ((await Deno.stdin.read(buffer)) !== null) {
        // Nothing is read from stdin; it only tells us the parent is alive.
      }
    } catch {
      // A closed or broken stdin means the same.
    }
    stop();
  })();
  await server.finished;
  Deno.exit(0);
}
