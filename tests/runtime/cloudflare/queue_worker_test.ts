import assert from "node:assert/strict";
import worker, {
  createWorker,
  type QueueDeadLetterMessage,
  type QueueEventsMessage,
  type WorkerExecutionContext,
} from "../../../src/runtime/cloudflare/mod.ts";
import { realisticEvents } from "../../fixtures/events.ts";
import { startFakeElasticsearch } from "../../fakes/fake_elasticsearch.ts";
import { startFakeSplunk } from "../../fakes/fake_splunk.ts";
import { startFakeHttpReceiver } from "../../fakes/fake_http_receiver.ts";
import { waitFor } from "../../support/fake_clock.ts";
import { MemoryLogger } from "../../support/receivers.ts";
import { bundle, ensureRuntimeTools } from "../runtime_tools.ts";
import { batchOf, FakeQueue } from "./fake_queue.ts";
import { serveWorker } from "./serve_worker.ts";

const TOKEN = "queue-worker-token-0123456789";

/** A local server that records the JSON posted to it. */
function startWebhook(): AsyncDisposable & {
  url: string;
  letters: QueueDeadLetterMessage[];
  close(): Promise<void>;
} {
  const letters: QueueDeadLetterMessage[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen(): void {},
  }, async (request) => {
    letters.push(await request.json());
    return new Response(null, { status: 204 });
  });
  const close = (): Promise<void> => server.shutdown();
  return {
    url: `http://127.0.0.1:${server.addr.port}/dead-letters`,
    letters,
    close,
    [Symbol.asyncDispose]: close,
  };
}

Deno.test("the Workers queue path in workerd (Miniflare): 202 once queued, delivered by the consumer, refused events and exhausted retries reach the dead-letter webhook", async () => {
  await ensureRuntimeTools();
  await using es = startFakeElasticsearch({ apiKey: "queue-es-key" });
  await using hec = startFakeSplunk({ token: "queue-hec-token" });
  await using webhook = startWebhook();
  const dir = await Deno.makeTempDir();
  try {
    await bundle(
      "tests/runtime/cloudflare/queue_worker_entry.ts",
      "browser",
      `${dir}/worker.js`,
    );
    // One request per consumer attempt; a batch holds a whole queue batch.
    const fastRetries = { maxRetries: 0, retryDelayMs: 10, batchSize: 1000 };
    await using mf = await serveWorker(`${dir}/worker.js`, {
      bindings: {
        INGEST_TOKENS: TOKEN,
        SIEM_DESTINATIONS: JSON.stringify([
          {
            platform: "elasticsearch",
            endpoint: es.url,
            token: "queue-es-key",
            ...fastRetries,
          },
          {
            platform: "splunk",
            endpoint: hec.url,
            token: "queue-hec-token",
            ...fastRetries,
          },
        ]),
        SIEM_DEAD_LETTER_QUEUE: "siem-dlq,siem-dead",
        DEAD_LETTER_WEBHOOK: webhook.url,
      },
      queueProducers: { SIEM_QUEUE: "siem", SIEM_DEAD_LETTERS: "siem-dead" },
      queueConsumers: {
        siem: {
          maxBatchSize: 100,
          maxBatchTimeout: 1,
          maxRetries: 2,
          deadLetterQueue: "siem-dlq",
        },
        "siem-dlq": { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 5 },
        "siem-dead": {
          maxBatchSize: 100,
          maxBatchTimeout: 1,
          maxRetries: 5,
        },
      },
    }, dir);
    const post = async (events: unknown[]): Promise<number> => {
      const response = await fetch(`${mf.url}/events`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${TOKEN}`,
          "Content-Type": "application/x-ndjson",
        },
        body: events.map((event) => JSON.stringify(event)).join("\n"),
      });
      const body = await response.json();
      assert.equal(response.status, 202, JSON.stringify(body));
      return body.accepted;
    };

    // 1. SIEMs up; Elasticsearch refuses one document for good.
    const first = realisticEvents(250, 11);
    const refused = first[17]!.event_id!;
    es.failItemsNext(({ id }) =>
      id === refused
        ? { status: 400, type: "document_parsing_exception", reason: "bad" }
        : undefined
    );
    for (let i = 0; i < first.length; i += 100) {
      await post(first.slice(i, i + 100));
    }
    await waitFor(
      () =>
        es.documents.length === 249 && hec.events.length === 250 &&
        webhook.letters.length === 1,
      20_000,
      "delivery of the first events",
    );
    assert.deepEqual(
      es.documents.map((d) => d.id).sort(),
      first.map((e) => e.event_id!).filter((id) => id !== refused).sort(),
    );
    const letter = webhook.letters[0]!;
    assert.equal(letter.destination, "elasticsearch");
    assert.match(letter.reason, /document_parsing_exception: bad/);
    assert.deepEqual(letter.events.map((e) => e.event_id), [refused]);
    // Three messages per destination, batched: at most one bulk request
    // per consumer batch.
    assert.ok(es.requests.length <= 3, `${es.requests.length} requests`);

    // 2. SIEMs down: retried, then the DLQ, then the webhook.
    es.down({ status: 503 });
    hec.down({ status: 503 });
    const second = realisticEvents(60, 12);
    await post(second.slice(0, 30));
    await post(second.slice(30));
    const ids = second.map((e) => e.event_id!).sort();
    const received = (destination: string): string[] =>
      webhook.letters.filter((l) =>
        l.queue === "siem-dlq" && l.destination === destination
      )
        .flatMap((l) => l.events.map((e) => e.event_id)).sort();
    await waitFor(
      () =>
        received("elasticsearch").length === 60 &&
        received("splunk").length === 60,
      30_000,
      "dead letters at the webhook",
    ).catch((error) => {
      throw new Error(
        `${error.message}: ${
          JSON.stringify(
            webhook.letters.map((
              l,
            ) => [l.destination, l.queue, l.events.length]),
          )
        } es=${es.requests.length} hec=${hec.requests.length}\n${mf.output()}`,
      );
    });
    assert.deepEqual(received("elasticsearch"), ids);
    assert.deepEqual(received("splunk"), ids);
    assert.equal(webhook.letters.length, 5, "one letter per message");
    for (const l of webhook.letters.slice(1)) {
      assert.equal(
        l.reason,
        "not delivered before the queue's retries ran out",
      );
      assert.equal(l.queue, "siem-dlq");
    }
    // Each message was tried 1 + maxRetries (2) times.
    const failedBulk = es.requests.filter((r) => r.status === 503).length;
    assert.ok(failedBulk >= 3, `${failedBulk} failed bulk requests`);
    assert.equal(es.documents.length, 249);
    const stats = await (await fetch(`${mf.url}/stats`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    })).json();
    assert.equal(stats.eventsAccepted, 310);
    assert.equal(stats.queue.failedSends, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const context: WorkerExecutionContext = { waitUntil: () => {} };

Deno.test("createWorker: with a SIEM_QUEUE binding, fetch answers 202 once sendBatch resolved", async () => {
  const queue = new FakeQueue();
  const env = {
    INGEST_TOKENS: TOKEN,
    SIEM_SPLUNK_URL: "http://127.0.0.1:1",
    SIEM_QUEUE: queue,
  };
  const response = await createWorker({ logger: new MemoryLogger() }).fetch(
    new Request("http://worker/events", {
      method: "POST",
      headers: {
        Authorization: `Bearer ${TOKEN}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify(realisticEvents(3)),
    }),
    env,
    context,
  );
  assert.equal(response.status, 202);
  await response.body?.cancel();
  assert.equal(typeof worker.queue, "function", "the default export consumes");
  const bodies = queue.bodies as QueueEventsMessage[];
  assert.deepEqual(bodies.map((b) => [b.destination, b.events.length]), [
    ["splunk", 3],
  ]);
});

Deno.test("createWorker: queue() delivers the spool's queue and forwards a dead-letter queue's batch to the webhook", async () => {
  await using hec = startFakeSplunk({ token: "unit-hec-token" });
  await using webhook = startWebhook();
  const dead = new FakeQueue();
  const env = {
    INGEST_TOKENS: TOKEN,
    SIEM_SPLUNK_URL: hec.url,
    SIEM_SPLUNK_TOKEN: "unit-hec-token",
    SIEM_DEAD_LETTERS: dead,
    SIEM_DEAD_LETTER_QUEUE: "siem-dlq",
    DEAD_LETTER_WEBHOOK: webhook.url,
  };
  const events = JSON.parse(JSON.stringify(realisticEvents(2)));
  const queue = new FakeQueue();
  const w = createWorker({ logger: new MemoryLogger() });
  // Events go through the Worker's own sink first, to get real messages.
  const response = await w.fetch(
    new Request("http://worker/events", {
      method: "POST",
      headers: {
        Authorization: `Bearer ${TOKEN}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify(events),
    }),
    { ...env, SIEM_QUEUE: queue },
    context,
  );
  await response.body?.cancel();
  const batch = queue.take("siem");
  await w.queue(batch, env, context);
  assert.equal(batch.acked.length, 1);
  assert.equal(hec.events.length, 2);
  // A malformed message: to the dead-letter producer, then acked.
  const malformed = batchOf([{ v: 1, destination: "nope", events: [] }]);
  await w.queue(malformed, env, context);
  assert.equal(malformed.acked.length, 1);
  assert.equal(dead.bodies.length, 1);
  // The dead-letter queue is not delivered to the SIEM again.
  const letters = batchOf([queue.bodies[0]], "siem-dlq");
  await w.queue(letters, env, context);
  assert.equal(letters.acked.length, 1);
  assert.equal(hec.events.length, 2);
  assert.equal(webhook.letters.length, 1);
  // Without a webhook, dead letters stay in their queue.
  const held = batchOf([queue.bodies[0]], "siem-dlq");
  await w.queue(held, {
    ...env,
    DEAD_LETTER_WEBHOOK: undefined,
  }, context);
  assert.deepEqual(held.messages[0]!.calls, [{ retry: 43_200 }]);
});

Deno.test("createWorker: the queue path delivers to a Sumo Logic destination from SIEM_HTTP_*; a wrong URL token keeps the message for a retry and is never logged", async () => {
  const code = "QueueSumoCode0123456789abcdefABCD==";
  await using sumo = startFakeHttpReceiver({
    sumo: true,
    framing: "ndjson",
    path: `/receiver/v1/http/${code}`,
  });
  const logger = new MemoryLogger();
  const env = {
    INGEST_TOKENS: TOKEN,
    SIEM_HTTP_URL: sumo.endpoint,
    SIEM_HTTP_PRESET: "sumo_logic",
    SIEM_HTTP_SUMO_CATEGORY: "security/harombe",
  };
  const events = JSON.parse(JSON.stringify(realisticEvents(3)));
  const queue = new FakeQueue();
  const w = createWorker({ logger });
  const response = await w.fetch(
    new Request("http://worker/events", {
      method: "POST",
      headers: {
        Authorization: `Bearer ${TOKEN}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify(events),
    }),
    { ...env, SIEM_QUEUE: queue },
    context,
  );
  await response.body?.cancel();
  const bodies = queue.bodies;
  // Delivered, gzipped NDJSON with the category.
  const again = queue.take("siem");
  await w.queue(again, env, context);
  assert.equal(again.acked.length, 1);
  assert.deepEqual(
    sumo.events.map((e) => e.event_id),
    events.map((e: { event_id: string }) => e.event_id),
  );
  assert.equal(sumo.requests.at(-1)?.headers.get("content-encoding"), "gzip");
  assert.equal(
    sumo.requests.at(-1)?.headers.get("x-sumo-category"),
    "security/harombe",
  );
  // A regenerated URL: 401, the message is kept for a retry, not dead-lettered.
  // (A Worker reads its bindings once: a new one, as after a redeploy.)
  const stale = batchOf(bodies, "siem", 1);
  await createWorker({ logger }).queue(stale, {
    ...env,
    SIEM_HTTP_URL:
      `${sumo.url}/receiver/v1/http/StaleSumoCode0123456789abcdef==`,
  }, context);
  assert.equal(stale.retried.length, 1);
  const all = logger.lines.join("\n");
  assert.ok(!all.includes(code.slice(0, 10)), all);
  assert.ok(!all.includes("StaleSumoCode"), all);
});
