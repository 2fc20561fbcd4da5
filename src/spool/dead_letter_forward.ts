/**
 * The consumer of a Queues spool's dead-letter queue: forwards each message
 * to a webhook.
 *
 * @module
 */
import { type Clock, systemClock } from "../delivery/clock.ts";
import { consoleLogger } from "../delivery/console_logger.ts";
import type { Logger } from "../delivery/logger.ts";
import type {
  MessageBatchLike,
  MessageLike,
  QueueDeadLetterMessage,
} from "./queue_like.ts";
import {
  clampDelay,
  DEFAULT_DEAD_LETTER_HOLD_SECONDS,
  defaultDeadLetterRetryDelaySeconds,
} from "./queue_retry.ts";

export { defaultDeadLetterRetryDelaySeconds } from "./queue_retry.ts";

/** Options of {@linkcode forwardDeadLetterBatch}. */
export interface DeadLetterForwardOptions {
  /** The URL each dead letter is posted to as JSON; without it every message is retried. */
  webhook?: string | undefined;
  /** Sent as `Authorization: Bearer <token>` to the webhook, if set. */
  token?: string | undefined;
  /** The `fetch` to post with; default: the global one. */
  fetch?: typeof fetch | undefined;
  /** Where problems are written; default: the console. */
  logger?: Logger | undefined;
  /** The clock of `at`; default {@linkcode systemClock}. */
  clock?: Clock | undefined;
  /**
   * The delay of a message retried because the webhook failed, from its
   * `attempts`. The default, with the dead-letter queue's consumer at
   * `max_retries: 100`, outlasts the longest retention (see
   * {@linkcode defaultDeadLetterRetryDelaySeconds}).
   *
   * @default {(attempts) => Math.min(14400, 5 * 2 ** attempts)}
   */
  retryDelaySeconds?: ((attempts: number) => number) | undefined;
  /**
   * The delay of a message retried because no webhook is set, in seconds:
   * long, so that it waits in the dead-letter queue (100 retries of 12 h
   * outlast any retention).
   *
   * @default {43200}
   */
  holdDelaySeconds?: number | undefined;
  /**
   * How long one webhook request may take, in ms.
   *
   * @default {10000}
   */
  timeoutMs?: number | undefined;
}

/** What {@linkcode forwardDeadLetterBatch} did with a batch. */
export interface DeadLetterForwardSummary {
  /** Messages posted to the webhook and acked. */
  acked: number;
  /** Messages retried (no webhook, or it failed). */
  retried: number;
}

/**
 * Forwards the messages of a dead-letter queue to a webhook: each message is
 * posted as JSON (a {@linkcode QueueDeadLetterMessage}: the letter as
 * stored, or an undelivered events message with the reason "not delivered
 * before the queue's retries ran out") and acked on a 2xx answer, retried
 * otherwise. Without a webhook, every message is retried after
 * `holdDelaySeconds`, so that it stays in the queue: nothing is
 * "delivered" again from a dead-letter queue.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forwardDeadLetterBatch } from "@harombe/siem/cloudflare";
 *
 * const outcome: string[] = [];
 * const summary = await forwardDeadLetterBatch({
 *   queue: "siem-dlq",
 *   messages: [{
 *     id: "m-1",
 *     attempts: 1,
 *     body: { v: 1, destination: "splunk", events: [] },
 *     ack: () => void outcome.push("ack"),
 *     retry: () => void outcome.push("retry"),
 *   }],
 * }, { logger: { warn: () => {}, error: () => {} } });
 * assert.equal(summary.retried, 1);
 * assert.deepEqual(outcome, ["retry"]);
 * ```
 *
 * @param batch The batch of the dead-letter queue.
 * @param options The webhook, its token, and an injected fetch.
 * @returns How many messages were acked and retried.
 */
export async function forwardDeadLetterBatch(
  batch: MessageBatchLike,
  options: DeadLetterForwardOptions,
): Promise<DeadLetterForwardSummary> {
  const logger = options.logger ?? consoleLogger;
  const clock = options.clock ?? systemClock;
  const retryDelay = options.retryDelaySeconds ??
    defaultDeadLetterRetryDelaySeconds;
  const summary: DeadLetterForwardSummary = { acked: 0, retried: 0 };
  if (!options.webhook) {
    const delaySeconds = clampDelay(
      options.holdDelaySeconds ?? DEFAULT_DEAD_LETTER_HOLD_SECONDS,
    );
    for (const message of batch.messages) {
      message.retry({ delaySeconds });
      summary.retried++;
    }
    logger.warn("dead letters kept in their queue (no webhook set)", {
      queue: batch.queue,
      messages: batch.messages.length,
    });
    return summary;
  }
  const webhook = options.webhook;
  const send = options.fetch ?? fetch;
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
  };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  await Promise.all(batch.messages.map(async (message) => {
    const letter = asDeadLetter(message, batch.queue, clock);
    let ok = false;
    let problem = "";
    try {
      const response = await send(webhook, {
        method: "POST",
        headers,
        body: JSON.stringify(letter),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await response.body?.cancel();
      ok = response.ok;
      if (!ok) problem = `HTTP ${response.status}`;
    } catch (error) {
      problem = error instanceof Error ? error.name : "network error";
    }
    if (ok) {
      message.ack();
      summary.acked++;
    } else {
      message.retry({ delaySeconds: clampDelay(retryDelay(message.attempts)) });
      summary.retried++;
      logger.error("dead-letter webhook failed", {
        queue: batch.queue,
        messageId: message.id,
        error: problem,
      });
    }
  }));
  return summary;
}

// The JSON posted for a message of a dead-letter queue.
function asDeadLetter(
  message: MessageLike,
  queue: string,
  clock: Clock,
): QueueDeadLetterMessage {
  const body = message.body;
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    if (record.v === 1 && Array.isArray(record.events)) {
      return {
        ...(record as unknown as QueueDeadLetterMessage),
        destination: typeof record.destination === "string"
          ? record.destination
          : "",
        reason: typeof record.reason === "string"
          ? record.reason
          : "not delivered before the queue's retries ran out",
        at: typeof record.at === "string"
          ? record.at
          : new Date(clock.now()).toISOString(),
        queue: typeof record.queue === "string" ? record.queue : queue,
        message_id: typeof record.message_id === "string"
          ? record.message_id
          : message.id,
      };
    }
  }
  return {
    v: 1,
    destination: "",
    reason: "malformed message in the dead-letter queue",
    at: new Date(clock.now()).toISOString(),
    events: [],
    queue,
    message_id: message.id,
    body,
  };
}
