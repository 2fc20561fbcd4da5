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
