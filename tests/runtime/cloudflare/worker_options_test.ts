/**
 * The Workers entry passes the server configuration of its bindings on to
 * the ingest app and the queue handler: limits, quotas, and the dead-letter
 * queues by name.
 */
import assert from "node:assert/strict";
import { createWorker } from "../../../src/runtime/cloudflare/worker.ts";
import { startFakeSplunk } from "../../fakes/fake_splunk.ts";
import { realisticEvents } from "../../fixtures/events.ts";
import { MemoryLogger } from "../../support/receivers.ts";
import { batchOf } from "./fake_queue.ts";

const TOKEN = "worker-options-token-0123456789";
const HEC = "hec-token-worker-options";

Deno.test("createWorker: MAX_EVENTS_PER_REQUEST, MAX_BODY_BYTES and INGEST_QUOTAS from the bindings reach the ingest app", async () => {
  await using hec = startFakeSplunk({ token: HEC });
  const pending: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p) };
  const env = {
    INGEST_TOKENS: `billing:${TOKEN}`,
    SIEM_SPLUNK_URL: hec.url,
    SIEM_SPLUNK_TOKEN: HEC,
    MAX_EVENTS_PER_REQUEST: "2",
    MAX_BODY_BYTES: "3000",
    INGEST_QUOTAS: '{"billing":{"eventsPerSecond":3}}',
  };
  const worker = createWorker({
    clock: { now: () => 0 },
    logger: new MemoryLogger(),
  });
  const post = async (body: string): Promise<[number, string]> => {
    const answer = await worker.fetch(
      new Request("http://worker/events", {
        method: "POST",
        body,
        headers: {
          "Content-Type": "application/json",
          Authorization: `Bearer ${TOKEN}`,
        },
      }),
      env,
      ctx,
    );
    const text = await answer.text();
    return [answer.status, text];
  };
  const events = realisticEvents(3).map((e) => ({ ...e, metadata: {} }));
  const [tooMany, why] = await post(JSON.stringify(events));
  assert.equal(tooMany, 413, why);
  assert.match(why, /more than the 2 allowed/);
  const [tooLarge, large] = await post(JSON.stringify({
    ...events[0],
    metadata: { blob: "x".repeat(3000) },
  }));
  assert.equal(tooLarge, 413, large);
  assert.match(large, /larger than 3000 bytes/);
  assert.equal((await post(JSON.stringify(events.slice(0, 2))))[0], 202);
  assert.equal((await post(JSON.stringify(events[2])))[0], 202);
  // 3 events/s: the fourth is over the quota.
  const [limited] = await post(JSON.stringify(events[2]));
  assert.equal(limited, 429);
  await Promise.all(pending);
  assert.equal(hec.events.length, 3);
});

Deno.test("createWorker: a batch from a queue named in SIEM_DEAD_LETTER_QUEUE (names trimmed) is held, never delivered to a SIEM", async () => {
  await using hec = startFakeSplunk({ token: HEC });
  const worker = createWorker({
    logger: new MemoryLogger(),
    deadLetterHoldSeconds: 777,
  });
  const [event] = realisticEvents(1);
  const batch = batchOf([{
    v: 1,
    destination: "splunk",
    reason: "refused",
    status: 400,
    at: "2026-11-30T00:00:00.000Z",
    events: [{ ...event, source: "harombe", severity: "info" }],
  }], "siem-dlq");
  await worker.queue(batch, {
    SIEM_SPLUNK_URL: hec.url,
    SIEM_SPLUNK_TOKEN: HEC,
    SIEM_DEAD_LETTER_QUEUE: " other-dlq , siem-dlq ",
  }, { waitUntil: () => {} });
  assert.deepEqual(batch.messages[0]!.calls, [{ retry: 777 }]);
  assert.equal(hec.events.length, 0);
});

Deno.test("createWorker: a binding under INGEST_TOKENS_KV with get but no put (a Durable Object namespace) is no KV namespace: INGEST_TOKENS stay in use", async () => {
  await using hec = startFakeSplunk({ token: HEC });
  let reads = 0;
  const pending: Promise<unknown>[] = [];
  const answer = await createWorker({ logger: new MemoryLogger() }).fetch(
    new Request("http://worker/events", {
      method: "POST",
      body: JSON.stringify(realisticEvents(1)[0]),
      headers: {
        "Content-Type": "application/json",
        Authorization: `Bearer ${TOKEN}`,
      },
    }),
    {
      INGEST_TOKENS: TOKEN,
      INGEST_TOKENS_KV: { get: () => (reads++, Promise.resolve(null)) },
      SIEM_SPLUNK_URL: hec.url,
      SIEM_SPLUNK_TOKEN: HEC,
    },
    { waitUntil: (p) => void pending.push(p) },
  );
  await answer.body?.cancel();
  assert.equal(answer.status, 202);
  assert.equal(reads, 0);
  await Promise.all(pending);
});
