// Plain JavaScript for Node: it has no type annotations to give.
// deno-lint-ignore-file explicit-function-return-type
/**
 * The official clients of `bench/peers/peer_bench.ts` on Node itself, run by
 * that script as `node bench/peers/node/peer_clients.mjs`, with the clients
 * installed by npm into this folder (`bash bench/install_tools.sh peers`,
 * versions pinned in package.json to those of the script's npm: specifiers).
 * Each client sends the same content as under Deno (the code below mirrors
 * the Deno runners of peer_bench.ts), to the same receiver.
 *
 * Talks over its standard input and output, one JSON value per line:
 *
 * - in: `{"url":"http://127.0.0.1:PORT","batchSize":1000,"events":N}`, then N
 *   lines of one event each;
 * - out: `{"ready":true,"node":"v20…","versions":{…},"clients":[…]}`;
 * - in, any number of times: `{"client":"<id>","batches":K}`: sends the first
 *   K batches with that client, one request at a time;
 * - out: `{"client":"<id>","ms":…,"cpuMs":…,"events":…}`, the wall time and
 *   this process's CPU time of the sending, or `{"error":"…"}`.
 *
 * It exits when its standard input closes. It sends only to 127.0.0.1.
 */
import { createRequire } from "node:module";
import process from "node:process";
import { createInterface } from "node:readline";

// The clients are CommonJS. require(), not import: `deno check bench/` reads
// this file too, and fails on an import of an npm name it has no map for.
const require = createRequire(import.meta.url);
const SplunkLogging = require("splunk-logging");
const { Client } = require("@elastic/elasticsearch");
const { client: ddClient, v2 } = require("@datadog/datadog-api-client");

const INDEX = "harombe-security";
const SOURCETYPE = "harombe:security";
const SERVICE = "harombe";

/** The installed version of a package, to check the pins against the script's. */
function versionOf(name) {
  return require(`${name}/package.json`).version;
}

function splunkLogging(url) {
  const logger = new SplunkLogging.Logger({
    token: "bench-token",
    url,
    path: "/services/collector/event",
    maxBatchCount: 1000,
    maxRetries: 0,
  });
  // Send the event itself, not splunk-logging's {message, severity} wrapper.
  logger.eventFormatter = (message) => message;
  let lastError;
  logger.error = (error) => {
    lastError = error;
  };
  return async (batches) => {
    for (const batch of batches) {
      if (batch.length !== 1000 && batches.length > 1) {
        throw new Error("splunk-logging flushes by count: batches of 1000");
      }
      await new Promise((resolve, reject) => {
        for (let i = 0; i < batch.length; i++) {
          const event = batch[i];
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
              ? (error, _response, body) => {
                if (error || lastError || body?.code !== 0) {
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
  };
}

function elasticDocument(event) {
  return [
    { create: { _id: event.event_id } },
    { "@timestamp": event.timestamp, ...event },
  ];
}

function elastic(url) {
  const client = new Client({
    node: url,
    auth: { apiKey: "bench-token" },
    compression: false,
    maxRetries: 0,
  });
  const helper = async (batches) => {
    for (const batch of batches) {
      const stats = await client.helpers.bulk({
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
  };
  const bulk = async (batches) => {
    for (const batch of batches) {
      const operations = [];
      for (const event of batch) operations.push(...elasticDocument(event));
      const answer = await client.bulk({ index: INDEX, operations });
      if (answer.errors || answer.items.length !== batch.length) {
        throw new Error("client.bulk: errors in the answer");
      }
    }
  };
  return { helper, bulk, close: () => client.close() };
}

function datadogMessage(event) {
  const tool = event.tool_name === undefined ? "" : ` ${event.tool_name}`;
  return `${event.event_type}: ${event.actor} ${event.action}${tool} -> ${event.status}`;
}

function datadog(url, fetch) {
  const configuration = ddClient.createConfiguration({
    baseServer: new ddClient.BaseServerConfiguration(url, {}),
    authMethods: { apiKeyAuth: "bench-token" },
    httpConfig: { compress: false },
    enableRetry: false,
    ...(fetch ? { fetch } : {}),
  });
  const api = new v2.LogsApi(configuration);
  return async (batches) => {
    for (const batch of batches) {
      await api.submitLog({
        body: batch.map((event) => ({
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
  };
}

function answer(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function main() {
  // Deno answers to `node` when no Node is on the PATH (Deno.Command and
  // child_process both fall back to it): that would be no run on Node.
  if (process.versions.deno !== undefined || "Deno" in globalThis) {
    throw new Error(
      `this is Deno ${process.versions.deno}, not Node: install Node (20) and put it on the PATH`,
    );
  }
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
    [Symbol.asyncIterator]();
  const next = async () => {
    const { done, value } = await lines.next();
    return done ? undefined : value;
  };
  const header = await next();
  if (header === undefined) return;
  const { url, batchSize, events: count } = JSON.parse(header);
  if (new URL(url).hostname !== "127.0.0.1") {
    throw new Error(`only 127.0.0.1 is allowed, got ${url}`);
  }
  const events = [];
  for (let i = 0; i < count; i++) {
    const line = await next();
    if (line === undefined) throw new Error(`got ${i} of ${count} events`);
    events.push(JSON.parse(line));
  }
  const batches = [];
  for (let i = 0; i < events.length; i += batchSize) {
    batches.push(events.slice(i, i + batchSize));
  }

  const es = elastic(url);
  const clients = {
    "splunk-logging": splunkLogging(url),
    "elastic-helpers-bulk": es.helper,
    "elastic-client-bulk": es.bulk,
    // As configured by default: on Node it sends through cross-fetch, that
    // is node-fetch over node:http.
    "datadog-submitLog": datadog(url, undefined),
    // The documented `fetch` option, with Node's own fetch (undici).
    "datadog-submitLog-fetch": datadog(url, globalThis.fetch),
  };
  answer({
    ready: true,
    node: process.version,
    deno: process.versions.deno ?? null,
    versions: {
      "splunk-logging": versionOf("splunk-logging"),
      "@elastic/elasticsearch": versionOf("@elastic/elasticsearch"),
      "@datadog/datadog-api-client": versionOf("@datadog/datadog-api-client"),
    },
    clients: Object.keys(clients),
  });

  try {
    for (let line = await next(); line !== undefined; line = await next()) {
      const command = JSON.parse(line);
      const run = clients[command.client];
      if (run === undefined) {
        answer({ error: `no client ${command.client}` });
        continue;
      }
      const chosen = batches.slice(0, command.batches);
      const sent = chosen.reduce((sum, batch) => sum + batch.length, 0);
      try {
        const cpu = process.cpuUsage();
        const started = performance.now();
        await run(chosen);
        const ms = performance.now() - started;
        const used = process.cpuUsage(cpu);
        answer({
          client: command.client,
          ms,
          cpuMs: (used.user + used.system) / 1000,
          events: sent,
        });
      } catch (error) {
        answer({ error: `${command.client}: ${error?.stack ?? error}` });
      }
    }
  } finally {
    await es.close();
  }
}

// Exit when done, even if a client left a socket or timer behind.
main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`peer_clients.mjs: ${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
