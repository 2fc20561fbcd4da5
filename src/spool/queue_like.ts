/**
 * The small part of Cloudflare Queues' API the queue spool uses, typed
 * structurally (a Workers `Queue` binding, `MessageBatch` and `Message` fit,
 * and so do hand-written fakes), the message bodies it writes, and the
 * limits it packs them under.
 *
 * @module
 */
import { utf8Length } from "../delivery/accepted_event.ts";
import type { SIEMEvent } from "../events/siem_event.ts";

/** How a message body is serialized by the queue. */
export type QueueContentType = "text" | "bytes" | "json" | "v8";

/** Options of one message sent to a queue. */
export interface QueueSendOptions {
  /** How the body is serialized; the spool always sends `"json"`. */
  contentType?: QueueContentType | undefined;
  /** Seconds before the message may be delivered (at most 43200). */
  delaySeconds?: number | undefined;
}

/** Options of a whole `sendBatch` call. */
export interface QueueSendBatchOptions {
  /** Seconds before the messages may be delivered (at most 43200). */
  delaySeconds?: number | undefined;
}

/** One message of a `sendBatch` call. */
export interface QueueMessageRequest extends QueueSendOptions {
  /** The message body: any structured-clonable value. */
  body: unknown;
}

/**
 * A queue producer: a Workers Queue binding (`env.SIEM_QUEUE`), or a fake.
 * Both methods resolve once the queue has stored the messages, and reject
 * (for example with "Too Many Requests") when it has not.
 */
export interface QueueProducerLike {
  /**
   * Sends one message.
   *
   * @param body The message body.
   * @param options Content type and delay.
   */
  send(body: unknown, options?: QueueSendOptions): Promise<unknown>;
  /**
   * Sends up to 100 messages (256 KB in all) at once.
   *
   * @param messages The messages.
   * @param options A delay for all of them.
   */
  sendBatch(
    messages: Iterable<QueueMessageRequest>,
    options?: QueueSendBatchOptions,
  ): Promise<unknown>;
}

/** Options of {@linkcode MessageLike.retry}. */
export interface QueueRetryOptions {
  /** Seconds before the message is delivered again (at most 43200). */
  delaySeconds?: number | undefined;
}

/** One message delivered to a queue consumer (a Workers `Message`, or a fake). */
export interface MessageLike {
  /** The message's id, unique in its queue. */
  readonly id: string;
  /** The body, as sent. */
  readonly body: unknown;
  /** How many times it has been delivered, this time included (from 1). */
  readonly attempts: number;
  /** Marks it done: it is not delivered again. */
  ack(): void;
  /**
   * Marks it for delivery again; after the consumer's `max_retries` the
   * queue moves it to its dead-letter queue (or deletes it without one).
   *
   * @param options The delay before the next delivery.
   */
  retry(options?: QueueRetryOptions): void;
}

/** A batch of messages delivered to a queue consumer (a Workers `MessageBatch`, or a fake). */
export interface MessageBatchLike {
  /** The name of the queue the messages come from. */
  readonly queue: string;
  /** The messages. */
  readonly messages: readonly MessageLike[];
}

/**
 * The body of a message the queue spool sends: events accepted for one
 * destination.
 */
export interface QueueEventsMessage {
  /** The body's format version. */
  v: 1;
  /** The destination's name (its config's `name`). */
  destination: string;
  /** The events, normalized. */
  events: SIEMEvent[];
}

/**
 * The body of a dead letter the queue consumer sends to its dead-letter
 * producer, and the JSON it posts to a dead-letter webhook.
 */
export interface QueueDeadLetterMessage {
  /** The body's format version. */
  v: 1;
  /** The destination's name (`""` when a malformed message named none). */
  destination: string;
  /** Why the events were not delivered (the platform's reason where it gave one). */
  reason: string;
  /** The HTTP status that refused them, if any. */
  status?: number | undefined;
  /** When they were given up, as UTC ISO 8601. */
  at: string;
  /** The events (empty for a message whose events could not be read). */
  events: SIEMEvent[];
  /** The queue the message came from, when known. */
  queue?: string | undefined;
  /** The queue message's id, when known. */
  message_id?: string | undefined;
  /** A malformed message's body as it came, when its events could not be read. */
  body?: unknown;
}

/**
 * The limits the spool keeps under. Cloudflare Queues take messages of at
 * most 128 KB (1 KB = 1000 B, about 100 B of metadata included) and
 * `sendBatch` calls of at most 100 messages and 256 KB.
 */
export const QUEUE_LIMITS: {
  /** Most bytes of JSON in one message body the spool writes. */
  readonly maxMessageBytes: 100_000;
  /** Most messages in one `sendBatch` call. */
  readonly maxBatchMessages: 100;
  /** Most bytes in one `sendBatch` call, metadata allowance included. */
  readonly maxBatchBytes: 250_000;
  /** What each message is counted for beyond its body, in a batch's bytes. */
  readonly messageOverheadBytes: 200;
} = Object.freeze({
  maxMessageBytes: 100_000,
  maxBatchMessages: 100,
  maxBatchBytes: 250_000,
  messageOverheadBytes: 200,
});

/** The UTF-8 size of a string, without encoding it (the delivery layer's own count). */
export { utf8Length };

/**
 * The UTF-8 size of a value's JSON, as a `json` queue message carries it.
 *
 * @param value The value.
 * @returns Its size in bytes.
 */
export function jsonBytes(value: unknown): number {
  return utf8Length(JSON.stringify(value) ?? "");
}

/** A message body with its JSON size. */
export interface SizedMessage<T> {
  /** The body. */
  body: T;
  /** Its JSON size in bytes. */
  bytes: number;
}

/**
 * Packs messages into `sendBatch` calls of at most
 * {@linkcode QUEUE_LIMITS}`.maxBatchMessages` messages and
 * `maxBatchBytes` bytes (each message counted with its overhead); a message
 * larger than that goes alone.
 *
 * @param messages The messages, in order.
 * @returns The batches, in order.
 */
export function packBatches<T>(
  messages: readonly SizedMessage<T>[],
): SizedMessage<T>[][] {
  const batches: SizedMessage<T>[][] = [];
  let current: SizedMessage<T>[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = message.bytes + QUEUE_LIMITS.messageOverheadBytes;
    if (
      current.length > 0 &&
      (current.length >= QUEUE_LIMITS.maxBatchMessages ||
        bytes + size > QUEUE_LIMITS.maxBatchBytes)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Whether a value is a queue producer (has `send` and `sendBatch`).
 *
 * @param value The value, such as a Worker's binding.
 * @returns True for a producer.
 */
export function isQueueProducer(value: unknown): value is QueueProducerLike {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.send === "function" &&
    typeof candidate.sendBatch === "function";
}
