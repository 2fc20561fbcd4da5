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
 *   no compression), as configured by default (on Deno and on Node it
 *   sends through cross-fetch, that is node-fetch over `node:http`) and
 *   with its `fetch` option set to the runtime's own fetch (Deno's, or
 *   Node's undici).
 *
 * Each official client runs twice: under Deno's Node compatibility layer
 * (undici for Elasticsearch, needle and node-fetch over `node:http` for the
 * others), from this script's npm: specifiers, and on Node itself, in a
 * `node bench/peers/node/peer_clients.mjs` process (`node_clients.ts`) with
 * the same versions installed by npm into bench/peers/node/ (the task runs
 * `bash bench/install_tools.sh peers` first). Both get the same events and
 * batches and send to the same receiver. Rounds alternate which client goes
 * first. Besides events per second, each run reports the CPU time per event
 * of the sender (this process, or the Node process for a run on Node) and of
 * the receiver: requests go one at a time, so the wall time adds both. The
 * result ends with each client's rate on Node and under Deno, ours, and our
 * ratio to each, then how busy the machine was (`../machine_load.ts`): a
 * "BUSY MACHINE" line says when the figures are not comparable.
 *
 * Every client sends the same content: the HEC envelope with the event,
 * the bulk `create` with `_id` and the event with `@timestamp`, the Datadog
 * log with the same reserved attributes and the event under `audit`. The
 * receiver counts what arrives, and each run is checked against it.
 *
 * Run: `deno task bench:peers` (or with `--short` for a quick check, which
 * still runs every client on both runtimes and fails if Node or its clients
 * are missing; `--rounds=N` to change the number of rounds).
 *
 * @module
 */
import process from "node:process";
import type { v2 as ddV2 } from "npm:@datadog/datadog-api-client@1.64.0";
import type { SIEMEvent } from "../../src/events/siem_event.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import type { ReceiverPlatform } from "./receiver.ts";
import {
  type NodeClientId,
  type NodeClients,
  type NodeTiming,
  startNodeClients,
} from "./node_clients.ts";
import {
  loadAverage1,
  readCpu,
  reportLoad,
  summarizeLoad,
} from "../machine_load.ts";
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
  /** What the report calls it (the client, without the runtime). */
  name: string;
  /** Ours or an official client. */
  side: "ours" | "theirs";
  /** The same client on both runtimes has the same id; ours is "ours". */
  client: NodeClientId | "ours";
  /** Where the client runs. */
  runtime: "Deno" | "Node";
  /** The receiver's platform. */
  platform: ReceiverPlatform;
  /**
   * Sends the batches one request at a time; resolves when all are
   * answered, with the timing when the sending ran in another process.
   */
  run(batches: readonly SIEMEvent[][]): Promise<NodeTiming | void>;
  /** Releases connections. */
  close?(): Promise<void>;
}

/** The versions of the official clients, as in the npm: specifiers below. */
const VERSIONS = {
  "splunk-logging": "0.11.1",
  "@elastic/elasticsearch": "9.5.1",
  "@datadog/datadog-api-client": "1.64.0",
} as const;

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
      client: "ours",
      runtime: "Deno",
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
    name: CLIENT_NAMES["splunk-logging"],
    side: "theirs",
    client: "splunk-logging",
    runtime: "Deno",
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
    name: CLIENT_NAMES["elastic-helpers-bulk"],
    side: "theirs",
    client: "elastic-helpers-bulk",
    runtime: "Deno",
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
    name: CLIENT_NAMES["elastic-client-bulk"],
    side: "theirs",
    client: "elastic-client-bulk",
    runtime: "Deno",
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
    client: "datadog-submitLog" | "datadog-submitLog-fetch",
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
      name: CLIENT_NAMES[client],
      side: "theirs",
      client,
      runtime: "Deno",
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
    make("datadog-submitLog", undefined),
    // The documented `fetch` option, with Deno's own fetch (as ours uses).
    make("datadog-submitLog-fetch", globalThis.fetch),
  ];
}

/** What the report calls each official client, on either runtime. */
const CLIENT_NAMES: Record<NodeClientId, string> = {
  "splunk-logging": `splunk-logging ${
    VERSIONS["splunk-logging"]
  } Logger (maxBatchCount 1000)`,
  "elastic-helpers-bulk": `@elastic/elasticsearch ${
    VERSIONS["@elastic/elasticsearch"]
  } helpers.bulk (per batch)`,
  "elastic-client-bulk": `@elastic/elasticsearch ${
    VERSIONS["@elastic/elasticsearch"]
  } client.bulk({operations})`,
  // As configured by default: cross-fetch, that is node-fetch over node:http.
  "datadog-submitLog": `@datadog/datadog-api-client ${
    VERSIONS["@datadog/datadog-api-client"]
  } v2.LogsApi.submitLog`,
  // Its `fetch` option set to the runtime's fetch (Deno's, or Node's undici).
  "datadog-submitLog-fetch": `@datadog/datadog-api-client ${
    VERSIONS["@datadog/datadog-api-client"]
  } submitLog, fetch: the runtime's`,
};

/** The same clients as the Deno runners, run on Node (see node_clients.ts). */
function nodeRunners(node: NodeClients, deno: readonly Runner[]): Runner[] {
  return deno.filter((r) => r.side === "theirs").map((r): Runner => ({
    name: r.name,
    side: "theirs",
    client: r.client,
    runtime: "Node",
    platform: r.platform,
    run: (batches): Promise<NodeTiming> =>
      node.run(r.client as NodeClientId, batches.length),
  }));
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
  const elsewhere = await runner.run(batches);
  let ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  let cpuMs = (used.user + used.system) / 1000;
  // A run on Node is timed by the Node process, without this one's messages.
  if (elsewhere) ({ ms, cpuMs } = elsewhere);
  const end = await receiver.counts();
  const after = end.platforms[runner.platform];
  const received = after.events - before.events;
  const requests = after.requests - before.requests;
  if (received !== events || requests !== batches.length) {
    throw new Error(
      `${runner.name} (${runner.runtime}): the receiver got ${received} events in ${requests} requests, expected ${events} in ${batches.length}`,
    );
  }
  if (after.gzipped !== before.gzipped) {
    throw new Error(
      `${runner.name} (${runner.runtime}): sent gzip-encoded bodies`,
    );
  }
  return {
    runner,
    ms,
    cpuMs,
    receiverCpuMs: end.cpuMs - start.cpuMs,
    bytes: after.bytes - before.bytes,
    events,
  };
}

async function main(): Promise<void> {
  // Read first: starting the receiver and Node below is this run's own load.
  const loadBefore = loadAverage1();
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
  await using node = await startNodeClients(
    receiver.url,
    events,
    batchSize,
    VERSIONS,
  );
  report(
    `official clients on Node ${node.node} (installed by npm into bench/peers/node/) and under Deno ${Deno.version.deno}'s Node layer (npm: specifiers), same versions; 1-minute load average before: ${
      loadBefore.toFixed(2)
    }`,
  );
  const ours = ourRunners(receiver.url);
  const deno: Runner[] = [
    await splunkLoggingRunner(receiver.url),
    ...await elasticRunners(receiver.url),
    ...await datadogRunners(receiver.url),
  ];
  const onNode = nodeRunners(node, deno);
  // Each client on Deno, then the same on Node.
  const runners = [...ours, ...deno.flatMap((r, i) => [r, onNode[i]!])];
  const pids = [receiver.pid, node.pid];
  const start = { ...readCpu(pids), load1: loadBefore };
  try {
    // Warm-up: every client sends a few batches, compiled before timing.
    // (A run on Node sends the same first batches: it is told how many.)
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
              cell(runner.name, 62)
            } ${cell(runner.runtime, 4)} ${
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
    const end = readCpu(pids);

    // Every client sends the same bytes on both runtimes.
    for (const runner of onNode) {
      const twin = deno.find((r) => r.client === runner.client)!;
      const a = results.get(runner)![0]!.bytes;
      const b = results.get(twin)![0]!.bytes;
      if (a !== b) {
        throw new Error(
          `${runner.name}: ${a} body bytes on Node, ${b} under Deno`,
        );
      }
    }

    const rate = (runs: readonly Measure[]): number =>
      median(runs.map((m) => m.events / (m.ms / 1000)));
    const ratio = (runs: readonly Measure[], ourRuns: Measure[]): string => {
      const ratios = runs.map((m, i) => m.ms / ourRuns[i]!.ms);
      return `${median(ratios).toFixed(2)}x (${
        Math.min(...ratios).toFixed(2)
      }-${Math.max(...ratios).toFixed(2)})`;
    };

    report();
    report(
      "| platform | client | runtime | events/s (median) | sender CPU µs/event | receiver CPU µs/event | body bytes/event | ours ÷ this: median (range over rounds) |",
    );
    report("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const platform of ["splunk", "elasticsearch", "datadog"] as const) {
      const our = ours.find((r) => r.platform === platform)!;
      const ourRuns = results.get(our)!;
      for (const runner of runners.filter((r) => r.platform === platform)) {
        const runs = results.get(runner)!;
        const cpu = median(runs.map((m) => m.cpuMs * 1000 / m.events));
        const receiverCpu = median(
          runs.map((m) => m.receiverCpuMs * 1000 / m.events),
        );
        report(
          `| ${platform} | ${runner.name} | ${runner.runtime} | ${
            thousands(rate(runs))
          } | ${cpu.toFixed(1)} | ${receiverCpu.toFixed(1)} | ${
            Math.round(runs[0]!.bytes / runs[0]!.events)
          } | ${runner === our ? "1.00x" : ratio(runs, ourRuns)} |`,
        );
      }
    }

    report();
    report(
      "| platform | official client | on Node: events/s | under Deno: events/s | ours: events/s | ours ÷ on Node: median (range) | ours ÷ under Deno: median (range) |",
    );
    report("| --- | --- | --- | --- | --- | --- | --- |");
    for (const runner of deno) {
      const ourRuns = results.get(
        ours.find((r) => r.platform === runner.platform)!,
      )!;
      const denoRuns = results.get(runner)!;
      const nodeRuns = results.get(
        onNode.find((r) => r.client === runner.client)!,
      )!;
      report(
        `| ${runner.platform} | ${runner.name} | ${
          thousands(rate(nodeRuns))
        } | ${thousands(rate(denoRuns))} | ${thousands(rate(ourRuns))} | ${
          ratio(nodeRuns, ourRuns)
        } | ${ratio(denoRuns, ourRuns)} |`,
      );
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
    reportLoad(summarizeLoad(start, end));
  } finally {
    for (const runner of runners) await runner.close?.();
  }
}

if (import.meta.main) {
  await main();
}
