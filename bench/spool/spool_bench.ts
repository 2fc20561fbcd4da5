/**
 * The durable spool's own cost, without HTTP ingest: a `KvSpool` on a SQLite
 * file with Splunk, Elasticsearch and Datadog destinations (batches of 100)
 * delivering to `bench/peers/receiver.ts` in its own process.
 *
 * - accept: `spool.accept()` of 100 events at a time, the spool not started
 *   (nothing delivered meanwhile): events per second, and CPU time of this
 *   process's main thread per event.
 * - deliver: then `start()` until every destination has delivered all:
 *   events per second per destination, and main-thread CPU time per event
 *   per destination (loading, decoding, formatting, sending, recording).
 *
 * Each round uses a new store; `--rounds` rounds (default 3) give a range.
 * Main-thread CPU is the figure that decides how much of a core the spool
 * leaves to the ingest in the same isolate; the rates also wait on SQLite's
 * writer thread and the receiver.
 *
 * Run: `deno task bench:spool [--events=60000] [--rounds=3] [--short]`.
 *
 * @module
 */
import { KvSpool } from "../../src/spool/kv_spool.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import type { Logger } from "../../src/delivery/logger.ts";
import {
  chunk,
  hasFlag,
  machineLine,
  mainThreadCpuMs,
  numberOption,
  realisticSIEMEvents,
  report,
  SHORT_NOTE,
  startReceiver,
} from "../support.ts";
import { loadAverage1 } from "../machine_load.ts";

const quiet: Logger = {
  warn(): void {},
  error(message, fields): void {
    report(`spool error: ${message} ${JSON.stringify(fields ?? {})}`);
  },
};

interface Round {
  acceptPerSecond: number;
  acceptCpuUs: number;
  deliverPerSecond: number;
  deliverCpuUs: number;
}

async function round(
  url: string,
  count: number,
  seed: number,
): Promise<Round> {
  const configs: SIEMConfigInput[] = (
    ["splunk", "elasticsearch", "datadog"] as const
  ).map((platform) => ({
    platform,
    endpoint: url,
    token: "bench",
    batchSize: 100,
  }));
  const dir = await Deno.makeTempDir({ prefix: "harombe-spool-bench-" });
  const kv = await Deno.openKv(`${dir}/spool.sqlite`);
  try {
    const spool = new KvSpool(kv, configs, { logger: quiet });
    const events = realisticSIEMEvents(count, seed);
    let cpu = mainThreadCpuMs();
    let started = performance.now();
    for (const part of chunk(events, 100)) await spool.accept(part);
    const acceptMs = performance.now() - started;
    const acceptCpu = mainThreadCpuMs() - cpu;
    cpu = mainThreadCpuMs();
    started = performance.now();
    spool.start();
    while (spool.getStats().buffered > 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const deliverMs = performance.now() - started;
    const deliverCpu = mainThreadCpuMs() - cpu;
    await spool.stop({ timeoutMs: 5000 });
    return {
      acceptPerSecond: count / acceptMs * 1000,
      acceptCpuUs: acceptCpu * 1000 / count,
      deliverPerSecond: count / deliverMs * 1000,
      deliverCpuUs: deliverCpu * 1000 / count / configs.length,
    };
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function range(values: number[], digits = 0): string {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted[Math.floor(sorted.length / 2)]!;
  return `${mid.toFixed(digits)} (${sorted[0]!.toFixed(digits)}-${
    sorted.at(-1)!.toFixed(digits)
  })`;
}

if (import.meta.main) {
  const short = hasFlag("--short");
  const count = short ? 2000 : numberOption("--events", 60_000);
  const rounds = short ? 1 : numberOption("--rounds", 3);
  report(`# KvSpool accept and delivery cost${short ? SHORT_NOTE : ""}`);
  report(machineLine());
  report(`load average before: ${loadAverage1().toFixed(2)}`);
  await using receiver = await startReceiver();
  const results: Round[] = [];
  for (let i = 0; i < rounds; i++) {
    results.push(await round(receiver.url, count, i + 1));
  }
  report(`load average after: ${loadAverage1().toFixed(2)}`);
  report(
    `${count} events x 3 destinations, ${rounds} round(s), median (range):`,
  );
  report(
    `accept:  ${
      range(results.map((r) => r.acceptPerSecond))
    } events/s; main thread ${
      range(results.map((r) => r.acceptCpuUs), 1)
    } us per event`,
  );
  report(
    `deliver: ${
      range(results.map((r) => r.deliverPerSecond))
    } events/s per destination; main thread ${
      range(results.map((r) => r.deliverCpuUs), 1)
    } us per event per destination`,
  );
}
