/**
 * The producer half of the Cloudflare Queues spool: an ingest sink that
 * writes accepted events to a queue, one message per destination and chunk
 * of events, and resolves only once the queue has stored them.
 *
 * @module
 */
import type { AuditEvent } from "../events/audit_event.ts";
import { type SIEMEvent, toSIEMEvent } from "../events/siem_event.ts";
import { consoleLogger } from "../delivery/console_logger.ts";
import type { Logger } from "../delivery/logger.ts";
import {
  type DeliveryStats,
  type DestinationStats,
  emptyCounters,
} from "../delivery/stats.ts";
import { IngestError, refusedEventsError } from "../ingest/ingest_error.ts";
import { metadataRefusals } from "../platforms/elasticsearch_mapping.ts";
import type { AcceptOptions, IngestSink } from "../ingest/sink.ts";
import {
  type ParsedSIEMConfig,
  parseOnce,
  type SIEMConfigInput,
} from "../platforms/siem_config.ts";
import {
  jsonBytes,
  packBatches,
  QUEUE_LIMITS,
  type QueueEventsMessage,
  type QueueProducerLike,
  type SizedMessage,
} from "./queue_like.ts";
import { assertNameFree } from "../platforms/destination_name.ts";

/** Options of {@linkcode QueueSink}. */
export interface QueueSinkOptions {
  /** The `source` written on every SIEM event; default `"harombe"`. */
  source?: string | undefined;
  /** Where queue failures are written; default: the console. */
  logger?: Logger | undefined;
  /**
   * The `Retry-After` answered when the queue refuses events, in seconds.
   *
   * @default {5}
   */
  retryAfterSeconds?: number | undefined;
}

/** The statistics of a {@linkcode QueueSink}: what it put on the queue. */
export interface QueueSinkStats extends DeliveryStats {
  /** The queue's side. */
  queue: {
    /** Messages the queue stored. */
    messagesSent: number;
    /** `sendBatch` calls that succeeded. */
    batchesSent: number;
    /** `sendBatch` calls that failed. */
    failedSends: number;
  };
}

/** What `capacity()` answers: the queue, not this isolate, holds the events. */
const QUEUE_CAPACITY = 1_000_000_000;

/** A destination as the sink writes to it: its messages' envelope and count. */
interface QueueTarget {
  config: ParsedSIEMConfig;
  enqueued: number;
  /** The JSON size of `{"v":1,"destination":<name>,"events":[]}`. */
  envelopeBytes: number;
}

/**
 * An ingest sink that writes accepted events to a Cloudflare Queue (or any
 * {@linkcode QueueProducerLike}): `accept` normalizes them and sends one
 * message `{ v: 1, destination, events }` per enabled destination and
 * chunk of at most 100,000 bytes of JSON, in `sendBatch` calls of at most
 * 100 messages and 250,000 bytes, and resolves once every call has: the
 * ingest answers 202 only for events the queue has stored. The queue's
 * consumer ({@linkcode consumeQueueBatch}) delivers them.
 *
 * One message per destination lets each destination be retried on its own:
 * a destination that is down does not resend what another has taken.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { QueueSink } from "@harombe/siem/cloudflare";
 *
 * const sent: unknown[] = [];
 * const sink = new QueueSink({
 *   send: async (body) => void sent.push(body),
 *   sendBatch: async (messages) => {
 *     for (const message of messages) sent.push(message.body);
 *   },
 * }, [{ platform: "elasticsearch", endpoint: "https://es.example.com:9200" }]);
 * await sink.accept([{
 *   event_id: "evt-1",
 *   correlation_id: "req-1",
 *   timestamp: "2026-01-31T12:00:00.000Z",
 *   event_type: "tool_call",
 *   actor: "agent-7",
 *   action: "read_file",
 *   metadata: {},
 *   status: "success",
 * }]);
 * assert.equal(sent.length, 1);
 * ```
 */
export class QueueSink implements IngestSink {
  readonly #producer: QueueProducerLike;
  readonly #targets: QueueTarget[] = [];
  readonly #source: string | undefined;
  readonly #logger: Logger;
  readonly #retryAfter: number;
  #accepted = 0;
  #messagesSent = 0;
  #batchesSent = 0;
  #failedSends = 0;
  #failures = 0;
  #lastError: string | undefined;
  #lastErrorAt: number | undefined;

  /**
   * Creates the sink; nothing is sent until `accept`.
   *
   * @param producer The queue (a Workers Queue binding).
   * @param configs The destinations (validated here when they are not yet).
   * @param options The `source`, logger and `Retry-After`.
   * @throws {SIEMConfigError} When a config is invalid.
   * @throws {SIEMConfigError} When two destinations share a name.
   */
  constructor(
    producer: QueueProducerLike,
    configs: readonly (ParsedSIEMConfig | SIEMConfigInput)[],
    options: QueueSinkOptions = {},
  ) {
    this.#producer = producer;
    this.#source = options.source;
    this.#logger = options.logger ?? consoleLogger;
    this.#retryAfter = options.retryAfterSeconds ?? 5;
    const names = new Set<string>();
    for (const input of configs) {
      const config = parseOnce(input);
      assertNameFree(names, config.name);
      names.add(config.name);
      this.#targets.push({
        config,
        enqueued: 0,
        envelopeBytes: jsonBytes({
          v: 1,
          destination: config.name,
          events: [],
        }),
      });
    }
  }

  /**
   * Sends validated events to the queue, for every enabled destination;
   * resolves once the queue has stored all of them.
   *
   * @param events The events.
   * @throws {IngestError} 413 when one event is too large for a queue
   * message (nothing is sent then), 400 (`invalid_events`, naming each
   * field; nothing is sent) when an event's metadata is what an
   * Elasticsearch destination without `indexTemplate` can never index, 503 with `Retry-After` when no
   * destination is enabled or the queue refuses a batch (batches stored
   * before the refusal stay: a client that retries may cause duplicates).
   */
  async accept(
    events: readonly AuditEvent[],
    stamp?: AcceptOptions,
  ): Promise<void> {
    const targets = this.#targets.filter((target) => target.config.enabled);
    if (targets.length === 0) {
      throw new IngestError(503, "overloaded", "no destination is enabled");
    }
    if (events.length === 0) return;
    const refused = metadataRefusals(
      targets.map((target) => target.config),
      events,
    );
    if (refused.length > 0) throw refusedEventsError(refused);
    // Stamped before the message is written: the consumer sends the
    // events as the message holds them.
    const options = { source: this.#source, producer: stamp?.producer };
    const siemEvents = events.map((event) => toSIEMEvent(event, options));
    const sizes = siemEvents.map((event) => jsonBytes(event));
    const messages: SizedMessage<QueueEventsMessage>[] = [];
    for (const target of targets) {
      messages.push(...this.#chunk(target, siemEvents, sizes));
    }
    const batches = packBatches(messages);
    for (const batch of batches) {
      try {
        await this.#producer.sendBatch(
          batch.map((message) => ({ body: message.body, contentType: "json" })),
        );
      } catch (error) {
        this.#failedSends++;
        this.#failures++;
        this.#lastError = `the queue refused a batch: ${String(error)}`;
        this.#lastErrorAt = Date.now();
        this.#logger.error("queue sendBatch failed", {
          messages: batch.length,
          error: String(error),
        });
        throw new IngestError(
          503,
          "overloaded",
          "the queue could not store the events now; retry later",
          {},
          { "Retry-After": String(this.#retryAfter) },
        );
      }
      this.#batchesSent++;
      this.#messagesSent += batch.length;
      for (const { body } of batch) {
        const target = targets.find((l) => l.config.name === body.destination);
        if (target) target.enqueued += body.events.length;
      }
    }
    this.#failures = 0;
    this.#accepted += events.length;
  }

  /** How many more events can be accepted: unbounded here (the queue holds them), 0 without an enabled destination. */
  capacity(): number {
    return this.#targets.some((target) => target.config.enabled)
      ? QUEUE_CAPACITY
      : 0;
  }

  /**
   * Statistics: events accepted, and per destination the events put on the
   * queue (`eventsReceived`). Delivery happens in the consumer, whose
   * counters are not here; `buffered` is 0 (the queue holds the events).
   *
   * @returns The statistics.
   */
  getStats(): QueueSinkStats {
    const totals = emptyCounters();
    const perPlatform: Record<string, DestinationStats> = {};
    for (const target of this.#targets) {
      const counters = { ...emptyCounters(), eventsReceived: target.enqueued };
      totals.eventsReceived += target.enqueued;
      const { enabled } = target.config;
      perPlatform[target.config.name] = {
        ...counters,
        name: target.config.name,
        platform: target.config.platform,
        enabled,
        state: enabled ? "idle" : "disabled",
        buffered: 0,
        consecutiveFailures: enabled ? this.#failures : 0,
        lastError: this.#lastError,
        lastErrorAt: this.#lastErrorAt === undefined
          ? undefined
          : new Date(this.#lastErrorAt).toISOString(),
      };
    }
    return {
      ...totals,
      eventsAccepted: this.#accepted,
      buffered: 0,
      perPlatform,
      perDestination: perPlatform,
      queue: {
        messagesSent: this.#messagesSent,
        batchesSent: this.#batchesSent,
        failedSends: this.#failedSends,
      },
    };
  }

  /**
   * Nothing to send: `accept` has already stored everything on the queue.
   *
   * @returns A resolved promise.
   */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  // Cuts one destination's events into messages of at most maxMessageBytes
  // of JSON (the envelope, the events and the commas between them).
  #chunk(
    target: QueueTarget,
    events: SIEMEvent[],
    sizes: number[],
  ): SizedMessage<QueueEventsMessage>[] {
    const max = QUEUE_LIMITS.maxMessageBytes;
    const messages: SizedMessage<QueueEventsMessage>[] = [];
    let current: SIEMEvent[] = [];
    let bytes = target.envelopeBytes;
    const close = (): void => {
      messages.push({
        body: { v: 1, destination: target.config.name, events: current },
        bytes,
      });
      current = [];
      bytes = target.envelopeBytes;
    };
    for (let i = 0; i < events.length; i++) {
      const size = sizes[i] as number;
      if (target.envelopeBytes + size > max) {
        throw new IngestError(
          413,
          "payload_too_large",
          `an event is larger than the ${
            max - target.envelopeBytes
          } bytes of JSON one queue message holds (event ${i})`,
        );
      }
      const added = size + (current.length > 0 ? 1 : 0);
      if (current.length > 0 && bytes + added > max) close();
      bytes += size + (current.length > 0 ? 1 : 0);
      current.push(events[i] as SIEMEvent);
    }
    if (current.length > 0) close();
    return messages;
  }
}
