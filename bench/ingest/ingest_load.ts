/**
 * Load on the ingest endpoint: the ingest app (`createIngestApp`) served by
 * `Deno.serve` in this process, its {@linkcode SIEMIntegrator} delivering to
 * Splunk, Elasticsearch and Datadog on `bench/peers/receiver.ts` (another
 * process), and autocannon (under Node, a third process) posting NDJSON
 * bodies of 100 realistic events to `POST /events` at a fixed concurrency
 * for a fixed time.
 *
 * Reports accepted events per second, request latency percentiles, the
 * answers other than 202 (503 `overloaded` when the buffers are full), and
 * checks that nothing was lost: after `stop()`, every accepted event reached
 * the receiver on every platform.
 *
 * autocannon comes from npm: `bash bench/install_tools.sh` puts it in
 * `.tools/bench/` (or set `AUTOCANNON` to its `autocannon.js`).
 *
 * Run: `deno task bench:ingest`; `--short` for a quick check;
 * `--connections=N` (default 8) and `--duration=S` (default 10).
 *
 * @module
 */
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import type { Logger } from "../../src/delivery/logger.ts";
import { createIngestApp } from "../../src/ingest/app.ts";
import { realisticEvents } from "../../tests/fixtures/events.ts";
import {
  benchPath,
  hasFlag,
  machineLine,
  numberOption,
  rebaseTimestamps,
  report,
  SHORT_NOTE,
  startReceiver,
  thousands,
} from "../support.ts";

const TOKEN = "bench-ingest-token-0123456789";
const EVENTS_PER_BODY = 100;

/** The parts of autocannon's `--json` result used here. */
interface AutocannonResult {
  duration: number;
  requests: { total: number; average: number };
  latency: {
    p50: number;
    p90: number;
    p99: number;
    max: number;
    average: number;
  };
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
  statusCodeStats?: Record<string, { count: number }>;
}

/** Where the tools are installed, and the request body written. */
const TOOLS = benchPath("../.tools/bench");

function autocannonPath(): string {
  const fromEnv = Deno.env.get("AUTOCANNON");
  const path = fromEnv ??
    `${TOOLS}/node_modules/autocannon/autocannon.js`;
  try {
    Deno.statSync(path);
  } catch {
    throw new Error(
      `Cannot find autocannon at ${path}: run \`bash bench/install_tools.sh\` (installs autocannon@9.0.0 from npm into .tools/bench/) or set AUTOCANNON to its autocannon.js`,
    );
  }
  return path;
}

/** NDJSON of 100 realistic events without ids (the ingest assigns them). */
function ndjsonBody(): string {
  return rebaseTimestamps(realisticEvents(EVENTS_PER_BODY, 11)).map((event) => {
    const { event_id: _id, ...rest } = event;
    return JSON.stringify(rest);
  }).join("\n") + "\n";
}

async function runAutocannon(
  script: string,
  url: string,
  bodyFile: string,
  connections: number,
  seconds: number,
): Promise<AutocannonResult> {
  const output = await new Deno.Command("node", {
    args: [
      script,
      "--json",
      "--no-progress",
      "-c",
      String(connections),
      "-d",
      String(seconds),
      "-m",
      "POST",
      "-H",
      `Authorization=Bearer ${TOKEN}`,
      "-H",
      "Content-Type=application/x-ndjson",
      "-i",
      bodyFile,
      url,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(
      `autocannon failed (${output.code}): ${
        new TextDecoder().decode(output.stderr)
      }`,
    );
  }
  return JSON.parse(text) as AutocannonResult;
}

function quietLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    warn(message: string): void {
      lines.push(`warn: ${message}`);
    },
    error(message: string): void {
      lines.push(`error: ${message}`);
    },
  };
}

async function main(): Promise<void> {
  const short = hasFlag("--short");
  const connections = short ? 2 : numberOption("--connections", 8);
  const seconds = short ? 2 : numberOption("--duration", 10);
  const script = autocannonPath();
  report(`# ingest load: ${machineLine()}${short ? SHORT_NOTE : ""}`);
  report(
    `POST /events, NDJSON bodies of ${EVENTS_PER_BODY} realistic events, ${connections} connections for ${seconds} s (autocannon 9 under Node ${
      new TextDecoder().decode(
        new Deno.Command("node", { args: ["--version"], stdout: "piped" })
          .outputSync().stdout,
      ).trim()
    }); 3 destinations, batchSize 1000, flushIntervalMs 1000`,
  );

  await using receiver = await startReceiver();
  const logger = quietLogger();
  const integrator = new SIEMIntegrator(
    (["splunk", "elasticsearch", "datadog"] as const).map((platform) => ({
      platform,
      endpoint: receiver.url,
      token: "bench-token",
      batchSize: 1000,
      flushIntervalMs: 1000,
      compression: "none" as const,
    })),
    { logger },
  );
  const app = createIngestApp({ integrator, tokens: [TOKEN], logger });
  const controller = new AbortController();
  let port = 0;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: controller.signal,
    onListen(address): void {
      port = address.port;
    },
  }, app.fetch);
  const bodyFile = `${TOOLS}/ingest_body.ndjson`;
  let stopped = false;
  try {
    const body = ndjsonBody();
    await Deno.writeTextFile(bodyFile, body);
    const url = `http://127.0.0.1:${port}/events`;

    // Warm-up, not counted by autocannon (but delivered and checked).
    for (let i = 0; i < 20; i++) {
      const response = await fetch(url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${TOKEN}`,
          "content-type": "application/x-ndjson",
        },
        body,
      });
      await response.body?.cancel();
      if (response.status !== 202) {
        throw new Error(`warm-up: HTTP ${response.status}`);
      }
    }
    const warmAccepted = integrator.getStats().eventsAccepted;

    const result = await runAutocannon(
      script,
      url,
      bodyFile,
      connections,
      seconds,
    );
    const accepted = integrator.getStats().eventsAccepted - warmAccepted;
    const ok = result["2xx"];
    // Requests still in flight when autocannon stops are accepted by the
    // server but not counted by autocannon: at most one per connection.
    const uncounted = accepted / EVENTS_PER_BODY - ok;
    const codes = Object.entries(result.statusCodeStats ?? {})
      .map(([code, { count }]) => `${code}: ${count}`).join(", ");
    report(
      `requests: ${
        thousands(result.requests.total)
      } (${codes}); errors ${result.errors}, timeouts ${result.timeouts}`,
    );
    report(
      `accepted: ${thousands(ok * EVENTS_PER_BODY)} events in ${
        result.duration.toFixed(1)
      } s = ${thousands(ok * EVENTS_PER_BODY / result.duration)} events/s (${
        thousands(ok / result.duration)
      } requests/s of ${EVENTS_PER_BODY}); the server accepted ${uncounted} more request(s) in flight when autocannon stopped`,
    );
    report(
      `request latency ms: p50 ${result.latency.p50}, p90 ${result.latency.p90}, p99 ${result.latency.p99}, max ${result.latency.max}`,
    );
    if (
      accepted % EVENTS_PER_BODY !== 0 || uncounted < 0 ||
      uncounted > connections
    ) {
      throw new Error(
        `the integrator accepted ${accepted} events, autocannon saw ${ok} requests of ${EVENTS_PER_BODY} answered 2xx`,
      );
    }

    const drainStarted = performance.now();
    const stop = await integrator.stop({ timeoutMs: 60_000 });
    stopped = true;
    const total = integrator.getStats().eventsAccepted;
    const counts = await receiver.counts();
    const got = (["splunk", "elasticsearch", "datadog"] as const).map((p) =>
      counts.platforms[p].events
    );
    report(
      `after stop() (${
        Math.round(performance.now() - drainStarted)
      } ms to drain): receiver got ${
        got.map(thousands).join(" / ")
      } events (splunk / elasticsearch / datadog) of ${
        thousands(total)
      } accepted (warm-up included); ${stop.undeliveredCount} undelivered`,
    );
    if (got.some((n) => n !== total) || stop.undeliveredCount !== 0) {
      throw new Error("events were lost between the ingest and the receiver");
    }
    report("nothing lost: every accepted event reached every destination");
    if (logger.lines.length > 0) {
      report(`logger: ${logger.lines.slice(0, 5).join("; ")}`);
    }
  } finally {
    if (!stopped) await integrator.stop({ timeoutMs: 1000 });
    controller.abort();
    await server.finished;
    await Deno.remove(bodyFile).catch(() => {});
  }
}

if (import.meta.main) {
  await main();
}
