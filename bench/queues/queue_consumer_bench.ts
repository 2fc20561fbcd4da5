/**
 * The Cloudflare Queues path in workerd (Miniflare, run by Node): the
 * package's Worker as producer and consumer of one queue, three
 * destinations (Splunk, Elasticsearch, Datadog; batches of 1000) pointing at
 * `bench/peers/receiver.ts` in its own process.
 *
 * `--events` events (default 50,000) are posted to `/events` in NDJSON
 * requests of 100, 4 at a time; the ingest answers 202 once each
 * destination's message is queued, and `queue()` delivers them (consumer
 * batches of up to 100 messages, 1 s batch timeout). Reported: the accept
 * rate (posting), and events per second through `queue()` per destination,
 * from the first post to the last event at the receiver.
 *
 * `--requests=N` sets each destination's `maxConcurrentRequests` (default 1).
 *
 * Run: `deno task bench:queues [--events=50000] [--requests=1] [--short]`.
 *
 * @module
 */
import {
  bundle,
  ensureRuntimeTools,
} from "../../tests/runtime/runtime_tools.ts";
import { serveWorker } from "../../tests/runtime/cloudflare/serve_worker.ts";
import { realisticEvents } from "../../tests/fixtures/events.ts";
import { loadAverage1 } from "../machine_load.ts";
import {
  chunk,
  hasFlag,
  machineLine,
  numberOption,
  report,
  SHORT_NOTE,
  startReceiver,
} from "../support.ts";

const TOKEN = "queue-bench-token-0123456789";
const PLATFORMS = ["splunk", "elasticsearch", "datadog"] as const;

if (import.meta.main) {
  const short = hasFlag("--short");
  const count = short ? 2000 : numberOption("--events", 50_000);
  const requestsInFlight = numberOption("--requests", 1);
  report(`# Queues consumer in workerd${short ? SHORT_NOTE : ""}`);
  report(machineLine());
  report(`load average before: ${loadAverage1().toFixed(2)}`);
  report(`maxConcurrentRequests ${requestsInFlight} per destination`);
  await ensureRuntimeTools();
  await using receiver = await startReceiver();
  const dir = await Deno.makeTempDir({ prefix: "harombe-queue-bench-" });
  try {
    await bundle(
      "tests/runtime/cloudflare/queue_worker_entry.ts",
      "browser",
      `${dir}/worker.js`,
    );
    await using mf = await serveWorker(`${dir}/worker.js`, {
      bindings: {
        INGEST_TOKENS: TOKEN,
        SIEM_DESTINATIONS: JSON.stringify(
          PLATFORMS.map((platform) => ({
            platform,
            endpoint: receiver.url,
            token: "bench",
            batchSize: 1000,
            maxConcurrentRequests: requestsInFlight,
          })),
        ),
      },
      queueProducers: { SIEM_QUEUE: "siem" },
      queueConsumers: {
        siem: { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 5 },
      },
    }, dir);
    const events = realisticEvents(count, 7);
    await receiver.reset();
    const started = performance.now();
    const requests = chunk(events, 100);
    let next = 0;
    const poster = async (): Promise<void> => {
      while (next < requests.length) {
        const body = requests[next++]!.map((e) => JSON.stringify(e)).join(
          "\n",
        );
        const response = await fetch(`${mf.url}/events`, {
          method: "POST",
          headers: {
            Authorization: `Bearer ${TOKEN}`,
            "Content-Type": "application/x-ndjson",
          },
          body,
        });
        await response.body?.cancel();
        if (response.status !== 202) {
          throw new Error(`POST /events answered ${response.status}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, poster));
    const posted = performance.now() - started;
    const done: Partial<Record<(typeof PLATFORMS)[number], number>> = {};
    const deadline = Date.now() + 600_000;
    while (Object.keys(done).length < PLATFORMS.length) {
      if (Date.now() > deadline) throw new Error("not delivered in 10 min");
      const counts = await receiver.counts();
      for (const platform of PLATFORMS) {
        if (
          done[platform] === undefined &&
          counts.platforms[platform].events >= count
        ) done[platform] = performance.now() - started;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    report(`load average after: ${loadAverage1().toFixed(2)}`);
    report(
      `${count} events posted in ${(posted / 1000).toFixed(1)} s (${
        (count / posted * 1000).toFixed(0)
      } events/s accepted, 202 once queued)`,
    );
    report(
      `through queue(): ${
        PLATFORMS.map((p) =>
          `${p} ${(count / done[p]! * 1000).toFixed(0)} events/s (all in ${
            (done[p]! / 1000).toFixed(1)
          } s)`
        ).join(", ")
      }`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
