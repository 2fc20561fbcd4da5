/**
 * A hand-written fake of Cloudflare Queues for plain Deno tests: a producer
 * that enforces the platform's limits and records every `sendBatch`, and
 * message batches that record each message's `ack()` / `retry()`.
 *
 * @module
 */
import type {
  MessageBatchLike,
  MessageLike,
  QueueMessageRequest,
  QueueProducerLike,
  QueueRetryOptions,
  QueueSendOptions,
} from "../../../src/spool/queue_like.ts";

/** Cloudflare's limits (1 KB = 1000 B). */
export const CF_LIMITS = {
  messageBytes: 128_000,
  metadataBytes: 100,
  batchMessages: 100,
  batchBytes: 256_000,
} as const;

const encoder = new TextEncoder();

/** The JSON size of a message body, as a `json` message carries it. */
export function bodyBytes(body: unknown): number {
  return encoder.encode(JSON.stringify(body)).length;
}

/** A message the fake queue stored. */
export interface StoredMessage {
  /** Its id. */
  id: string;
  /** The body after the JSON round trip a `json` message makes. */
  body: unknown;
  /** Its JSON size in bytes. */
  bytes: number;
  /** Its content type. */
  contentType: string | undefined;
}

/** A fake queue producer: checks every limit, records every call. */
export class FakeQueue implements QueueProducerLike {
  /** Every successful `sendBatch`, in order. */
  readonly batches: StoredMessage[][] = [];
  /** Messages stored and not yet taken by {@linkcode FakeQueue.take}. */
  readonly stored: StoredMessage[] = [];
  /** Calls that failed. */
  failures = 0;
  #failNext: Error[] = [];
  #gate: Promise<void> | undefined;
  #next = 1;

  /** Makes the next calls throw these errors, one each. */
  failNext(...errors: Error[]): void {
    this.#failNext.push(...errors);
  }

  /** Holds every call until the promise resolves. */
  hold(gate: Promise<void> | undefined): void {
    this.#gate = gate;
  }

  /** Sends one message. */
  send(body: unknown, options: QueueSendOptions = {}): Promise<void> {
    return this.sendBatch([{ body, ...options }]);
  }

  /** Sends a batch, as Cloudflare checks it. */
  async sendBatch(messages: Iterable<QueueMessageRequest>): Promise<void> {
    const list = [...messages];
    if (this.#gate) await this.#gate;
    const error = this.#failNext.shift();
    if (error) {
      this.failures++;
      throw error;
    }
    if (list.length > CF_LIMITS.batchMessages) {
      throw new Error(`sendBatch of ${list.length} messages`);
    }
    let total = 0;
    const stored = list.map((message) => {
      const bytes = bodyBytes(message.body);
      if (bytes + CF_LIMITS.metadataBytes > CF_LIMITS.messageBytes) {
        throw new Error(`message of ${bytes} bytes`);
      }
      total += bytes + CF_LIMITS.metadataBytes;
      return {
        id: `msg-${this.#next++}`,
        body: JSON.parse(JSON.stringify(message.body)),
        bytes,
        contentType: message.contentType,
      };
    });
    if (total > CF_LIMITS.batchBytes) {
      throw new Error(`sendBatch of ${total} bytes`);
    }
    this.batches.push(stored);
    this.stored.push(...stored);
  }

  /** Every body stored so far (taken or not), in order. */
  get bodies(): unknown[] {
    return this.batches.flat().map((message) => message.body);
  }

  /** Takes the stored messages as a consumer batch. */
  take(queue = "siem", attempts = 1): FakeBatch {
    const taken = this.stored.splice(0);
    return new FakeBatch(
      queue,
      taken.map((message) =>
        new FakeMessage(message.id, message.body, attempts)
      ),
    );
  }
}

/** A message that records what the consumer did with it. */
export class FakeMessage implements MessageLike {
  /** Every ack()/retry() call, in order. */
  readonly calls: Array<"ack" | { retry: number | undefined }> = [];

  /** Creates the message. */
  constructor(
    readonly id: string,
    readonly body: unknown,
    readonly attempts = 1,
  ) {}

  /** Records an ack. */
  ack(): void {
    this.calls.push("ack");
  }

  /** Records a retry and its delay. */
  retry(options?: QueueRetryOptions): void {
    this.calls.push({ retry: options?.delaySeconds });
  }

  /** What the first call was: `"ack"`, `"retry"`, or `"none"`. */
  get outcome(): "ack" | "retry" | "none" {
    const first = this.calls[0];
    return first === undefined ? "none" : first === "ack" ? "ack" : "retry";
  }
}

/** A batch of fake messages. */
export class FakeBatch implements MessageBatchLike {
  /** Creates the batch. */
  constructor(readonly queue: string, readonly messages: FakeMessage[]) {}

  /** Messages with exactly one call, which was an ack. */
  get acked(): FakeMessage[] {
    return this.messages.filter((m) =>
      m.calls.length === 1 && m.outcome === "ack"
    );
  }

  /** Messages with exactly one call, which was a retry. */
  get retried(): FakeMessage[] {
    return this.messages.filter((m) =>
      m.calls.length === 1 && m.outcome === "retry"
    );
  }
}

/** A batch made of bodies, as a consumer receives them. */
export function batchOf(
  bodies: unknown[],
  queue = "siem",
  attempts = 1,
): FakeBatch {
  return new FakeBatch(
    queue,
    bodies.map((body, i) =>
      new FakeMessage(`m-${i}`, JSON.parse(JSON.stringify(body)), attempts)
    ),
  );
}
