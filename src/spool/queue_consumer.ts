/**
 * The consumer half of the Cloudflare Queues spool: delivers a batch of
 * queue messages written by {@linkcode QueueSink} to their destinations,
 * then acks each message whose events all left for good and retries the
 * others.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { type Clock, systemClock } from "../delivery/clock.ts";
import { consoleLogger } from "../delivery/console_logger.ts";
import { DestinationSet } from "../delivery/destination_set.ts";
import type { DeadLetter } from "../delivery/export_result.ts";
import type { Logger } from "../delivery/logger.ts";
import type { DeadGroup } from "../delivery/settlement.ts";
import {
  type ParsedSIEMConfig,
  parseOnce,
  type SIEMConfigInput,
} from "../platforms/siem_config.ts";
import {
  jsonBytes,
  type MessageBatchLike,
  type MessageLike,
  packBatches,
  type QueueDeadLetterMessage,
  type QueueProducerLike,
  type SizedMessage,
} from "./queue_like.ts";
import { QueueStorage } from "./queue_storage.ts";
import { clampDelay, defaultRetryDelaySeconds } from "./queue_retry.ts";
import { readQueueMessage } from "./queue_message.ts";
import { assertNameFree } from "../platforms/destination_name.ts";
import { redactSecrets } from "../platforms/redact.ts";

export { defaultRetryDelaySeconds } from "./queue_retry.ts";

/** Options of {@linkcode consumeQueueBatch}. */
export interface QueueConsumerOptions {
  /** The destinations, by the names the messages carry (validated here when they are not yet). */
  destinations: readonly (ParsedSIEMConfig | SIEMConfigInput)[];
  /**
   * Where events refused for good, and malformed messages, are sent (a
   * Workers Queue binding). Without it, a message holding such events is
   * retried rather than acked, so that the queue's dead-letter queue
   * receives it after `max_retries` (its delivered events with it).
   */
  deadLetters?: QueueProducerLike | undefined;
  /** The `fetch` to send with; default: the global one. */
  fetch?: typeof fetch | undefined;
  /** Where problems are written; default: the console. */
  logger?: Logger | undefined;
  /** The clock of retries and backoff; default {@linkcode systemClock}. */
  clock?: Clock | undefined;
  /** Numbers in [0, 1) for the backoff jitter; default `Math.random`. */
  random?: (() => number) | undefined;
  /** Also told of every event refused for good (before it is sent to `deadLetters`). */
  onDeadLetter?: ((letter: DeadLetter) => void | Promise<void>) | undefined;
  /**
   * The delay of a message retried because its events were not delivered,
   * from its `attempts` (1 on first delivery). The default, with the
   * consumer's `max_retries: 100`, rides out a SIEM outage of about 46
   * hours (see {@linkcode defaultRetryDelaySeconds}).
   *
   * @default {(attempts) => Math.min(1800, 5 * 2 ** attempts)}
   */
  retryDelaySeconds?: ((attempts: number) => number) | undefined;
  /**
   * How long the destinations may keep retrying in this invocation, in ms:
   * then backoff waits end and what is left is retried through the queue.
   * Requests in flight still run to their `timeoutMs`.
   *
   * @default {120000}
   */
  maxFlushMs?: number | undefined;
}

/** What {@linkcode consumeQueueBatch} did with a batch. */
export interface QueueBatchSummary {
  /** Messages acked: every event delivered, or given up and stored as a dead letter. */
  acked: number;
  /** Messages retried: some events not delivered yet, or a dead letter that could not be stored. */
  retried: number;
  /** Dead letters stored with the dead-letter producer. */
  deadLettered: number;
  /** Events delivered. */
  delivered: number;
}

/**
 * One message being consumed; what became of its events is in the
 * settlement ledger.
 */
interface Pending {
  message: MessageLike;
  destination: string;
  /** Dead letters to store before the message is acked. */
  letters: QueueDeadLetterMessage[];
  /** Whether storing a dead letter failed. */
  lettersFailed: boolean;
}

/** The most characters of a reason kept in a dead letter. */
const MAX_REASON = 2000;

/**
 * Delivers a batch of queue messages written by {@linkcode QueueSink}: the
 * Worker's `queue()` handler calls it. The events of all messages are
 * grouped by destination and sent through one in-memory destination each
 * (so events of many messages share requests), with the destination's
 * retries, splitting and partial-failure handling; then each message is
 * settled on its own:
 *
 * - every event delivered → `ack()`;
 * - some event still undelivered (the SIEM is down, rate-limiting, or
 *   answered some items with 429/5xx) → `retry({ delaySeconds })`, the
 *   delay growing with `attempts`; after the consumer's `max_retries` the
 *   queue moves the message to its dead-letter queue;
 * - events refused for good by the platform (or the destination's age limit)
 *   → sent to `deadLetters` as `{ v: 1, destination, reason, status, at,
 *   events }`, then `ack()`; if that send fails, or there is no
 *   `deadLetters`, the message is retried instead;
 * - a malformed body (not `v: 1`, an unknown or disabled destination,
 *   events that are not SIEM events) → sent to `deadLetters` with the
 *   reason, then `ack()` (logged either way).
 *
 * Every message gets exactly one `ack()` or `retry()`; the function does
 * not throw for a delivery failure (a throw would retry the whole batch).
 * Delivery is at least once: a retried message is delivered again whole,
 * events already delivered included.
 *
 * @example
 * ```ts ignore
 * import { consumeQueueBatch } from "@harombe/siem/cloudflare";
 *
 * export default {
 *   async queue(batch, env) {
 *     await consumeQueueBatch(batch, {
 *       destinations: JSON.parse(env.SIEM_DESTINATIONS),
 *       deadLetters: env.SIEM_DEAD_LETTERS,
 *     });
 *   },
 * };
 * ```
 *
 * @param batch The batch (a Workers `MessageBatch`, or a fake).
 * @param options The destinations, the dead-letter producer, and injected
 * fetch, clock and logger.
 * @returns How many messages were acked and retried, and more.
 * @throws {SIEMConfigError} When a destination config is invalid.
 * @throws {SIEMConfigError} When two destinations share a name.
 */
export async function consumeQueueBatch(
  batch: MessageBatchLike,
  options: QueueConsumerOptions,
): Promise<QueueBatchSummary> {
  const logger = options.logger ?? consoleLogger;
  const clock = options.clock ?? systemClock;
  const retryDelay = options.retryDelaySeconds ?? defaultRetryDelaySeconds;
  const configs = new Map<string, ParsedSIEMConfig>();
  for (const input of options.destinations) {
    const config = parseOnce(input);
    assertNameFree(configs, config.name);
    configs.set(config.name, config);
  }
  const summary: QueueBatchSummary = {
    acked: 0,
    retried: 0,
    deadLettered: 0,
    delivered: 0,
  };
  const pending: Pending[] = [];
  // The batch's messages are the storage; one destination each delivers
  // the events of all its messages.
  const storage = new QueueStorage<Pending>();
  const ledger = storage.ledger;
  const used = new Map<string, ParsedSIEMConfig>();
  const at = (): string => new Date(clock.now()).toISOString();

  for (const message of batch.messages) {
    const item: Pending = {
      message,
      destination: "",
      letters: [],
      lettersFailed: false,
    };
    pending.push(item);
    const read = readQueueMessage(message.body, configs);
    if ("reason" in read) {
      logger.error("malformed queue message", {
        queue: batch.queue,
        messageId: message.id,
        reason: read.reason,
      });
      item.destination = read.destination;
      item.letters.push({
        v: 1,
        destination: read.destination,
        reason: read.reason,
        at: at(),
        events: read.events,
        queue: batch.queue,
        message_id: message.id,
        ...(read.events.length === 0 ? { body: message.body } : {}),
      });
      continue;
    }
    item.destination = read.config.name;
    storage.store({
      owner: item,
      destination: read.config.name,
      events: read.events,
    });
    used.set(read.config.name, read.config);
  }

  // The queue holds the events: bytes are not bounded here (the buffer's
  // event bound is, by feeding what fits), and only explicit flushes send.
  const deliveries = new DestinationSet(storage, {
    fetch: options.fetch,
    clock,
    random: options.random ?? Math.random,
    logger,
    autoFlush: false,
    // Always a callback: the letters go to the dead-letter queue, so the
    // destination does not log them as lost for want of one.
    onDeadLetter: (letter) => options.onDeadLetter?.(letter),
  }, { stored: true });
  for (const config of used.values()) deliveries.add(config);

  const deadline = new AbortController();
  const handle = clock.setTimeout(
    () => deadline.abort(),
    options.maxFlushMs ?? 120_000,
  );
  try {
    await Promise.all(
      deliveries.names.map((name) =>
        deliverMessages(name, deliveries, storage, logger, deadline.signal)
      ),
    );
  } finally {
    clock.clearTimeout(handle);
  }

  // Dead letters of messages whose events have all left.
  for (const item of pending) {
    const account = ledger.account(item);
    summary.delivered += account.delivered;
    if (account.remaining > 0) continue;
    for (const group of deadLetterGroups(account.dead.values())) {
      item.letters.push({
        v: 1,
        destination: item.destination,
        reason: group.reason,
        status: group.status,
        at: at(),
        events: group.events,
        queue: batch.queue,
        message_id: item.message.id,
      });
    }
  }
  const letters: SizedMessage<{ owner: Pending; letter: unknown }>[] = [];
  for (const item of pending) {
    if (ledger.remaining(item) > 0) continue;
    for (const letter of item.letters) {
      letters.push({ body: { owner: item, letter }, bytes: jsonBytes(letter) });
    }
  }
  if (letters.length > 0) {
    const producer = options.deadLetters;
    if (!producer) {
      for (const { body } of letters) body.owner.lettersFailed = true;
      logger.error(
        "events refused for good and no dead-letter queue producer: their messages are retried",
        {
          queue: batch.queue,
          messageIds: [...new Set(letters.map((l) => l.body.owner.message.id))],
        },
      );
    } else {
      for (const group of packBatches(letters)) {
        try {
          await producer.sendBatch(
            group.map(({ body }) => ({
              body: body.letter,
              contentType: "json",
            })),
          );
          summary.deadLettered += group.length;
        } catch (error) {
          for (const { body } of group) body.owner.lettersFailed = true;
          logger.error("dead-letter queue sendBatch failed", {
            queue: batch.queue,
            letters: group.length,
            error: String(error),
          });
        }
      }
    }
  }

  const retried: string[] = [];
  for (const item of pending) {
    if (ledger.remaining(item) > 0 || item.lettersFailed) {
      const delaySeconds = clampDelay(retryDelay(item.message.attempts));
      item.message.retry({ delaySeconds });
      summary.retried++;
      retried.push(item.message.id);
    } else {
      item.message.ack();
      summary.acked++;
    }
  }
  if (retried.length > 0) {
    logger.warn("queue messages retried", {
      queue: batch.queue,
      messages: retried.length,
    });
  }
  return summary;
}

// Sends one destination's events; the ledger learns what settled. The
// batch may hold more events than the destination's buffer takes: they go
// in as far as there is room, and are flushed, until all are sent. An event
// the overflow policy refused would be dead-lettered (and its message
// acked) although the queue holds it and could retry it.
async function deliverMessages(
  name: string,
  deliveries: DestinationSet,
  storage: QueueStorage<Pending>,
  logger: Logger,
  signal: AbortSignal,
): Promise<void> {
  try {
    await deliveries.deliver(name, signal);
    const destination = deliveries.get(name)!;
    const undelivered = destination.buffered + storage.left(name);
    if (undelivered > 0) {
      logger.warn(
        "destination did not take every event; retried via the queue",
        {
          destination: name,
          undelivered,
          error: destination.stats().lastError,
        },
      );
    }
  } catch (error) {
    // Whatever is still buffered belongs to messages that will be retried.
    // A defect, but its text may quote the credential: redacted like
    // every reason.
    const secrets = deliveries.get(name)?.exporter.secrets ?? [];
    logger.error("queue delivery failed", {
      destination: name,
      error: redactSecrets(String(error), secrets),
    });
  }
}

// The dead letters of a message: one per reason, cut to what a queue
// message holds (reasons alike in their first MAX_REASON characters go in
// one letter).
function deadLetterGroups(
  groups: Iterable<DeadGroup>,
): { reason: string; status: number | undefined; events: SIEMEvent[] }[] {
  const letters = new Map<
    string,
    { reason: string; status: number | undefined; events: SIEMEvent[] }
  >();
  for (const group of groups) {
    const reason = group.reason.slice(0, MAX_REASON);
    const letter = letters.get(reason) ??
      { reason, status: group.status, events: [] };
    letter.events.push(...group.events);
    letters.set(reason, letter);
  }
  return [...letters.values()];
}
