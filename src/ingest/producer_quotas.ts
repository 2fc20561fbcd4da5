/**
 * Per-producer quotas: events/s and bytes/s token buckets, a share of the
 * buffers, and the counts `/stats` and `/metrics` show per producer. Kept
 * in memory: on Workers each isolate has its own buckets and counts.
 *
 * @module
 */
import { IngestError } from "./ingest_error.ts";

/** One producer's limits; every one is optional (unset: no limit). */
export interface ProducerQuota {
  /** Events per second, refilled continuously. */
  eventsPerSecond?: number | undefined;
  /** Most events taken at once after a pause; default `eventsPerSecond`. */
  burstEvents?: number | undefined;
  /** Decoded body bytes per second, refilled continuously. */
  bytesPerSecond?: number | undefined;
  /** Most bytes taken at once after a pause; default `bytesPerSecond`. */
  burstBytes?: number | undefined;
  /**
   * The most of the sink's capacity (0 to 1] this producer's events may
   * hold; past it the producer gets 503 while others are still accepted.
   */
  maxShare?: number | undefined;
}

/**
 * Quotas by producer name; the key `"*"` applies to every producer not
 * listed (names cannot hold `*`).
 */
export type ProducerQuotas = Readonly<Record<string, ProducerQuota>>;

/** One producer's `POST /events` counts, in `/stats` `producers`. */
export interface ProducerStats {
  /** Requests answered 202. */
  accepted: number;
  /** Events those requests held. */
  eventsAccepted: number;
  /** Requests answered 429: over the events/s or bytes/s quota. */
  refusedByQuota: number;
  /** Requests answered 503 because the producer held its share of the buffers. */
  refusedOverShare: number;
  /** Requests answered 400, 413 or 415: invalid, too large, unsupported. */
  refusedInvalid: number;
}

class Bucket {
  #level: number;
  #at: number;
  constructor(readonly rate: number, readonly burst: number, now: number) {
    this.#level = burst;
    this.#at = now;
  }
  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#at) / 1000;
    this.#level = Math.min(this.burst, this.#level + elapsed * this.rate);
    this.#at = now;
  }
  /**
   * Seconds until `amount` can be taken (0: now). A request larger than
   * the burst needs a full bucket and leaves it in debt, so that it is
   * possible at all and still paid for.
   */
  wait(amount: number, now: number): number {
    this.#refill(now);
    const needed = Math.min(amount, this.burst);
    return this.#level >= needed ? 0 : (needed - this.#level) / this.rate;
  }
  take(amount: number): void {
    this.#level -= amount;
  }
}

interface Producer {
  stats: ProducerStats;
  events?: Bucket | undefined;
  bytes?: Bucket | undefined;
  held: number;
  maxShare?: number | undefined;
}

/**
 * Checks every quota: positive numbers, `maxShare` in (0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkQuotas } from "@harombe/siem/ingest";
 *
 * assert.throws(() => checkQuotas({ billing: { eventsPerSecond: 0 } }), RangeError);
 * ```
 *
 * @param quotas The quotas by producer.
 * @returns The same quotas.
 * @throws {RangeError} When a value is out of range.
 */
export function checkQuotas(quotas: ProducerQuotas): ProducerQuotas {
  for (const [name, quota] of Object.entries(quotas)) {
    for (
      const field of [
        "eventsPerSecond",
        "burstEvents",
        "bytesPerSecond",
        "burstBytes",
      ] as const
    ) {
      const value = quota[field];
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
        throw new RangeError(
          `quotas["${name}"].${field} must be a positive number: current value is ${value}`,
        );
      }
    }
    const share = quota.maxShare;
    if (share !== undefined && !(share > 0 && share <= 1)) {
      throw new RangeError(
        `quotas["${name}"].maxShare must be more than 0 and at most 1: current value is ${share}`,
      );
    }
  }
  return quotas;
}

/** The quota state of an app: buckets, shares and counts by producer. */
export interface ProducerLimiter {
  /**
   * Refuses with 429 a producer whose buckets are empty, before its body
   * is read.
   */
  precheck(name: string, now: number): void;
  /** Takes `events` and `bytes` from the producer's buckets, or throws 429. */
  take(name: string, events: number, bytes: number, now: number): void;
  /**
   * Throws 503 when `events` more would take the producer past its share
   * of the sink; `free` is the sink's capacity now.
   */
  checkShare(name: string, events: number, free: number): void;
  /** Counts accepted events (and holds them against the share). */
  accepted(name: string, events: number): void;
  /** Counts a request refused as invalid (400, 413, 415). */
  refused(name: string, status: number): void;
  /** A copy of the counts by producer. */
  snapshot(): Record<string, ProducerStats>;
}

/**
 * The quota state for `quotas`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { producerLimiter } from "@harombe/siem/ingest";
 *
 * const limiter = producerLimiter({ "*": { eventsPerSecond: 10 } }, 5);
 * limiter.take("billing", 10, 100, 0);
 * assert.throws(() => limiter.take("billing", 10, 100, 0), /quota/);
 * limiter.take("billing", 10, 100, 1000); // refilled a second later
 * ```
 *
 * @param quotas Quotas by producer (`"*"`: the others).
 * @param retryAfterSeconds The `Retry-After` of a 503 over the share.
 * @returns The limiter.
 */
export function producerLimiter(
  quotas: ProducerQuotas,
  retryAfterSeconds: number,
): ProducerLimiter {
  checkQuotas(quotas);
  const producers = new Map<string, Producer>();
  // The sink's size in events: the most capacity seen. Occupancy is what
  // is missing from it; each producer's held events are scaled down as
  // the sink drains (delivery does not say whose events left).
  let size = 0;
  const get = (name: string, now: number): Producer => {
    let producer = producers.get(name);
    if (producer) return producer;
    const quota = quotas[name] ?? quotas["*"] ?? {};
    producer = {
      stats: {
        accepted: 0,
        eventsAccepted: 0,
        refusedByQuota: 0,
        refusedOverShare: 0,
        refusedInvalid: 0,
      },
      events: quota.eventsPerSecond === undefined ? undefined : new Bucket(
        quota.eventsPerSecond,
        quota.burstEvents ?? quota.eventsPerSecond,
        now,
      ),
      bytes: quota.bytesPerSecond === undefined ? undefined : new Bucket(
        quota.bytesPerSecond,
        quota.burstBytes ?? quota.bytesPerSecond,
        now,
      ),
      held: 0,
      maxShare: quota.maxShare,
    };
    producers.set(name, producer);
    return producer;
  };
  const limited = (name: string, wait: number): IngestError => {
    get(name, 0).stats.refusedByQuota++;
    return new IngestError(
      429,
      "rate_limited",
      `producer "${name}" is over its quota; retry later`,
      {},
      // delay-seconds: a whole number (RFC 9110, section 10.2.3).
      { "Retry-After": String(Math.max(1, Math.ceil(wait))) },
    );
  };
  return {
    precheck(name: string, now: number): void {
      const producer = get(name, now);
      const wait = Math.max(
        producer.events?.wait(1, now) ?? 0,
        producer.bytes?.wait(1, now) ?? 0,
      );
      if (wait > 0) throw limited(name, wait);
    },
    take(name: string, events: number, bytes: number, now: number): void {
      const producer = get(name, now);
      const wait = Math.max(
        producer.events?.wait(events, now) ?? 0,
        producer.bytes?.wait(bytes, now) ?? 0,
      );
      if (wait > 0) throw limited(name, wait);
      producer.events?.take(events);
      producer.bytes?.take(bytes);
    },
    checkShare(name: string, events: number, free: number): void {
      size = Math.max(size, free);
      const used = size - free;
      let total = 0;
      for (const p of producers.values()) total += p.held;
      if (total > used) {
        const kept = total === 0 ? 0 : used / total;
        for (const p of producers.values()) p.held *= kept;
      }
      const producer = producers.get(name);
      const share = producer?.maxShare;
      if (share === undefined) return;
      if (producer!.held + events > share * size) {
        producer!.stats.refusedOverShare++;
        throw new IngestError(
          503,
          "overloaded",
          `producer "${name}" holds its share of the buffers (${share}); retry later`,
          {},
          { "Retry-After": String(retryAfterSeconds) },
        );
      }
    },
    accepted(name: string, events: number): void {
      const producer = get(name, 0);
      producer.held += events;
      producer.stats.accepted++;
      producer.stats.eventsAccepted += events;
    },
    refused(name: string, status: number): void {
      if (status === 400 || status === 413 || status === 415) {
        get(name, 0).stats.refusedInvalid++;
      }
    },
    snapshot(): Record<string, ProducerStats> {
      const copy: Record<string, ProducerStats> = {};
      for (const [name, p] of producers) copy[name] = { ...p.stats };
      return copy;
    },
  };
}

/**
 * The per-producer counts in the Prometheus text format, appended to
 * `/metrics`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderProducerMetrics } from "@harombe/siem/ingest";
 *
 * const text = renderProducerMetrics({
 *   billing: { accepted: 1, eventsAccepted: 3, refusedByQuota: 2, refusedOverShare: 0, refusedInvalid: 0 },
 * });
 * assert.match(text, /harombe_siem_ingest_producer_requests_total\{producer="billing",outcome="rate_limited"\} 2/);
 * ```
 *
 * @param stats The counts by producer.
 * @param prefix The metric name prefix.
 * @returns The metric families, ending with a newline (empty when none).
 */
export function renderProducerMetrics(
  stats: Record<string, ProducerStats>,
  prefix: string = "harombe_siem",
): string {
  const names = Object.keys(stats);
  if (names.length === 0) return "";
  const requests = `${prefix}_ingest_producer_requests_total`;
  const events = `${prefix}_ingest_producer_events_accepted_total`;
  const lines = [
    `# HELP ${requests} POST /events requests by producer and outcome.`,
    `# TYPE ${requests} counter`,
  ];
  // Names are of A-Z a-z 0-9 . _ - only: nothing to escape in a label.
  for (const name of names) {
    const s = stats[name]!;
    for (
      const [outcome, value] of [
        ["accepted", s.accepted],
        ["rate_limited", s.refusedByQuota],
        ["over_share", s.refusedOverShare],
        ["invalid", s.refusedInvalid],
      ] as const
    ) {
      lines.push(
        `${requests}{producer="${name}",outcome="${outcome}"} ${value}`,
      );
    }
  }
  lines.push(`# HELP ${events} Events accepted by producer.`);
  lines.push(`# TYPE ${events} counter`);
  for (const name of names) {
    lines.push(`${events}{producer="${name}"} ${stats[name]!.eventsAccepted}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * Parses `INGEST_QUOTAS`: a JSON object of quotas by producer name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseQuotas } from "@harombe/siem/ingest";
 *
 * assert.deepEqual(parseQuotas('{"*":{"eventsPerSecond":100}}'), {
 *   "*": { eventsPerSecond: 100 },
 * });
 * ```
 *
 * @param text The variable's value.
 * @returns The quotas.
 * @throws {TypeError} When it is not a JSON object of objects.
 */
export function parseQuotas(text: string): ProducerQuotas {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (
    typeof value !== "object" || value === null || Array.isArray(value) ||
    Object.values(value).some((q) => typeof q !== "object" || q === null)
  ) {
    throw new TypeError(
      'INGEST_QUOTAS must be a JSON object of quotas by producer, e.g. {"*":{"eventsPerSecond":100}}',
    );
  }
  return value as ProducerQuotas;
}
