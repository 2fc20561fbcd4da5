import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { type SIEMEvent, toSIEMEvent } from "../../src/events/siem_event.ts";
import { forwardDeadLetterBatch } from "../../src/spool/dead_letter_forward.ts";
import type {
  QueueDeadLetterMessage,
  QueueEventsMessage,
} from "../../src/spool/queue_like.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { MemoryLogger } from "../support/receivers.ts";
import { batchOf } from "../runtime/cloudflare/fake_queue.ts";
import { FakeClock } from "../support/fake_clock.ts";

const quiet = new MemoryLogger();

/** Normalized events, as a queue message carries them. */
function siemEvents(count: number): SIEMEvent[] {
  return JSON.parse(JSON.stringify(
    realisticEvents(count).map((e) => toSIEMEvent(parseAuditEvent(e))),
  ));
}

Deno.test("forwardDeadLetterBatch posts each dead letter to the webhook and acks it; retries when it fails or is not set", async () => {
  const received: Array<{ auth: string | null; body: QueueDeadLetterMessage }> =
    [];
  let failing = false;
  await using server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen(): void {},
  }, async (request) => {
    const body = await request.json();
    if (failing) return new Response("no", { status: 500 });
    received.push({ auth: request.headers.get("authorization"), body });
    return new Response(null, { status: 204 });
  });
  const webhook = `http://127.0.0.1:${server.addr.port}/dead`;
  const event: QueueEventsMessage = {
    v: 1,
    destination: "splunk",
    events: siemEvents(2),
  };
  const letter: QueueDeadLetterMessage = {
    v: 1,
    destination: "splunk",
    reason: "HEC code 6: Invalid data format",
    status: 400,
    at: "2026-01-31T12:00:00.000Z",
    events: event.events,
  };
  const batch = batchOf([event, letter, 42], "siem-dlq");
  const summary = await forwardDeadLetterBatch(batch, {
    webhook,
    token: "hook-token",
    logger: quiet,
  });
  assert.deepEqual(summary, { acked: 3, retried: 0 });
  assert.equal(batch.acked.length, 3);
  const byId = new Map(received.map((r) => [r.body.message_id, r]));
  assert.equal(byId.get("m-0")!.auth, "Bearer hook-token");
  assert.equal(
    byId.get("m-0")!.body.reason,
    "not delivered before the queue's retries ran out",
  );
  assert.equal(byId.get("m-0")!.body.queue, "siem-dlq");
  assert.deepEqual(byId.get("m-0")!.body.events, event.events);
  assert.equal(byId.get("m-1")!.body.reason, letter.reason);
  assert.equal(byId.get("m-1")!.body.status, 400);
  assert.equal(byId.get("m-2")!.body.body, 42);

  failing = true;
  const failed = batchOf([letter], "siem-dlq", 2);
  assert.deepEqual(
    await forwardDeadLetterBatch(failed, { webhook, logger: quiet }),
    { acked: 0, retried: 1 },
  );
  assert.deepEqual(failed.messages[0]!.calls, [{ retry: 20 }]);

  const held = batchOf([letter], "siem-dlq");
  await forwardDeadLetterBatch(held, { logger: quiet });
  assert.deepEqual(held.messages[0]!.calls, [{ retry: 43_200 }]);
});

Deno.test("forwardDeadLetterBatch acks only on a 2xx: a webhook refusing the letter (401, 404, 422) keeps it in the queue", async () => {
  // A rotated webhook token (401), a moved URL (404) or a receiver that
  // refuses the JSON (422) has not taken the letter: acking would lose it.
  let status = 401;
  const seen: number[] = [];
  await using server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen(): void {},
  }, async (request) => {
    await request.body?.cancel();
    seen.push(status);
    return new Response(`{"error":"refused"}`, {
      status,
      headers: { "Content-Type": "application/json" },
    });
  });
  const webhook = `http://127.0.0.1:${server.addr.port}/dead`;
  const letter: QueueDeadLetterMessage = {
    v: 1,
    destination: "splunk",
    reason: "HEC code 6: Invalid data format",
    status: 400,
    at: "2026-01-31T12:00:00.000Z",
    events: siemEvents(1),
  };
  for (const refused of [401, 404, 422]) {
    status = refused;
    const logger = new MemoryLogger();
    const batch = batchOf([letter], "siem-dlq", 3);
    assert.deepEqual(
      await forwardDeadLetterBatch(batch, { webhook, token: "t", logger }),
      { acked: 0, retried: 1 },
      `HTTP ${refused}`,
    );
    assert.equal(batch.acked.length, 0, `HTTP ${refused} acked`);
    assert.equal(batch.retried.length, 1, `HTTP ${refused} not retried`);
    assert.ok(
      logger.lines.some((line) =>
        line.includes("dead-letter webhook failed") &&
        line.includes(`HTTP ${refused}`)
      ),
      logger.lines.join("\n"),
    );
  }
  assert.deepEqual(seen, [401, 404, 422]);
});

Deno.test("forwardDeadLetterBatch keeps a letter's own time, status, queue and message id, and dates an undelivered events message by its clock", async () => {
  const posted: QueueDeadLetterMessage[] = [];
  const webhook: typeof fetch = async (_input, init) => {
    posted.push(JSON.parse(init!.body as string));
    return await Promise.resolve(new Response(null, { status: 204 }));
  };
  const clock = new FakeClock(Date.parse("2026-02-01T08:30:00.000Z"));
  const events = siemEvents(1);
  // What the consumer stored: the letter names the message it came from.
  const letter: QueueDeadLetterMessage = {
    v: 1,
    destination: "elasticsearch",
    reason: "item HTTP 413: too large",
    status: 413,
    at: "2026-01-31T12:00:00.000Z",
    events,
    queue: "siem-events",
    message_id: "orig-7",
  };
  // What the queue moved after its retries ran out: no reason, no time.
  const undelivered: QueueEventsMessage = {
    v: 1,
    destination: "splunk",
    events,
  };
  const summary = await forwardDeadLetterBatch(
    batchOf([letter, undelivered], "siem-dlq"),
    { webhook: "https://hooks.example.com/dead", fetch: webhook, clock },
  );
  assert.deepEqual(summary, { acked: 2, retried: 0 });
  const [first, second] = posted.sort((a, b) =>
    a.destination.localeCompare(b.destination)
  );
  assert.deepEqual(first, letter);
  assert.deepEqual(second, {
    v: 1,
    destination: "splunk",
    reason: "not delivered before the queue's retries ran out",
    at: "2026-02-01T08:30:00.000Z",
    events,
    queue: "siem-dlq",
    message_id: "m-1",
  });
});
