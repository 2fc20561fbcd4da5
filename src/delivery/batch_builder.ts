/**
 * Building a destination's request bodies: the next batch taken off its
 * buffer and written straight into the body, within the batch's limits,
 * from the JSON each event was accepted with.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { BodyWriter } from "../platforms/body_writer.ts";
import type { Exporter } from "../platforms/exporter.ts";
import type { SIEMConfig } from "../platforms/siem_config.ts";
import type { AcceptedEvent } from "./accepted_event.ts";
import type { EventQueue } from "./event_queue.ts";

/** An event in a destination's buffer. */
export interface Entry extends AcceptedEvent {
  /** What is sent when it differs from `event` (a re-timed aged event). */
  wire?: { event: SIEMEvent; json: string } | undefined;
  /** When it was buffered, on the destination's clock. */
  at: number;
}

/** A batch taken off the buffer, with its request body. */
export interface Batch {
  /** Its entries, in order. */
  entries: Entry[];
  /** Their JSON size as accepted. */
  bytes: number;
  /** The request body. */
  body: Uint8Array<ArrayBuffer>;
}

/** What a batch may hold. */
export interface BatchLimits {
  /** The most events. */
  batchSize: number;
  /** The most bytes of body (a single larger event goes alone). */
  maxBatchBytes: number;
}

/** Writes one exporter's request bodies, reusing one buffer. */
export class BatchBuilder {
  readonly #exporter: Exporter;
  #writer: BodyWriter | undefined;

  /**
   * Prepares the builder; no memory is taken until the first body.
   *
   * @param exporter The platform's exporter.
   */
  constructor(exporter: Exporter) {
    this.#exporter = exporter;
  }

  /**
   * Takes the next batch off the buffer, written straight into the request
   * body: at most `batchSize` events and `maxBatchBytes` bytes (a single
   * larger event goes alone). On the way, an entry `keep` refuses is
   * dropped (it has dealt with it), and one the platform can never take is
   * dropped and handed to `refuse` with the reason.
   *
   * @param queue The buffer.
   * @param limits The batch's limits.
   * @param keep Whether an entry is sent (undefined: every entry is).
   * @param refuse Told of an entry too large for the platform.
   * @returns The batch, or undefined when no entry was left to send.
   */
  take(
    queue: EventQueue<Entry>,
    limits: BatchLimits,
    keep: ((entry: Entry) => boolean) | undefined,
    refuse: (entry: Entry, reason: string) => void,
  ): Batch | undefined {
    const { batchSize, maxBatchBytes } = limits;
    const exporter = this.#exporter;
    const writer = this.#writer ??= new BodyWriter();
    // The framing that closes a body (Datadog's `]`, nothing for HEC and
    // bulk) must fit under the limit too: measure it once per batch.
    writer.truncate(0);
    exporter.closeBatch(writer);
    const closing = writer.length;
    writer.truncate(0);
    exporter.openBatch(writer);
    const entries: Entry[] = [];
    let bytes = 0;
    while (queue.length > 0 && entries.length < batchSize) {
      const entry = queue.peek() as Entry;
      if (keep && !keep(entry)) {
        queue.shift();
        continue;
      }
      const start = writer.length;
      writeEntry(exporter, writer, entry, entries.length);
      const refused = exporter.refuseEventBytes(
        writer.length - start -
          (entries.length > 0 ? exporter.separatorBytes : 0),
      );
      if (refused !== undefined) {
        writer.truncate(start);
        queue.shift();
        refuse(entry, refused);
        continue;
      }
      if (entries.length > 0 && writer.length + closing > maxBatchBytes) {
        writer.truncate(start);
        break;
      }
      queue.shift();
      entries.push(entry);
      bytes += entry.bytes;
    }
    if (entries.length === 0) return undefined;
    exporter.closeBatch(writer);
    return { entries, bytes, body: writer.bytes() };
  }

  /**
   * Takes the next batch of events the platform takes: an event too large
   * for it, or too old or too far ahead (unless re-timed to now, as the
   * config says), is given up on the way.
   *
   * @param queue The buffer.
   * @param options The destination's config, the time, and what to tell
   * of an aged event and of one given up.
   * @returns The batch, or undefined when no entry was left to send.
   */
  takeSendable(
    queue: EventQueue<Entry>,
    options: {
      config: SIEMConfig;
      now: () => number;
      aged: () => void;
      giveUp: (entry: Entry, reason: string) => void;
    },
  ): Batch | undefined {
    const { config, giveUp } = options;
    const maxLeadMs = this.#exporter.maxEventLeadMs;
    const dated = config.maxEventAgeMs !== undefined ||
      maxLeadMs !== undefined;
    return this.take(
      queue,
      config,
      dated
        ? (entry) => {
          const age = ageVerdict(entry, options.now(), config, maxLeadMs);
          if (age.aged) options.aged();
          if (age.send) return true;
          giveUp(entry, age.reason);
          return false;
        }
        : undefined,
      giveUp,
    );
  }

  /**
   * The request body of entries, from the JSON each was accepted with (a
   * retry or a split half).
   *
   * @param entries The entries.
   * @returns The body.
   */
  encode(entries: readonly Entry[]): Uint8Array<ArrayBuffer> {
    const writer = this.#writer ??= new BodyWriter();
    writer.truncate(0);
    this.#exporter.openBatch(writer);
    for (let i = 0; i < entries.length; i++) {
      writeEntry(this.#exporter, writer, entries[i] as Entry, i);
    }
    this.#exporter.closeBatch(writer);
    return writer.bytes();
  }
}

// Writes an entry with the JSON it was accepted with (or re-timed to): the
// exporter reads only the event's top-level strings, which no caller holds.
function writeEntry(
  exporter: Exporter,
  writer: BodyWriter,
  entry: Entry,
  index: number,
): void {
  const sent = entry.wire ?? entry;
  exporter.writeEvent(writer, sent.event, index, sent.json);
}

/** What a destination does with an event by its date. */
export type AgeVerdict =
  /** Send it; `aged` when it was re-timed to now. */
  | { send: true; aged: boolean }
  /** Give it up for this reason; `aged` when its date was the cause. */
  | { send: false; aged: boolean; reason: string };

/**
 * Whether an event's date is one the platform keeps: not older than
 * `maxEventAgeMs`, not further ahead than `maxLeadMs`. Any other is
 * re-timed to now (`agedEvents: "send_as_now"`, setting `entry.wire`) or
 * given up, as the config says. An entry already re-timed is sent.
 *
 * @param entry The buffered event.
 * @param now The time now, in epoch ms.
 * @param config The destination's age settings and platform.
 * @param maxLeadMs The furthest ahead the platform takes, if bounded.
 * @returns Whether to send it.
 */
export function ageVerdict(
  entry: Entry,
  now: number,
  config: Pick<SIEMConfig, "maxEventAgeMs" | "agedEvents" | "platform">,
  maxLeadMs: number | undefined,
): AgeVerdict {
  if (entry.wire !== undefined) return { send: true, aged: false };
  const { maxEventAgeMs: maxAgeMs, platform } = config;
  const age = now - Date.parse(entry.event.timestamp);
  const minutes = (ms: number) => Math.round(ms / 60_000);
  let reason: string;
  if (maxAgeMs !== undefined && age > maxAgeMs) {
    reason = `event is ${minutes(age)} minutes old, older than the ${
      minutes(maxAgeMs)
    } minutes ${platform} takes (maxEventAgeMs)`;
  } else if (maxLeadMs !== undefined && -age > maxLeadMs) {
    reason = `event is dated ${minutes(-age)} minutes ahead, further than the ${
      minutes(maxLeadMs)
    } minutes ahead ${platform} takes`;
  } else {
    return { send: true, aged: false };
  }
  if (config.agedEvents !== "send_as_now") {
    return { send: false, aged: true, reason };
  }
  try {
    entry.wire = retimed(entry, new Date(now).toISOString());
    return { send: true, aged: true };
  } catch (error) {
    return {
      send: false,
      aged: true,
      reason: `cannot serialize the event: ${
        error instanceof Error ? error.message : String(error)
      }`,
    };
  }
}

/**
 * An aged event sent with the current time, serialized once when it is
 * re-timed. Its metadata is the integrator's own copy, taken at acceptance.
 *
 * @param entry The accepted event.
 * @param timestamp The time to send it with.
 * @returns The event as sent and its JSON.
 */
export function retimed(
  entry: AcceptedEvent,
  timestamp: string,
): { event: SIEMEvent; json: string } {
  const event = {
    ...entry.event,
    timestamp,
    original_timestamp: entry.event.timestamp,
  };
  return { event, json: JSON.stringify(event) };
}
