/**
 * Issue 9.13: the retry delays of the Queues spool against a long SIEM
 * outage. Cloudflare Queues moves a message to the dead-letter queue once
 * it was retried `max_retries` times (at most 100), each retry waiting the
 * `delaySeconds` the consumer asked for (at most 43200 s, 12 h); a queue
 * keeps a message for its retention period (4 days by default, 60 s to 14
 * days). See /work/shared/reference/edge-runtimes.md §2.3 and
 * https://developers.cloudflare.com/changelog/2025-02-14-customize-queue-retention-period
 *
 * The settings are read from the durable wrangler.jsonc of
 * docs/deploy-cloudflare.md, so the promise there is what is tested.
 */
import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { consumeQueueBatch } from "../../src/spool/queue_consumer.ts";
import { forwardDeadLetterBatch } from "../../src/spool/dead_letter_forward.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { clampDelay } from "../../src/spool/queue_retry.ts";
import type { QueueEventsMessage } from "../../src/spool/queue_like.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { batchOf } from "../runtime/cloudflare/fake_queue.ts";
import { MemoryLogger, startReceivers } from "../support/receivers.ts";

const HOUR = 3600;
const DAY = 24 * HOUR;
/** Queues' limits (edge-runtimes.md §2.3). */
const MAX_RETRIES = 100;
const MAX_DELAY = 43_200;
const DEFAULT_RETENTION = 4 * DAY;
const MAX_RETENTION = 14 * DAY;

interface Consumer {
  queue: string;
  max_retries?: number;
  dead_letter_queue?: string;
}

/** The queue consumers of the durable wrangler.jsonc in docs/deploy-cloudflare.md. */
async function documentedConsumers(): Promise<Consumer[]> {
  const doc = await Deno.readTextFile(
    new URL("../../docs/deploy-cloudflare.md", import.meta.url),
  );
  const block = /```jsonc\n\/\/ wrangler\.jsonc, durable\n([\s\S]*?)```/.exec(
    doc,
  )?.[1];
  assert.ok(block, "docs/deploy-cloudflare.md has a durable wrangler.jsonc");
  const json = block.replace(/^\s*\/\/.*$/gm, "");
  return (JSON.parse(json) as { queues: { consumers: Consumer[] } }).queues
    .consumers;
}

function eventsMessage(): QueueEventsMessage {
  const [event] = realisticEvents(1, 9).map((e) =>
    toSIEMEvent(parseAuditEvent(e))
  );
  return { v: 1, destination: "splunk", events: [event!] };
}

/** The delay the consumer asks for a message at `attempts` while the SIEM is down. */
async function consumerDelay(
  configs: ReturnType<ReturnType<typeof startReceivers>["configs"]>,
  attempts: number,
): Promise<number> {
  const batch = batchOf([eventsMessage()], "siem", attempts);
  await consumeQueueBatch(batch, {
    destinations: configs,
    logger: new MemoryLogger(),
  });
  const [call] = batch.messages[0]!.calls;
  assert.ok(typeof call === "object", `attempt ${attempts}: ${call}`);
  return call.retry!;
}

Deno.test("Queues spool: a 24 h SIEM outage moves nothing to the dead-letter queue with the documented settings", async () => {
  const consumers = await documentedConsumers();
  const main = consumers.find((c) => c.dead_letter_queue !== undefined);
  assert.ok(main, "a consumer with a dead-letter queue");
  const maxRetries = main.max_retries ?? 3;
  assert.ok(maxRetries <= MAX_RETRIES, `max_retries ${maxRetries} > 100`);
  await using siems = startReceivers();
  siems.splunk.down({ status: 503 });
  const configs = siems.configs({ maxRetries: 0 }).slice(0, 1);
  // Simulated time: the message is delivered at attempt 1, retried with
  // the consumer's delay, and so on, while the SIEM is down for 24 h. The
  // queue moves it to the dead-letter queue when attempt max_retries + 1
  // is retried as well.
  let elapsed = 0;
  let attempts = 1;
  const schedule: number[] = [];
  while (elapsed < DAY) {
    assert.ok(
      attempts <= maxRetries,
      `after ${
        (elapsed / HOUR).toFixed(1)
      } h of outage the message ran out of its ${maxRetries} retries (delays ${
        schedule.join(", ")
      })`,
    );
    const delay = await consumerDelay(configs, attempts);
    assert.ok(delay >= 0 && delay <= MAX_DELAY);
    schedule.push(delay);
    elapsed += delay;
    attempts++;
  }
  // The SIEM is back: the next attempt delivers and acks.
  siems.splunk.down(null);
  const batch = batchOf([eventsMessage()], "siem", attempts);
  await consumeQueueBatch(batch, {
    destinations: configs,
    logger: new MemoryLogger(),
  });
  assert.deepEqual(batch.messages[0]!.calls, ["ack"]);
  // And the whole schedule fits in the queue's default retention, so no
  // retried message expires before it reaches the dead-letter queue.
  siems.splunk.down({ status: 503 });
  let total = 0;
  for (let n = 1; n <= maxRetries; n++) {
    total += n < attempts ? schedule[n - 1]! : await consumerDelay(configs, n);
  }
  assert.ok(total >= DAY, `${total} s`);
  assert.ok(total < DEFAULT_RETENTION, `${total} s`);
});

Deno.test("Queues spool: a dead letter stays in its queue for the longest retention period, webhook down or not set", async () => {
  const consumers = await documentedConsumers();
  const main = consumers.find((c) => c.dead_letter_queue !== undefined)!;
  const dlq = consumers.find((c) => c.queue === main.dead_letter_queue);
  assert.ok(dlq, "the dead-letter queue's consumer");
  const maxRetries = dlq.max_retries ?? 3;
  assert.ok(maxRetries <= MAX_RETRIES);
  const letter = { ...eventsMessage(), reason: "r", at: "2026-01-01" };
  let failing = 0;
  let holding = 0;
  for (let attempts = 1; attempts <= maxRetries; attempts++) {
    const failed = batchOf([letter], "siem-dlq", attempts);
    await forwardDeadLetterBatch(failed, {
      webhook: "http://127.0.0.1:9/dead-letters",
      fetch: () => Promise.reject(new TypeError("connection refused")),
      logger: new MemoryLogger(),
    });
    const [retry] = failed.messages[0]!.calls;
    assert.ok(typeof retry === "object");
    failing += retry.retry!;
    const held = batchOf([letter], "siem-dlq", attempts);
    await forwardDeadLetterBatch(held, { logger: new MemoryLogger() });
    const [hold] = held.messages[0]!.calls;
    assert.ok(typeof hold === "object");
    holding += hold.retry!;
  }
  // Retries outlast even a 14-day retention: a dead letter leaves its
  // queue by the queue's retention (or the webhook taking it), never
  // because its retries ran out.
  assert.ok(failing >= MAX_RETENTION, `webhook down: ${failing / DAY} days`);
  assert.ok(holding >= MAX_RETENTION, `no webhook: ${holding / DAY} days`);
});

Deno.test("the consumer's retry delay grows with attempts and stays at 30 minutes", async () => {
  await using siems = startReceivers();
  siems.splunk.down({ status: 503 });
  const configs = siems.configs({ maxRetries: 0 }).slice(0, 1);
  const delays = [];
  for (const attempts of [1, 2, 5, 8, 9, 50, 100]) {
    delays.push([attempts, await consumerDelay(configs, attempts)]);
  }
  assert.deepEqual(delays, [
    [1, 10],
    [2, 20],
    [5, 160],
    [8, 1280],
    [9, 1800],
    [50, 1800],
    [100, 1800],
  ]);
});

Deno.test("clampDelay() gives whole seconds from 0 to 12 hours, whatever a retryDelaySeconds callback returns", () => {
  assert.equal(clampDelay(2.6), 3);
  assert.equal(clampDelay(-5), 0);
  assert.equal(clampDelay(-Infinity), 0);
  assert.equal(clampDelay(NaN), 0);
  // Longer than Queues takes is the longest it takes, not "at once".
  assert.equal(clampDelay(100_000), MAX_DELAY);
  assert.equal(clampDelay(Infinity), MAX_DELAY);
});

Deno.test("the dead-letter forwarder's retry delay grows to 4 hours; without a webhook it holds for 12 hours", async () => {
  const letter = { ...eventsMessage(), reason: "r", at: "2026-01-01" };
  const delays = [];
  for (const attempts of [1, 11, 12, 100]) {
    const batch = batchOf([letter], "siem-dlq", attempts);
    await forwardDeadLetterBatch(batch, {
      webhook: "http://127.0.0.1:9/dead-letters",
      fetch: () => Promise.resolve(new Response("down", { status: 503 })),
      logger: new MemoryLogger(),
    });
    delays.push([attempts, batch.messages[0]!.calls[0]]);
  }
  assert.deepEqual(delays, [
    [1, { retry: 10 }],
    [11, { retry: 10_240 }],
    [12, { retry: 14_400 }],
    [100, { retry: 14_400 }],
  ]);
  const held = batchOf([letter], "siem-dlq");
  await forwardDeadLetterBatch(held, { logger: new MemoryLogger() });
  assert.deepEqual(held.messages[0]!.calls, [{ retry: 43_200 }]);
});
