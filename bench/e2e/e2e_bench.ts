/**
 * End to end: a {@linkcode SIEMIntegrator} with Splunk, Elasticsearch and
 * Datadog destinations (batchSize 1000, no compression, autoFlush on)
 * delivering to `bench/peers/receiver.ts` in its own process.
 *
 * - throughput: 200,000 events through `exportEvent` as fast as the buffers
 *   allow (`capacity()` is respected; the producer sleeps 1 ms when it is
 *   0), deliveries per second = events x destinations / time until the last
 *   one is delivered. Target: 150,000/s.
 * - latency: a fixed offered load of 10,000 events/s for 10 s with
 *   `flushIntervalMs` 1000, then a low load (200 events/s for 5 s) where
 *   only the flush timer sends. Each event carries
 *   `metadata.sent_at_ms = performance.timeOrigin + performance.now()` taken
 *   right before `exportEvent`; the receiver subtracts it from the time it
 *   finished reading the request. Target: p99 <= flushIntervalMs + 50 ms.
 * - memory: Datadog down (the receiver answers 503), 100,000 events
 *   buffered; heap used after a forced GC, per buffered event, beyond the
 *   event's own JSON size. Target: <= 1 KB.
 *
 * Run: `deno task bench:e2e` (needs `--v8-flags=--expose-gc` for the memory
 * phase); `--short` for a quick check; `--phase=throughput|latency|memory`
 * to run one phase (for `--cpu-prof`).
 *
 * @module
 */
import process from "node:process";
import type { AuditEventInput } from "../../src/events/audit_event.ts";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { type SIEMEvent, toSIEMEvent } from "../../src/events/siem_event.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import type { Logger } from "../../src/delivery/logger.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { realisticEvents } from "../../tests/fixtures/events.ts";
import {
  hasFlag,
  machineLine,
  mainThreadCpuMs,
  numberOption,
  rebaseTimestamps,
  type ReceiverProcess,
  report,
  SHORT_NOTE,
  sleep,
  startReceiver,
  thousands,
  yieldToEventLoop,
} from "../support.ts";
import type { LatencySummary, ReceiverPlatform } from "../peers/receiver.ts";

const PLATFORMS: readonly ReceiverPlatform[] = [
  "splunk",
  "elasticsearch",
  "datadog",
];
const encoder = new TextEncoder();

/** A logger that counts instead of printing (backoff warnings are expected when a destination is down). */
function countingLogger(): Logger & { warnings: number; errors: number } {
  const logger = {
    warnings: 0,
    errors: 0,
    warn(): void {
      logger.warnings++;
    },
    error(message: string, fields?: Record<string, unknown>): void {
      logger.errors++;
      if (logger.errors <= 3) {
        report(`logger.error: ${message} ${JSON.stringify(fields)}`);
      }
    },
  };
  return logger;
}

function configs(
  url: string,
  extra: Partial<SIEMConfigInput> = {},
  down?: ReceiverPlatform,
): SIEMConfigInput[] {
  return PLATFORMS.map((platform) => ({
    platform,
    endpoint: platform === down ? `${url}/down` : url,
    token: "bench-token",
    batchSize: 1000,
    compression: "none",
    ...extra,
  }));
}

/** A pool of realistic inputs, reused with fresh ids. */
function inputPool(size: number): AuditEventInput[] {
  return rebaseTimestamps(realisticEvents(size, 7));
}

async function waitDelivered(
  integrator: SIEMIntegrator,
  expected: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (integrator.getStats().eventsExported < expected) {
    if (performance.now() > deadline) {
      const stats = integrator.getStats();
      throw new Error(
        `delivered ${stats.eventsExported} of ${expected} in ${timeoutMs} ms: ${
          JSON.stringify(
            Object.values(stats.perDestination).map((
              p,
            ) => [p.name, p.state, p.buffered, p.lastError]),
          )
        }`,
      );
    }
    await sleep(1);
  }
}

async function checkReceived(
  receiver: ReceiverProcess,
  expected: number,
): Promise<string> {
  const counts = await receiver.counts();
  const got = PLATFORMS.map((p) => counts.platforms[p].events);
  if (got.some((n) => n !== expected)) {
    throw new Error(
      `the receiver got ${
        got.join("/")
      } events (splunk/es/datadog), expected ${expected} each`,
    );
  }
  return `receiver got ${thousands(expected)} events on each platform (${
    PLATFORMS.map((p) => counts.platforms[p].requests).join("/")
  } requests)`;
}

async function throughput(
  receiver: ReceiverProcess,
  total: number,
): Promise<void> {
  report(`## throughput: ${thousands(total)} events x 3 destinations`);
  await receiver.reset();
  const pool = inputPool(10_000);
  const logger = countingLogger();
  const integrator = new SIEMIntegrator(configs(receiver.url), { logger });
  let waits = 0;
  try {
    // Warm-up on other ids, not timed.
    for (let i = 0; i < 3000; i++) {
      integrator.exportEvent({
        ...pool[i % pool.length]!,
        event_id: `warm-${i}`,
      });
    }
    await waitDelivered(integrator, 9000, 30_000);
    await receiver.reset();
    const base = integrator.getStats().eventsExported;

    const cpu = process.cpuUsage();
    const mainCpu = mainThreadCpuMs();
    const started = performance.now();
    let sent = 0;
    while (sent < total) {
      const free = integrator.capacity();
      if (free === 0) {
        waits++;
        await sleep(1);
        continue;
      }
      // One batch per turn of the event loop, so answers get read too.
      const end = Math.min(total, sent + Math.min(free, 1000));
      for (; sent < end; sent++) {
        integrator.exportEvent({
          ...pool[sent % pool.length]!,
          event_id: `tp-${sent}`,
        });
      }
      await yieldToEventLoop();
    }
    const offeredMs = performance.now() - started;
    await waitDelivered(integrator, base + total * 3, 120_000);
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const mainMs = mainThreadCpuMs() - mainCpu;
    const check = await checkReceived(receiver, total);
    const receiverCpu = (await receiver.counts()).cpuMs;
    const deliveries = total * 3;
    const perSec = deliveries / (ms / 1000);
    report(
      `deliveries/s: ${thousands(perSec)} (${
        thousands(total / (ms / 1000))
      } events/s x 3) in ${Math.round(ms)} ms; target 150,000/s: ${
        perSec >= 150_000 ? "met" : "MISSED"
      }`,
    );
    report(
      `producer done after ${
        Math.round(offeredMs)
      } ms (${waits} waits on a full buffer); sender CPU ${
        ((used.user + used.system) / 1000 / total * 1000).toFixed(1)
      } µs/event (${
        Math.round((used.user + used.system) / 1000 / ms * 100)
      }% of one core); receiver CPU ${
        Math.round(receiverCpu)
      } ms over the whole run`,
    );
    // Validation, formatting and the HTTP client all run on the one
    // JavaScript thread: when it is busy all the time, it is the bound. On
    // a busy machine it gets less than a core, so also give the rate its
    // CPU time per event would allow on a core of its own.
    const mainUsPerEvent = mainMs * 1000 / total;
    report(
      `main thread: ${Math.round(mainMs)} ms CPU = ${
        Math.round(mainMs / ms * 100)
      }% busy over the run, ${
        mainUsPerEvent.toFixed(1)
      } µs per event: at most ${
        thousands(3e6 / mainUsPerEvent)
      } deliveries/s on a core of its own`,
    );
    report(check);
    report(costBreakdown(pool, ms * 1000 / total));
  } finally {
    await integrator.stop({ timeoutMs: 5000 });
  }
}

/**
 * What one event costs on the main thread, measured here without the
 * network: validation and normalization once, then writing the request
 * bytes for each platform; the rest of the measured time per event is the
 * HTTP exchange, queues, timers and garbage collection.
 */
function costBreakdown(
  pool: AuditEventInput[],
  measuredUsPerEvent: number,
): string {
  const n = 20_000;
  const inputs = Array.from({ length: n }, (_, i) => ({
    ...pool[i % pool.length]!,
    event_id: `cost-${i}`,
  }));
  let started = performance.now();
  const events: SIEMEvent[] = inputs.map((input) =>
    toSIEMEvent(parseAuditEvent(input))
  );
  const validateUs = (performance.now() - started) * 1000 / n;
  const formats = PLATFORMS.map((platform) => {
    const exporter = createExporter({
      platform,
      endpoint: "http://127.0.0.1:9",
      token: "t",
    });
    started = performance.now();
    let bytes = 0;
    for (let i = 0; i < n; i += 1000) {
      bytes += exporter.encodeBatch(events.slice(i, i + 1000)).length;
    }
    return { platform, us: (performance.now() - started) * 1000 / n, bytes };
  });
  const formatUs = formats.reduce((sum, f) => sum + f.us, 0);
  const budget = 1e6 / (150_000 / 3);
  return `cost per event on the main thread (measured apart): validate + normalize ${
    validateUs.toFixed(1)
  } µs, write request bytes ${
    formats.map((f) => `${f.platform} ${f.us.toFixed(1)}`).join(" + ")
  } = ${formatUs.toFixed(1)} µs; sum ${
    (validateUs + formatUs).toFixed(1)
  } µs of the ${
    measuredUsPerEvent.toFixed(1)
  } µs wall time per event measured above (budget for 150,000 deliveries/s: ${
    budget.toFixed(1)
  } µs)`;
}

function stamped(
  input: AuditEventInput,
  id: string,
): AuditEventInput {
  return {
    ...input,
    event_id: id,
    metadata: {
      ...input.metadata,
      sent_at_ms: performance.timeOrigin + performance.now(),
    },
  };
}

function latencyLine(name: string, s: LatencySummary): string {
  return `| ${name} | ${thousands(s.count)} | ${s.p50.toFixed(1)} | ${
    s.p90.toFixed(1)
  } | ${s.p99.toFixed(1)} | ${s.max.toFixed(1)} |`;
}

async function latency(
  receiver: ReceiverProcess,
  rate: number,
  seconds: number,
  flushIntervalMs: number,
): Promise<void> {
  const total = Math.round(rate * seconds);
  report(
    `## latency: ${thousands(rate)} events/s for ${seconds} s (${
      thousands(total)
    } events), flushIntervalMs ${flushIntervalMs}`,
  );
  const pool = inputPool(10_000);
  const logger = countingLogger();
  const integrator = new SIEMIntegrator(
    configs(receiver.url, { flushIntervalMs }),
    { logger },
  );
  try {
    await receiver.reset(true);
    const started = performance.now();
    let sent = 0;
    let refused = 0;
    let late = 0;
    while (sent < total) {
      const due = Math.min(
        total,
        Math.floor((performance.now() - started) * rate / 1000),
      );
      if (due - sent > rate / 100) late++;
      for (; sent < due; sent++) {
        const receipt = integrator.exportEvent(
          stamped(pool[sent % pool.length]!, `lat-${rate}-${sent}`),
        );
        refused += receipt.refused.length;
      }
      await sleep(1);
    }
    const offeredMs = performance.now() - started;
    await waitDelivered(integrator, total * 3, 30_000);
    const check = await checkReceived(receiver, total);
    const latencies = await receiver.latencies();
    report(
      `offered ${thousands(total / (offeredMs / 1000))} events/s over ${
        Math.round(offeredMs)
      } ms (${late} ticks fell behind by more than 10 ms); ${refused} refused`,
    );
    report("| destination | events | p50 ms | p90 ms | p99 ms | max ms |");
    report("| --- | --- | --- | --- | --- | --- |");
    for (const p of PLATFORMS) report(latencyLine(p, latencies[p]));
    report(latencyLine("all", latencies.all));
    const target = flushIntervalMs + 50;
    report(
      `p99 ${latencies.all.p99.toFixed(1)} ms; target <= ${target} ms: ${
        latencies.all.p99 <= target ? "met" : "MISSED"
      }`,
    );
    report(check);
  } finally {
    await integrator.stop({ timeoutMs: 5000 });
  }
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect) {
    collect();
    collect();
  }
}

async function memory(receiver: ReceiverProcess, total: number): Promise<void> {
  report(
    `## memory: ${thousands(total)} events buffered while Datadog answers 503`,
  );
  const hasGc = typeof (globalThis as { gc?: unknown }).gc === "function";
  if (!hasGc) {
    report(
      "(no forced GC: run with --v8-flags=--expose-gc for a meaningful figure)",
    );
  }
  await receiver.reset();
  const logger = countingLogger();
  let deadLettered = 0;
  const integrator = new SIEMIntegrator(
    configs(receiver.url, { maxBufferedEvents: total }, "datadog"),
    {
      logger,
      onDeadLetter: (letter): void =>
        void (deadLettered += letter.events.length),
    },
  );
  try {
    gc();
    const before = Deno.memoryUsage();
    let jsonBytes = 0;
    let sent = 0;
    for (let seed = 100; sent < total; seed++) {
      const inputs = rebaseTimestamps(
        realisticEvents(Math.min(1000, total - sent), seed),
      );
      while (integrator.capacity() < inputs.length) await sleep(1);
      for (const input of inputs) {
        // The event's own JSON: the normalized event, as the buffer holds it.
        jsonBytes += encoder.encode(
          JSON.stringify(toSIEMEvent(parseAuditEvent(input))),
        ).length;
        integrator.exportEvent(input);
        sent++;
      }
      await sleep(0);
    }
    // Splunk and Elasticsearch deliver everything; Datadog holds it all.
    const deadline = performance.now() + 60_000;
    while (true) {
      const stats = integrator.getStats().perDestination;
      if (stats.splunk!.buffered === 0 && stats.elasticsearch!.buffered === 0) {
        break;
      }
      if (performance.now() > deadline) {
        throw new Error("splunk/es did not drain");
      }
      await sleep(5);
    }
    gc();
    const after = Deno.memoryUsage();
    const stats = integrator.getStats().perDestination;
    const perEvent = (after.heapUsed - before.heapUsed) / total;
    const json = jsonBytes / total;
    report(
      `buffered: datadog ${thousands(stats.datadog!.buffered)}, splunk ${
        stats.splunk!.buffered
      }, elasticsearch ${stats.elasticsearch!.buffered}; datadog state ${
        stats.datadog!.state
      }, ${logger.warnings} backoff warnings, ${deadLettered} dead-lettered`,
    );
    report(
      `heapUsed ${(before.heapUsed / 2 ** 20).toFixed(1)} MiB -> ${
        (after.heapUsed / 2 ** 20).toFixed(1)
      } MiB: ${
        thousands(perEvent)
      } bytes per buffered event; the event's own JSON averages ${
        thousands(json)
      } bytes; beyond it: ${
        thousands(perEvent - json)
      } bytes per event; target <= 1024: ${
        perEvent - json <= 1024 ? "met" : "MISSED"
      }`,
    );
    report(
      `rss ${(after.rss / 2 ** 20).toFixed(0)} MiB (was ${
        (before.rss / 2 ** 20).toFixed(0)
      } MiB)`,
    );
    if (stats.datadog!.buffered !== total) {
      throw new Error(
        `datadog buffered ${stats.datadog!.buffered}, expected ${total}`,
      );
    }
    const counts = await receiver.counts();
    report(
      `receiver got ${thousands(counts.platforms.splunk.events)} splunk and ${
        thousands(counts.platforms.elasticsearch.events)
      } elasticsearch events; answered 503 to ${counts.down} datadog requests`,
    );
    if (
      counts.platforms.splunk.events !== total ||
      counts.platforms.elasticsearch.events !== total
    ) {
      throw new Error("splunk/elasticsearch did not receive every event");
    }
  } finally {
    const stop = await integrator.stop({ timeoutMs: 100 });
    report(
      `stop(): ${
        thousands(stop.undeliveredCount)
      } undelivered (the Datadog backlog), returned to the caller`,
    );
  }
}

async function main(): Promise<void> {
  const short = hasFlag("--short");
  const phaseArg = Deno.args.find((a) => a.startsWith("--phase="));
  const phase = phaseArg?.slice("--phase=".length) ?? "all";
  report(`# e2e benchmark: ${machineLine()}${short ? SHORT_NOTE : ""}`);
  await using receiver = await startReceiver();
  if (phase === "all" || phase === "throughput") {
    await throughput(
      receiver,
      short ? 6000 : numberOption("--events", 200_000),
    );
    report();
  }
  if (phase === "all" || phase === "latency") {
    await latency(
      receiver,
      short ? 2000 : numberOption("--rate", 10_000),
      short ? 1 : numberOption("--seconds", 10),
      1000,
    );
    report();
    await latency(receiver, short ? 100 : 200, short ? 1.5 : 5, 1000);
    report();
  }
  if (phase === "all" || phase === "memory") {
    await memory(receiver, short ? 5000 : 100_000);
  }
}

if (import.meta.main) {
  await main();
}
