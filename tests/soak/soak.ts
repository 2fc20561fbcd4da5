// deno-lint-ignore-file no-console
/**
 * Soak run of the ingest (on demand, not a test): the ingest app on
 * `Deno.serve` (127.0.0.1) in front of a `KvSpool` (default) or a
 * `SIEMIntegrator`, delivering to the three strict fake SIEMs (in a worker,
 * so their storage is not in this isolate's heap), while a second process
 * (`soak_client.ts`) posts NDJSON requests of 100 events at a fixed
 * concurrency for a fixed time, and one destination flaps: 503 for 2 s
 * every 10 s.
 *
 * It reports zero loss (every event acknowledged with 202 is stored by every
 * SIEM), duplicates, the error rate and p50/p99 request latency seen by the
 * client, and this isolate's `heapUsed` sampled every second.
 *
 *   deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-env \
 *     --allow-run tests/soak/soak.ts [--short] [--sink=spool|integrator]
 *     [--flap=elasticsearch|splunk|datadog|none] [--concurrency=8]
 *     [--rate=EVENTS_PER_SECOND] [--batch-size=100] [--requests=1]
 *     [--delivery=same|worker]
 *
 * With `--rate`, the client offers that load at a steady pace (at most
 * `--concurrency` requests open, 64 unless set) instead of as fast as the
 * answers come, and the run checks that delivery keeps up: when the load
 * ends, each destination's backlog (stored, not yet delivered) is at most
 * two batches; it exits 1 otherwise. Accept and delivery rates over the load
 * are reported side by side.
 *
 * With `--delivery=worker` (spool sink only), the ingest's spool only
 * accepts, and a second spool on the same store delivers in a worker
 * (tests/soak/delivery_worker.ts): where delivery would run if it had a
 * core of its own. An experiment, not a mode of the server.
 *
 * `SOAK_SECONDS` sets the load time (default 60; `--short`: 5). Exits 1 on
 * loss or when nothing was acknowledged.
 *
 * @module
 */
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import type { DeliveryStats } from "../../src/delivery/stats.ts";
import { createIngestApp } from "../../src/ingest/app.ts";
import type { IngestSink } from "../../src/ingest/sink.ts";
import { integratorSink } from "../../src/ingest/sink.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { KvSpool } from "../../src/spool/kv_spool.ts";
import {
  type ChaosPlatform,
  ChaosReceivers,
} from "../chaos/chaos_receivers.ts";
import {
  collectGarbage,
  CountingLogger,
  DeadLetterBook,
  delay,
  mb,
} from "../chaos/chaos_run.ts";
import { TOKENS } from "../support/receivers.ts";
import type { SoakClientReport } from "./soak_client.ts";
import { mainThreadCpuMs } from "../../bench/support.ts";

const INGEST_TOKEN = "soak-ingest-token-0123456789";

/**
 * The three destinations the soak figures are for (docs/reliability.md): the
 * chaos receivers serve more platforms, whose configs need more than a
 * token (SigV4, Entra), and the soak measures the spool, not them.
 */
const PLATFORMS: readonly ChaosPlatform[] = [
  "splunk",
  "elasticsearch",
  "datadog",
];
const CLIENT = new URL("./soak_client.ts", import.meta.url);

/** Delivery settings: defaults, except shorter waits so a flap costs seconds, not minutes. */
const DELIVERY = {
  flushIntervalMs: 1000,
  maxRetries: 3,
  retryDelayMs: 200,
  maxRetryDelayMs: 5000,
  timeoutMs: 5000,
} as const;

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return Deno.args.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

function settings(): {
  seconds: number;
  short: boolean;
  sink: "spool" | "integrator";
  flap: ChaosPlatform | "none";
  concurrency: number;
  rate: number;
  batchSize: number;
  requests: number;
  delivery: "same" | "worker";
} {
  const short = Deno.args.includes("--short");
  const seconds = short ? 5 : Number(Deno.env.get("SOAK_SECONDS") || "60");
  if (!(seconds > 0 && seconds <= 3600)) {
    throw new RangeError("SOAK_SECONDS must be in 1..3600");
  }
  const sink = flag("sink") ?? "spool";
  if (sink !== "spool" && sink !== "integrator") {
    throw new RangeError("--sink must be spool or integrator");
  }
  const flap = flag("flap") ?? "elasticsearch";
  if (flap !== "none" && !PLATFORMS.includes(flap as ChaosPlatform)) {
    throw new RangeError(
      "--flap must be splunk, elasticsearch, datadog or none",
    );
  }
  const rate = Number(flag("rate") ?? "0");
  if (!(rate >= 0 && rate <= 1_000_000)) {
    throw new RangeError("--rate must be events per second, 1..1000000");
  }
  const delivery = flag("delivery") ?? "same";
  if (delivery !== "same" && delivery !== "worker") {
    throw new RangeError("--delivery must be same or worker");
  }
  const batchSize = Number(flag("batch-size") ?? "100");
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) {
    throw new RangeError("--batch-size must be in 1..1000");
  }
  const requests = Number(flag("requests") ?? "1");
  if (!Number.isInteger(requests) || requests < 1 || requests > 16) {
    throw new RangeError("--requests must be in 1..16");
  }
  const concurrency = Number(
    flag("concurrency") ?? Deno.env.get("SOAK_CONCURRENCY") ??
      (rate > 0 ? "64" : "8"),
  );
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new RangeError("--concurrency must be in 1..256");
  }
  return {
    seconds,
    short,
    sink,
    flap: flap as ChaosPlatform | "none",
    concurrency,
    rate,
    batchSize,
    requests,
    delivery: delivery as "same" | "worker",
  };
}

function configs(
  urls: Record<ChaosPlatform, string>,
  batchSize: number,
  maxConcurrentRequests: number,
): SIEMConfigInput[] {
  return PLATFORMS.map((platform) => ({
    platform,
    endpoint: urls[platform],
    token: TOKENS[platform],
    ...DELIVERY,
    batchSize,
    maxConcurrentRequests,
  }));
}

function percentOf(part: number, whole: number): string {
  return whole === 0 ? "0" : ((part / whole) * 100).toFixed(2);
}

/** Heap samples: `heapUsed` as is, every second. */
class Samples {
  readonly values: number[] = [];
  maxRss = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  start(): void {
    this.#take();
    this.#timer = setInterval(() => this.#take(), 1000);
  }
  stop(): void {
    clearInterval(this.#timer);
    this.#take();
  }
  #take(): void {
    const usage = Deno.memoryUsage();
    this.values.push(usage.heapUsed);
    this.maxRss = Math.max(this.maxRss, usage.rss);
  }
}

function retainedHeap(): number | undefined {
  if (!collectGarbage) return undefined;
  collectGarbage();
  return Deno.memoryUsage().heapUsed;
}

function deliveryLine(stats: DeliveryStats): string {
  return PLATFORMS.map((name) => {
    const d = stats.perDestination[name]!;
    return `${name}: exported ${d.eventsExported}, failed ${d.eventsFailed}, buffered ${d.buffered}, requests ${d.exportsTotal} (${d.exportsFailed} failed), retries ${d.totalRetries}`;
  }).join("; ");
}

/**
 * `--delivery=worker`: a second spool on the same store delivers, in a
 * worker (tests/soak/delivery_worker.ts); its figures are fetched every
 * 100 ms, so that the soak reads them as it reads its sink's.
 */
class DeliveryWorker {
  readonly #worker = new Worker(
    new URL("./delivery_worker.ts", import.meta.url),
    { type: "module" },
  );
  #stats: DeliveryStats | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #waiting = new Map<string, (data: unknown) => void>();

  static async start(
    path: string,
    configs: SIEMConfigInput[],
  ): Promise<DeliveryWorker> {
    const worker = new DeliveryWorker();
    worker.#worker.onmessage = (event) => {
      const data = event.data as { type: string; stats?: DeliveryStats };
      if (data.stats !== undefined) worker.#stats = data.stats;
      const resolve = worker.#waiting.get(data.type);
      worker.#waiting.delete(data.type);
      resolve?.(data);
    };
    await worker.#ask({ type: "start", path, configs });
    worker.#timer = setInterval(() => void worker.refresh(), 100);
    return worker;
  }

  get stats(): DeliveryStats | undefined {
    return this.#stats;
  }

  async refresh(): Promise<void> {
    await this.#ask({ type: "stats" });
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#ask({ type: "stop" });
    this.#worker.terminate();
  }

  #ask(message: { type: string; [key: string]: unknown }): Promise<unknown> {
    const { promise, resolve } = Promise.withResolvers<unknown>();
    const earlier = this.#waiting.get(message.type);
    this.#waiting.set(message.type, (data) => {
      earlier?.(data);
      resolve(data);
    });
    this.#worker.postMessage(message);
    return promise;
  }
}

// The figures the soak reads: its sink's, or with a delivery worker, the
// worker's delivery and the sink's accepted count.
function statsOf(
  sink: IngestSink,
  deliverer: DeliveryWorker | undefined,
): DeliveryStats {
  const own = sink.getStats();
  const delivered = deliverer?.stats;
  if (delivered === undefined) return own;
  return { ...delivered, eventsAccepted: own.eventsAccepted };
}

async function main(): Promise<number> {
  const started = performance.now();
  const {
    seconds,
    short,
    sink: sinkKind,
    flap,
    concurrency,
    rate,
    batchSize,
    requests,
    delivery,
  } = settings();
  const runId = crypto.randomUUID().slice(0, 8);
  const prefix = `soak-${runId}-`;
  // Room for far more events than a run can post (the client stops there).
  const maxEvents = Math.min(20_000_000, Math.ceil(seconds * 60_000) + 100_000);
  const logger = new CountingLogger();
  const book = new DeadLetterBook();
  const receivers = await ChaosReceivers.start({
    tokens: TOKENS,
    prefix,
    count: maxEvents,
    splunkMaxEventBytes: 1_000_000,
    esMaxContentLength: 100_000_000,
  });
  const dir = await Deno.makeTempDir({ prefix: "harombe-soak-" });
  let kv: Deno.Kv | undefined;
  let spool: KvSpool | undefined;
  let integrator: SIEMIntegrator | undefined;
  let deliverer: DeliveryWorker | undefined;
  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const samples = new Samples();
  try {
    let sink: IngestSink;
    if (sinkKind === "spool") {
      kv = await Deno.openKv(`${dir}/spool.sqlite`);
      spool = new KvSpool(kv, configs(receivers.urls, batchSize, requests), {
        logger,
        onDeadLetter: book.add,
      });
      if (delivery === "worker") {
        deliverer = await DeliveryWorker.start(
          `${dir}/spool.sqlite`,
          configs(receivers.urls, batchSize, requests),
        );
      } else spool.start();
      sink = spool;
    } else {
      integrator = new SIEMIntegrator(
        configs(receivers.urls, batchSize, requests),
        {
          logger,
          onDeadLetter: book.add,
        },
      );
      sink = integratorSink(integrator);
    }
    const app = createIngestApp({ sink, tokens: [INGEST_TOKEN], logger });
    const { promise: listening, resolve } = Promise.withResolvers<
      Deno.NetAddr
    >();
    server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: resolve },
      app.fetch,
    );
    const address = await listening;
    const url = `http://127.0.0.1:${address.port}`;
    const heapAtStart = retainedHeap();
    console.log(
      `soak: ${sinkKind} sink, ${seconds} s of load ${
        rate > 0
          ? `offered at ${rate} events/s (at most ${concurrency} requests open)`
          : `at concurrency ${concurrency}`
      } (100 events per request, batches of ${batchSize}, ${requests} in flight per destination) from a second process; ${
        flap === "none"
          ? "no flapping"
          : `${flap} answers 503 for 2 s every 10 s`
      }; ingest on ${url}`,
    );

    // One destination flaps: down 2 s out of every 10, from 1 s on.
    let flaps = 0;
    const flapAt = (at: number): void => {
      if (flap === "none") return;
      const timer = setTimeout(async () => {
        timers.delete(timer);
        flaps++;
        await receivers.down(flap, { status: 503 });
        const up = setTimeout(async () => {
          timers.delete(up);
          await receivers.down(flap, null);
        }, 2000);
        timers.add(up);
        if (at + 10_000 < seconds * 1000) flapAt(at + 10_000);
      }, at === 1000 ? 1000 : 10_000);
      timers.add(timer);
    };
    samples.start();
    flapAt(1000);
    const cpuAtStart = mainThreadCpuMs();
    // --trace: the delivery counters every second.
    const tracer = Deno.args.includes("--trace")
      ? setInterval(() => {
        const stats = statsOf(sink, deliverer);
        console.log(
          `trace ${((performance.now() - started) / 1000).toFixed(0)} s: ${
            PLATFORMS.map((name) => {
              const d = stats.perDestination[name]!;
              return `${name} exported ${d.eventsExported} (${
                stats.eventsAccepted - d.eventsExported
              } behind) buffered ${d.buffered} ${d.state}`;
            }).join("; ")
          }`,
        );
      }, 1000)
      : undefined;

    const client = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--no-config",
        "--allow-net=127.0.0.1",
        CLIENT.pathname,
        `--url=${url}`,
        `--token=${INGEST_TOKEN}`,
        `--seconds=${seconds}`,
        `--concurrency=${concurrency}`,
        `--prefix=${prefix}`,
        `--max-events=${maxEvents}`,
        `--rate=${rate}`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const clientTimeout = setTimeout(
      () => client.kill("SIGKILL"),
      (seconds + 60) * 1000,
    );
    const [status, out, err] = await Promise.all([
      client.status,
      new Response(client.stdout).text(),
      new Response(client.stderr).text(),
    ]);
    clearTimeout(clientTimeout);
    const loadEnded = performance.now();
    await deliverer?.refresh();
    const atLoadEnd = statsOf(sink, deliverer);
    const loadCpuMs = mainThreadCpuMs() - cpuAtStart;
    if (!status.success) {
      console.log(`soak: the client failed (${status.code}): ${err.trim()}`);
      return 1;
    }
    const report = JSON.parse(
      out.trim().split("\n").at(-1)!,
    ) as SoakClientReport;
    const heapAfterLoad = retainedHeap();

    // Wait for the flapping to end, then for the backlog to drain.
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    if (flap !== "none") await receivers.down(flap, null);
    // Bounded: up to 10 minutes, and no longer than 30 s without progress.
    const drainDeadline = Date.now() + 600_000;
    const backlog = (): number => {
      const stats = statsOf(sink, deliverer);
      return PLATFORMS.reduce((n, name) => {
        const d = stats.perDestination[name]!;
        // With a delivery worker, its count of what the store holds lags
        // what the ingest's spool accepted (it reads the store now and then):
        // what was accepted and not yet settled instead.
        return n + (deliverer === undefined ? d.buffered : Math.max(
          0,
          stats.eventsAccepted - d.eventsExported - d.eventsFailed,
        ));
      }, 0);
    };
    const pending = (): boolean => backlog() > 0;
    let lastBacklog = backlog();
    let lastProgress = Date.now();
    while (pending() && Date.now() < drainDeadline) {
      await delay(50);
      const now = backlog();
      if (now < lastBacklog) {
        lastBacklog = now;
        lastProgress = Date.now();
      } else if (Date.now() - lastProgress > 30_000) break;
    }
    const drained = !pending();
    const drainMs = performance.now() - loadEnded;
    samples.stop();
    clearInterval(tracer);
    const heapAfterDrain = retainedHeap();

    const acked = new Uint32Array(report.acknowledged.length * 100);
    report.acknowledged.forEach((request, i) => {
      for (let k = 0; k < 100; k++) acked[i * 100 + k] = request * 100 + k;
    });
    const checks = await receivers.check(acked);
    const stats = statsOf(sink, deliverer);
    const errors = report.requests - (report.statuses["202"] ?? 0);
    const missing = PLATFORMS.reduce((n, p) => n + checks[p].missing, 0);
    // Missing at a SIEM but still held by the sink is late, not lost.
    const stillHeld = drained ? 0 : backlog();
    const lost = Math.max(0, missing - stillHeld);
    const heap = samples.values;
    const loadSeconds = report.elapsedMs / 1000;
    console.log(
      `requests: ${report.requests} in ${loadSeconds.toFixed(1)} s (${
        (report.requests / loadSeconds).toFixed(0)
      }/s), answers ${JSON.stringify(report.statuses)}, error rate ${
        percentOf(errors, report.requests)
      }%`,
    );
    console.log(
      `latency (client, per request of 100 events): p50 ${report.latencyMs.p50} ms, p90 ${report.latencyMs.p90} ms, p99 ${report.latencyMs.p99} ms, max ${report.latencyMs.max} ms`,
    );
    console.log(
      `events acknowledged (202): ${acked.length} (${
        (acked.length / loadSeconds).toFixed(0)
      }/s); flaps: ${flaps}`,
    );
    // Side by side over the load: what was accepted, what each destination
    // delivered, and what it had left when the load ended: acknowledged and
    // not yet delivered, counted from the two ends (not from the sink's
    // count of what it stores, which errs high while requests come in).
    const backlogAtEnd = Object.fromEntries(
      PLATFORMS.map((p) => [
        p,
        Math.max(0, acked.length - atLoadEnd.perDestination[p]!.eventsExported),
      ]),
    ) as Record<ChaosPlatform, number>;
    console.log(
      `during the load: accepted ${
        (acked.length / loadSeconds).toFixed(0)
      } events/s; delivered ${
        PLATFORMS.map((p) =>
          `${p} ${
            (atLoadEnd.perDestination[p]!.eventsExported / loadSeconds)
              .toFixed(0)
          }/s`
        ).join(", ")
      }; backlog when it ended ${
        PLATFORMS.map((p) =>
          `${p} ${backlogAtEnd[p]} (${
            (backlogAtEnd[p] / batchSize).toFixed(1)
          } batches; the sink counted ${
            atLoadEnd.perDestination[p]!.buffered
          } held, delivered ones whose record was being written included)`
        ).join(", ")
      }; main thread busy ${
        percentOf(loadCpuMs, report.elapsedMs)
      }% of the time`,
    );
    const keptUp = PLATFORMS.every((p) => backlogAtEnd[p] <= 2 * batchSize);
    if (rate > 0) {
      console.log(
        `offered ${rate} events/s${
          report.late ? ` (${report.late} requests sent over 100 ms late)` : ""
        }: delivery ${
          keptUp ? "kept up" : "did NOT keep up"
        } (backlog at most two batches per destination when the load ended)`,
      );
    }
    for (const platform of PLATFORMS) {
      const check = checks[platform];
      console.log(
        `  ${platform}: not stored ${check.missing}${
          check.missing ? ` (e.g. ${check.missingSample.slice(0, 5)})` : ""
        }, duplicates ${check.duplicates}, stored ${check.stored}, dead-lettered ${
          book.of(platform).size
        }, answers ${JSON.stringify(check.statuses)}`,
      );
    }
    console.log(`sink: ${deliveryLine(stats)}`);
    console.log(
      `backlog after the load: ${
        drained
          ? `drained in ${(drainMs / 1000).toFixed(1)} s`
          : `NOT drained after ${(drainMs / 1000).toFixed(1)} s (${
            Date.now() >= drainDeadline ? "10 min cap" : "30 s without progress"
          }): ${stillHeld} events still held by the sink`
      }`,
    );
    console.log(
      `heapUsed every 1 s (${heap.length} samples, garbage included): min ${
        mb(Math.min(...heap))
      } MB, max ${mb(Math.max(...heap))} MB, last ${mb(heap.at(-1)!)} MB; ` +
        `after a full GC: start ${mb(heapAtStart ?? NaN)} MB, end of load ${
          mb(heapAfterLoad ?? NaN)
        } MB, drained ${mb(heapAfterDrain ?? NaN)} MB; max rss ${
          mb(samples.maxRss)
        } MB (fakes' worker included)`,
    );
    console.log(
      `soak ${
        lost === 0 && drained && (rate === 0 || keptUp) ? "PASSED" : "FAILED"
      }: ${sinkKind}, ${
        short ? "short " : ""
      }${seconds} s, ${acked.length} acknowledged, lost ${lost}${
        drained ? "" : ` (${stillHeld} not delivered yet)`
      }, total ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    if (Object.keys(logger.counts).length > 0) {
      console.log(`log lines: ${JSON.stringify(logger.counts)}`);
    }
    return lost > 0 || !drained || acked.length === 0 || (rate > 0 && !keptUp)
      ? 1
      : 0;
  } finally {
    samples.stop();
    for (const timer of timers) clearTimeout(timer);
    await server?.shutdown();
    await deliverer?.stop();
    await spool?.stop({ timeoutMs: 5000 });
    await integrator?.stop({ timeoutMs: 5000 });
    kv?.close();
    await receivers.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) Deno.exit(await main());
