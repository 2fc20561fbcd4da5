/**
 * Our exporters against the platforms' official Node clients, on the same
 * events, batches and receiver: 100,000 realistic events in batches of 1000,
 * one request at a time, to `bench/peers/receiver.ts` running in its own
 * process.
 *
 * - Splunk: `SplunkExporter.send()` vs `splunk-logging` (`Logger` with
 *   `maxBatchCount: 1000`, the event sent as it is).
 * - Elasticsearch: `ElasticsearchExporter.send()` vs
 *   `@elastic/elasticsearch`'s `client.helpers.bulk` (one helper call per
 *   batch: the helper flushes by bytes only, so each call gets a 1000-event
 *   array and a `flushBytes` larger than the batch) and `client.bulk` with
 *   the operations built by hand.
 * - Datadog: `DatadogExporter.send()` vs `@datadog/datadog-api-client`
 *   (`v2.LogsApi.submitLog` with 1000 logs, `baseServer` at the receiver,
 *   no compression), as configured by default (on Deno it sends through
 *   cross-fetch, that is node-fetch over `node:http`) and with its `fetch`
 *   option set to Deno's fetch.
 *
 * The official clients run under Deno's Node compatibility layer (undici
 * for Elasticsearch, needle and node-fetch over `node:http` for the
 * others). Rounds alternate which client goes first. Besides events per
 * second, each run reports the CPU time per event of this process and of
 * the receiver: requests go one at a time, so the wall time adds both.
 *
 * Every client sends the same content: the HEC envelope with the event,
 * the bulk `create` with `_id` and the event with `@timestamp`, the Datadog
 * log with the same reserved attributes and the event under `audit`. The
 * receiver counts what arrives, and each run is checked against it.
 *
 * Run: `deno task bench:peers` (or with `--short` for a quick check;
 * `--rounds=N` to change the number of rounds).
 *
 * @module
 */
import process from "node:process";
import type { v2 as ddV2 } from "npm:@datadog/datadog-api-client@1.64.0";
import type { SIEMEvent } from "../../src/events/siem_event.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import type { ReceiverPlatform } from "./receiver.ts";
import {
  cell,
  chunk,
  hasFlag,
  machineLine,
  median,
  numberOption,
  realisticSIEMEvents,
  type ReceiverProcess,
  report,
  SHORT_NOTE,
  startReceiver,
  thousands,
} from "../support.ts";

/** One way of sending batches to one platform. */
interface Runner {
  /** What the report calls it. */
  name: string;
  /** Ours or an official client. */
  side: "ours" | "theirs";
  /** The receiver's platform. */
  platform: ReceiverPlatform;
  /** Sends the batches one request at a time; resolves when all are answered. */
  run(batches: readonly SIEMEvent[][]): Promise<void>;
  /** Releases connections. */
  close?(): Promise<void>;
}

/** One timed run. */
interface Measure {
  runner: Runner;
  ms: number;
  /** CPU time of this process (the sender). */
  cpuMs: number;
  /** CPU time of the receiver process. */
  receiverCpuMs: number;
  /** Body bytes the receiver got. */
  bytes: number;
  events: number;
}

const INDEX = "harombe-security";
const SOURCETYPE = "harombe:security";
const SERVICE = "harombe";

function ourRunners(url: string): Runner[] {
  const make = (platform: ReceiverPlatform): Runner => {
    const exporter = createExporter({
      platform,
      endpoint: url,
      token: "bench-token",
      index: INDEX,
      sourcetype: SOURCETYPE,
      service: SERVICE,
    });
    return {
      name: `ours: ${exporter.constructor.name}.send()`,
      side: "ours",
      platform,
      async run(batches): Promise<void> {
        for (const batch of batches) {
          const { verdict, status } = await exporter.send(batch);
          if (verdict.kind !== "delivered") {
            throw new Error(`${platform}: HTTP ${status}, ${verdict.kind}`);
          }
        }
      },
    };
  };
  return [make("splunk"), make("elasticsearch"), make("datadog")];
}

/** The callback-style `send` of splunk-logging, as far as it is used here. */
interface SplunkLoggerLike {
  eventFormatter: (message: unknown, severity: string) => unknown;
  send(
    context: { message: unknown; metadata?: Record<string, unknown> },
    callback?: (error: unknown, response: unknown, body: unknown) => void,
  ): void;
  error: (error: unknown, context: unknown) => void;
}

// The official clients are imported when the script runs, not when the
// module loads: `deno bench bench/` loads every *_bench.ts, and these
// clients read the environment and the OS as they load.

async function splunkLoggingRunner(url: string): Promise<Runner> {
  const { default: SplunkLogger } = await import("npm:splunk-logging@0.11.1");
  const Logger = SplunkLogger.Logger as unknown as new (
    config: Record<string, unknown>,
  ) => SplunkLoggerLike;
  const logger = new Logger({
    token: "bench-token",
    url,
    path: "/services/collector/event",
    maxBatchCount: 1000,
    maxRetries: 0,
  });
  // Send the event itself, not splunk-logging's {message, severity} wrapper.
  logger.eventFormatter = (message: unknown): unknown => message;
  let lastError: unknown;
  logger.error = (error: unknown): void => {
    lastError = error;
  };
  return {
    name: "splunk-logging 0.11.1 Logger (maxBatchCount 1000)",
    side: "theirs",
    platform: "splunk",
    async run(batches): Promise<void> {
      for (const batch of batches) {
        if (batch.length !== 1000 && batches.length > 1) {
          throw new Error("splunk-logging flushes by count: batches of 1000");
        }
        await new Promise<void>((resolve, reject) => {
          for (let i = 0; i < batch.length; i++) {
            const event = batch[i]!;
            const last = i === batch.length - 1;
            logger.send(
              {
                message: event,
                metadata: {
                  time: Date.parse(event.timestamp),
                  source: event.source,
                  sourcetype: SOURCETYPE,
                  index: INDEX,
                },
              },
              last
                ? (error: unknown, _response: unknown, body: unknown): void => {
                  const code = (body as { code?: number } | undefined)?.code;
                  if (error || lastError || code !== 0) {
                    reject(
                      new Error(
                        `splunk-logging: ${String(error ?? lastError)} ${
                          JSON.stringify(body)
                        }`,
                      ),
                    );
                  } else resolve();
                }
                : undefined,
            );
          }
        });
      }
    },
  };
}

function elasticDocument(
  event: SIEMEvent,
): [{ create: { _id: string } }, Record<string, unknown>] {
  return [
    { create: { _id: event.event_id } },
    { "@timestamp": event.timestamp, ...event },
  ];
}

async function elasticRunners(url: string): Promise<Runner[]> {
  const { Client } = await import("npm:@elastic/elasticsearch@9.5.1");
  const client = new Client({
    node: url,
    auth: { apiKey: "bench-token" },
    compression: false,
    maxRetries: 0,
  });
  const helper: Runner = {
    name: "@elastic/elasticsearch 9.5.1 helpers.bulk (per batch)",
    side: "theirs",
    platform: "elasticsearch",
    async run(batches): Promise<void> {
      for (const batch of batches) {
        const stats = await client.helpers.bulk<SIEMEvent>({
          datasource: batch,
          index: INDEX,
          onDocument: elasticDocument,
          // One request per call: the whole batch fits under flushBytes.
          flushBytes: 1 << 30,
          concurrency: 1,
          retries: 0,
        });
        if (stats.successful !== batch.length) {
          throw new Error(`helpers.bulk: ${JSON.stringify(stats)}`);
        }
      }
    },
    async close(): Promise<void> {
      await client.close();
    },
  };
  const bulk: Runner = {
    name: "@elastic/elasticsearch 9.5.1 client.bulk({operations})",
    side: "theirs",
    platform: "elasticsearch",
    async run(batches): Promise<void> {
      for (const batch of batches) {
        const operations: unknown[] = [];
        for (const event of batch) operations.push(...elasticDocument(event));
        const answer = await client.bulk({ index: INDEX, operations });
        if (answer.errors || answer.items.length !== batch.length) {
          throw new Error("client.bulk: errors in the answer");
        }
      }
    },
  };
  return [helper, bulk];
}

function datadogMessage(event: SIEMEvent): string {
  const tool = event.tool_name === undefined ? "" : ` ${event.tool_name}`;
  return `${event.event_type}: ${event.actor} ${event.action}${tool} -> ${event.status}`;
}

async function datadogRunners(url: string): Promise<Runner[]> {
  const { client: ddClient, v2 } = await import(
    "npm:@datadog/datadog-api-client@1.64.0"
  );
  const make = (
    name: string,
    fetch: typeof globalThis.fetch | undefined,
  ): Runner => {
    const configuration = ddClient.createConfiguration({
      baseServer: new ddClient.BaseServerConfiguration(url, {}),
      authMethods: { apiKeyAuth: "bench-token" },
      httpConfig: { compress: false },
      enableRetry: false,
      ...(fetch ? { fetch } : {}),
    });
    const api = new v2.LogsApi(configuration);
    return {
      name,
      side: "theirs",
      platform: "datadog",
      async run(batches): Promise<void> {
        for (const batch of batches) {
          await api.submitLog({
            body: batch.map((event): ddV2.HTTPLogItem => ({
              ddsource: event.source,
              ddtags: `event_type:${event.event_type}`,
              service: SERVICE,
              message: datadogMessage(event),
              additionalProperties: {
                status: event.severity,
                timestamp: event.timestamp,
                audit: event,
              },
            })),
          });
        }
      },
    };
  };
  return [
    // As configured by default: on Deno (process.versions.node is set) it
    // sends through cross-fetch, that is node-fetch over Deno's node:http.
    make("@datadog/datadog-api-client 1.64.0 v2.LogsApi.submitLog", undefined),
    // The documented `fetch` option, with Deno's own fetch (as ours uses).
    make(
      "@datadog/datadog-api-client 1.64.0 submitLog, fetch: Deno's fetch",
      globalThis.fetch,
    ),
  ];
}

async function timed(
  runner: Runner,
  batches: readonly SIEMEvent[][],
  receiver: ReceiverProcess,
): Promise<Measure> {
  const events = batches.reduce((sum, batch) => sum + batch.length, 0);
  const start = await receiver.counts();
  const before = start.platforms[runner.platform];
  const cpu = process.cpuUsage();
  const started = performance.now();
  await runner.run(batches);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const end = await receiver.counts();
  const after = end.platforms[runner.platform];
  const received = after.events - before.events;
  const requests = after.requests - before.requests;
  if (received !== events || requests !== batches.length) {
    throw new Error(
      `${runner.name}: the receiver got ${received} events in ${requests} requests, expected ${events} in ${batches.length}`,
    );
  }
  if (after.gzipped !== before.gzipped) {
    throw new Error(`${runner.name}: sent gzip-encoded bodies`);
  }
  return {
    runner,
    ms,
    cpuMs: (used.user + used.system) / 1000,
    receiverCpuMs: end.cpuMs - start.cpuMs,
    bytes: after.bytes - before.bytes,
    events,
  };
}

async function main(): Promise<void> {
  const short = hasFlag("--short");
  const total = short ? 3000 : numberOption("--events", 100_000);
  const rounds = short ? 1 : numberOption("--rounds", 5);
  const batchSize = 1000;
  report(`# peer benchmark: ${machineLine()}`);
  report(
    `${
      thousands(total)
    } realistic events in batches of ${batchSize}, one request at a time, ${rounds} round(s)${
      short ? SHORT_NOTE : ""
    }`,
  );
  const events = realisticSIEMEvents(total);
  const batches = chunk(events, batchSize);
  const bytes = events.reduce((sum, e) => sum + JSON.stringify(e).length, 0);
  report(`average event JSON: ${Math.round(bytes / events.length)} bytes`);

  await using receiver = await startReceiver();
  const ours = ourRunners(receiver.url);
  const theirs: Runner[] = [
    await splunkLoggingRunner(receiver.url),
    ...await elasticRunners(receiver.url),
    ...await datadogRunners(receiver.url),
  ];
  const runners = [...ours, ...theirs];
  try {
    // Warm-up: every client sends a few batches, compiled before timing.
    const warm = batches.slice(0, short ? 1 : 5);
    for (const runner of runners) await timed(runner, warm, receiver);

    const results = new Map<Runner, Measure[]>();
    for (const runner of runners) results.set(runner, []);
    for (let round = 0; round < rounds; round++) {
      for (const platform of ["splunk", "elasticsearch", "datadog"] as const) {
        const group = runners.filter((r) => r.platform === platform);
        // Alternate who goes first, so that neither always follows the other.
        if (round % 2 === 1) group.reverse();
        for (const runner of group) {
          const measure = await timed(runner, batches, receiver);
          results.get(runner)!.push(measure);
          report(
            `round ${round + 1} ${cell(platform, 13)} ${
              cell(runner.name, 58)
            } ${
              cell(thousands(measure.events / (measure.ms / 1000)), 9)
            } events/s  CPU µs/event: sender ${
              (measure.cpuMs * 1000 / measure.events).toFixed(1)
            }, receiver ${
              (measure.receiverCpuMs * 1000 / measure.events).toFixed(1)
            }`,
          );
        }
      }
    }

    report();
    report(
      "| platform | client | events/s (median) | sender CPU µs/event | receiver CPU µs/event | body bytes/event | ours ÷ theirs: median (range over rounds) |",
    );
    report("| --- | --- | --- | --- | --- | --- | --- |");
    for (const platform of ["splunk", "elasticsearch", "datadog"] as const) {
      const our = ours.find((r) => r.platform === platform)!;
      const ourRuns = results.get(our)!;
      for (const runner of runners.filter((r) => r.platform === platform)) {
        const runs = results.get(runner)!;
        const rate = median(runs.map((m) => m.events / (m.ms / 1000)));
        const cpu = median(runs.map((m) => m.cpuMs * 1000 / m.events));
        const receiverCpu = median(
          runs.map((m) => m.receiverCpuMs * 1000 / m.events),
        );
        const ratios = runs.map((m, i) => m.ms / ourRuns[i]!.ms);
        const ratio = runner === our
          ? "1.00x"
          : `${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${
            Math.max(...ratios).toFixed(2)
          })`;
        report(
          `| ${platform} | ${runner.name} | ${thousands(rate)} | ${
            cpu.toFixed(1)
          } | ${receiverCpu.toFixed(1)} | ${
            Math.round(runs[0]!.bytes / runs[0]!.events)
          } | ${ratio} |`,
        );
      }
    }
    const counts = await receiver.counts();
    report();
    report(
      `receiver totals: ${
        Object.entries(counts.platforms).map(([p, c]) =>
          `${p} ${thousands(c.events)} events in ${c.requests} requests`
        ).join(", ")
      }; every run was checked against them`,
    );
  } finally {
    for (const runner of runners) await runner.close?.();
  }
}

if (import.meta.main) {
  await main();
}
