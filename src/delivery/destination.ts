/**
 * One destination's buffer and the loop that delivers it.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { type AcceptedEvent, acceptEvent } from "./accepted_event.ts";
import { BodyWriter } from "../platforms/body_writer.ts";
import { RequestAbortedError } from "../platforms/exporter.ts";
import type { Exporter } from "../platforms/exporter.ts";
import type { SIEMConfig } from "../platforms/siem_config.ts";
import { redactSecrets } from "../platforms/redact.ts";
import {
  type EventFailure,
  networkSetupHint,
  type ResponseVerdict,
} from "../platforms/verdict.ts";
import { backoffDelayMs } from "./backoff.ts";
import { type Clock, sleep } from "./clock.ts";
import { DeadLetterOutbox } from "./dead_letter_outbox.ts";
import { EventQueue } from "./event_queue.ts";
import type { SettlementCallback } from "./settlement.ts";
import { MAX_ISOLATIONS, SplitTree } from "./split_policy.ts";
import type {
  DeadLetter,
  DestinationReport,
  ExportResult,
  Logger,
} from "./export_result.ts";
import {
  addCounters,
  type DeliveryCounters,
  type DestinationStats,
  emptyCounters,
  type RecentDeadLetter,
} from "./stats.ts";

/** Dead-lettered groups the statistics keep. */
const RECENT_DEAD_LETTERS = 100;
/** Event ids a dead-letter log line names (the callback has them all). */
const LOGGED_EVENT_IDS = 5;

/** What a destination needs from its integrator. */
export interface DestinationContext {
  /** The `fetch` to send with; default: the global one. */
  fetch?: typeof fetch | undefined;
  /** The clock for timers, backoff and latency. */
  clock: Clock;
  /** Numbers in [0, 1) for the backoff jitter. */
  random: () => number;
  /** Receives every event that leaves for good without delivery. */
  onDeadLetter?: ((letter: DeadLetter) => void | Promise<void>) | undefined;
  /** Where problems are written. */
  logger: Logger;
  /** Whether a timer flushes on its own (false: only explicit flushes send). */
  autoFlush: boolean;
  /**
   * Told when buffered events leave for good, delivered or dead-lettered
   * with the reason (not when the overflow policy refuses a new event): a
   * durable spool deletes them from storage then.
   */
  onSettled?: SettlementCallback | undefined;
  /**
   * Told of a new event the buffer refused (dead-lettered at once, never
   * buffered, so not settled): a spool whose storage still holds it can
   * give it up with its reason.
   */
  onRefused?: SettlementCallback | undefined;
}

interface Entry extends AcceptedEvent {
  /** What is sent when it differs from `event` (a re-timed aged event). */
  wire?: { event: SIEMEvent; json: string } | undefined;
  /** When it was buffered, on the destination's clock. */
  at: number;
}

/** The running totals of one flush, turned into an {@linkcode ExportResult}. */
interface FlushTally {
  sent: number;
  failed: number;
  retries: number;
  error?: string | undefined;
}

/** Signals a delivery loop listens to. */
interface DrainSignals {
  /** Ends a backoff wait early. */
  sleep?: AbortSignal | undefined;
  /** Aborts a request in flight. */
  request?: AbortSignal | undefined;
}

/**
 * A destination: its exporter, the events buffered for it, and the loop that
 * sends them in batches with retries and backoff. Events leave the buffer
 * only when delivered, dead-lettered, or refused by the overflow policy.
 */
export class Destination {
  /** The destination's exporter (and, through it, its config). */
  readonly exporter: Exporter;
  #context: DestinationContext;
  #queue = new EventQueue<Entry>((entry) => entry.bytes);
  #inFlight = 0;
  #inFlightBytes = 0;
  #pump: Promise<void> | undefined;
  #timer: unknown;
  #timerDue = 0;
  #retryAt = 0;
  #retrying = false;
  #failures = 0;
  #counters: DeliveryCounters = emptyCounters();
  #lastError: string | undefined;
  #lastErrorAt: number | undefined;
  #closed = false;
  #interrupt: AbortController | undefined;
  #deadline: AbortController | undefined;
  #writer: BodyWriter | undefined;
  #letters: DeadLetterOutbox | undefined;
  #setupError: string | undefined;
  #recentDeadLetters: RecentDeadLetter[] = [];

  /**
   * Creates the destination. No timer starts until events arrive.
   *
   * @param exporter The platform's exporter.
   * @param context What the integrator shares with its destinations.
   */
  constructor(exporter: Exporter, context: DestinationContext) {
    this.exporter = exporter;
    this.#context = context;
  }

  /** The destination's validated config. */
  get config(): SIEMConfig {
    return this.exporter.config;
  }

  /** The destination's name. */
  get name(): string {
    return this.exporter.config.name;
  }

  /** Events buffered, including a batch in flight. */
  get buffered(): number {
    return this.#queue.length + this.#inFlight;
  }

  /** Bytes of event JSON buffered, including a batch in flight. */
  get bufferedBytes(): number {
    return this.#queue.weight + this.#inFlightBytes;
  }

  /**
   * Whether `count` more events of `bytes` bytes of JSON in all fit in the
   * buffer without its overflow policy.
   *
   * @param count How many events.
   * @param bytes Their JSON size in all.
   * @returns True when both limits hold them.
   */
  fits(count: number, bytes: number): boolean {
    return this.buffered + count <= this.config.maxBufferedEvents &&
      this.bufferedBytes + bytes <= this.config.maxBufferedBytes;
  }

  /**
   * How many more events the buffer takes: its free event slots, or fewer
   * when its free bytes hold fewer events of the average size buffered.
   */
  get room(): number {
    const { maxBufferedEvents, maxBufferedBytes } = this.config;
    const buffered = this.buffered;
    let free = maxBufferedEvents - buffered;
    const bytes = this.bufferedBytes;
    if (bytes > 0) {
      free = Math.min(
        free,
        Math.floor((maxBufferedBytes - bytes) / (bytes / buffered)),
      );
    }
    return Math.max(0, free);
  }

  /** Opens the destination again after {@linkcode close}. */
  reopen(): void {
    this.#letters?.reopen();
    this.#closed = false;
    this.#interrupt = undefined;
    this.#deadline = undefined;
    this.#arm();
  }

  /**
   * Buffers an event. When the buffer is full, the overflow policy decides:
   * `reject` refuses the new event, `drop_oldest` gives up the oldest one
   * waiting; either is dead-lettered and counted as failed.
   *
   * @param event The event.
   * @param sendWhenFull Whether a full batch starts a send at once (false
   * when an explicit flush follows).
   * @param at When the event was first accepted (default now), which
   * decides when it is due: events reloaded from a spool keep their age.
   * @param serialized The event's JSON and its UTF-8 size, written once at
   * acceptance (default: written now); every request for the event sends
   * exactly this JSON.
   * @returns False when the new event was refused.
   */
  enqueue(
    event: SIEMEvent,
    sendWhenFull = true,
    at: number = this.#context.clock.now(),
    serialized?: { json: string; bytes: number },
  ): boolean {
    const config = this.config;
    this.#counters.eventsReceived++;
    let accepted: AcceptedEvent;
    try {
      accepted = serialized
        ? { event, json: serialized.json, bytes: serialized.bytes }
        : acceptEvent(event);
    } catch (error) {
      // Validation keeps this from happening; if it does, the event is
      // refused where it is seen rather than lost later in a batch.
      this.#deadLetter(
        [event],
        `cannot serialize the event: ${
          error instanceof Error ? error.message : String(error)
        }`,
        undefined,
        false,
      );
      return false;
    }
    if (!this.fits(1, accepted.bytes)) {
      const { bytes } = accepted;
      if (bytes > config.maxBufferedBytes) {
        this.#deadLetter(
          [event],
          `event is ${bytes} bytes of JSON, more than the buffer holds (maxBufferedBytes ${config.maxBufferedBytes})`,
          undefined,
          false,
        );
        return false;
      }
      const limit = this.buffered >= config.maxBufferedEvents
        ? `maxBufferedEvents ${config.maxBufferedEvents}`
        : `maxBufferedBytes ${config.maxBufferedBytes}`;
      const reason = `buffer full (${limit}, overflow "${config.overflow}")`;
      // Dropping every waiting event must make room: a batch in flight
      // (possibly the whole buffer) cannot be given up.
      if (
        config.overflow === "reject" ||
        this.#inFlight >= config.maxBufferedEvents ||
        this.#inFlightBytes + bytes > config.maxBufferedBytes
      ) {
        this.#deadLetter([event], reason, undefined, false);
        return false;
      }
      const dropped: SIEMEvent[] = [];
      while (!this.fits(1, bytes)) {
        dropped.push((this.#queue.shift() as Entry).event);
      }
      this.#deadLetter(dropped, reason, undefined);
    }
    this.#queue.push({ ...accepted, at });
    if (this.#pump === undefined && !this.#closed && this.#context.autoFlush) {
      if (
        sendWhenFull && this.#queue.length >= config.batchSize &&
        this.#context.clock.now() >= this.#retryAt
      ) {
        this.#startPump();
      } else if (this.#timer === undefined) {
        this.#arm();
      }
    }
    return true;
  }

  /**
   * Sends everything buffered now, in batches, with retries; waits for a
   * delivery already under way first. A destination that is backing off is
   * tried at once.
   *
   * @param signals Signals that end waits or abort requests.
   * @returns What this flush delivered and what it could not.
   */
  async flush(signals: DrainSignals = {}): Promise<ExportResult> {
    const started = this.#context.clock.now();
    // Kept dead letters are offered again (by close() itself when closing).
    if (!this.#closed) this.#letters?.retryNow();
    while (this.#pump) await this.#pump;
    const tally: FlushTally = { sent: 0, failed: 0, retries: 0 };
    this.#clearTimer();
    const run = this.#drain(true, signals, tally);
    this.#pump = run;
    try {
      await run;
    } finally {
      if (this.#pump === run) this.#pump = undefined;
      this.#arm();
    }
    return {
      success: tally.failed === 0 && this.buffered === 0,
      platform: this.config.platform,
      destination: this.name,
      eventsSent: tally.sent,
      eventsFailed: tally.failed,
      eventsQueued: this.buffered,
      latencyMs: this.#context.clock.now() - started,
      error: tally.error,
      retries: tally.retries,
    };
  }

  /**
   * Stops taking events, ends backoff waits, and delivers what is buffered
   * until `deadlineMs` passes; then aborts what is still in flight.
   *
   * @param deadlineMs How long delivery may go on.
   * @returns The final flush and the events it could not deliver: those
   * still buffered, then those of dead letters the `onDeadLetter` callback
   * never took.
   */
  async close(deadlineMs: number): Promise<DestinationReport> {
    this.#closed = true;
    this.#clearTimer();
    this.#interrupt ??= new AbortController();
    this.#interrupt.abort();
    // The same deadline ends a background request still in flight.
    if (!this.#deadline || this.#deadline.signal.aborted) {
      this.#deadline = new AbortController();
    }
    const deadline = this.#deadline;
    const clock = this.#context.clock;
    const handle = clock.setTimeout(() => deadline.abort(), deadlineMs);
    try {
      let result: ExportResult;
      try {
        result = await this.flush({
          sleep: deadline.signal,
          request: deadline.signal,
        });
      } catch (error) {
        result = this.#crashed(error);
      }
      const refused = await this.#letters?.close(deadline.signal) ?? [];
      return {
        result,
        undelivered: [
          ...this.#queue.toArray().map((entry) => entry.event),
          ...refused,
        ],
      };
    } finally {
      clock.clearTimeout(handle);
    }
  }

  // A flush that threw is a defect, not a SIEM failure: close() still
  // reports what is buffered (so that a server writes its undelivered
  // events) instead of rejecting.
  #crashed(error: unknown): ExportResult {
    const reason = this.#redact(
      `delivery failed: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
    this.#context.logger.error("delivery failed while stopping", {
      destination: this.name,
      error: reason,
    });
    return {
      success: false,
      platform: this.config.platform,
      destination: this.name,
      eventsSent: 0,
      eventsFailed: 0,
      eventsQueued: this.buffered,
      latencyMs: 0,
      error: reason,
      retries: 0,
    };
  }

  /**
   * Drops the events waiting in the buffer (not a batch in flight), without
   * settling them: a spool that lost its lease forgets what it loaded, since
   * storage still holds it.
   *
   * @returns The dropped events.
   */
  clear(): SIEMEvent[] {
    const dropped: SIEMEvent[] = [];
    for (let entry = this.#queue.shift(); entry; entry = this.#queue.shift()) {
      dropped.push(entry.event);
    }
    this.#clearTimer();
    return dropped;
  }

  /** Whether the destination refuses new events (after {@linkcode close}). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The destination's counters, for totals. */
  get counters(): DeliveryCounters {
    return { ...this.#counters };
  }

  /** The destination's statistics. */
  stats(): DestinationStats {
    const now = this.#context.clock.now();
    const backingOff = this.#retryAt > now && this.buffered > 0;
    return {
      ...this.#counters,
      name: this.name,
      platform: this.config.platform,
      enabled: this.config.enabled,
      state: !this.config.enabled
        ? "disabled"
        : this.#retrying
        ? "retrying"
        : backingOff
        ? "backing_off"
        : this.#pump
        ? "sending"
        : "idle",
      buffered: this.buffered,
      consecutiveFailures: this.#failures,
      lastError: this.#lastError,
      lastErrorAt: this.#lastErrorAt === undefined
        ? undefined
        : new Date(this.#lastErrorAt).toISOString(),
      retryAt: backingOff ? new Date(this.#retryAt).toISOString() : undefined,
      setupError: this.#setupError,
      recentDeadLetters: this.#recentDeadLetters.length === 0
        ? undefined
        : [...this.#recentDeadLetters],
    };
  }

  // The background loop: sends batches that are full or due, then arms the
  // timer for the next one.
  #startPump(): void {
    this.#clearTimer();
    this.#interrupt ??= new AbortController();
    this.#deadline ??= new AbortController();
    const run = this.#drain(false, {
      sleep: this.#interrupt.signal,
      request: this.#deadline.signal,
    }, {
      sent: 0,
      failed: 0,
      retries: 0,
    }).catch((error) => {
      this.#context.logger.error("delivery loop failed", {
        destination: this.name,
        error: String(error),
      });
    }).finally(() => {
      if (this.#pump === run) this.#pump = undefined;
      this.#arm();
    });
    this.#pump = run;
  }

  async #drain(
    force: boolean,
    signals: DrainSignals,
    tally: FlushTally,
  ): Promise<void> {
    const { clock } = this.#context;
    while (this.#queue.length > 0) {
      if (!force) {
        const now = clock.now();
        const oldest = this.#queue.peek() as Entry;
        if (now < this.#retryAt) return;
        if (
          this.#queue.length < this.config.batchSize &&
          now < oldest.at + this.config.flushIntervalMs
        ) return;
      }
      const batch = this.#takeBatch(tally);
      if (!batch) continue;
      this.#inFlight = batch.entries.length;
      this.#inFlightBytes = batch.bytes;
      let left: Entry[];
      try {
        left = await this.#deliver(batch.entries, batch.body, signals, tally);
      } finally {
        this.#inFlight = 0;
        this.#inFlightBytes = 0;
      }
      if (left.length > 0) {
        this.#queue.unshiftAll(left);
        return;
      }
    }
  }

  // Takes the next batch off the queue, written straight into the request
  // body: at most batchSize events and maxBatchBytes bytes (a single larger
  // event goes alone); events the platform can never take are dead-lettered
  // on the way.
  #takeBatch(
    tally: FlushTally,
  ):
    | { entries: Entry[]; bytes: number; body: Uint8Array<ArrayBuffer> }
    | undefined {
    const { batchSize, maxBatchBytes, maxEventAgeMs } = this.config;
    const exporter = this.exporter;
    const maxLeadMs = exporter.maxEventLeadMs;
    const dated = maxEventAgeMs !== undefined || maxLeadMs !== undefined;
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
    while (this.#queue.length > 0 && entries.length < batchSize) {
      const entry = this.#queue.peek() as Entry;
      if (dated && !this.#fresh(entry, maxEventAgeMs, maxLeadMs)) {
        this.#queue.shift();
        tally.failed++;
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
        this.#queue.shift();
        tally.failed++;
        this.#deadLetter([entry.event], refused, undefined);
        continue;
      }
      if (entries.length > 0 && writer.length + closing > maxBatchBytes) {
        writer.truncate(start);
        break;
      }
      this.#queue.shift();
      entries.push(entry);
      bytes += entry.bytes;
    }
    if (entries.length === 0) return undefined;
    exporter.closeBatch(writer);
    return { entries, bytes, body: writer.bytes() };
  }

  // Whether an event's date is one the platform keeps: not older than
  // maxAgeMs, not further ahead than maxLeadMs. Any other is counted, then
  // dead-lettered (false) or re-timed to now (true), as the config says.
  #fresh(
    entry: Entry,
    maxAgeMs: number | undefined,
    maxLeadMs: number | undefined,
  ): boolean {
    if (entry.wire !== undefined) return true;
    const now = this.#context.clock.now();
    const age = now - Date.parse(entry.event.timestamp);
    const minutes = (ms: number) => Math.round(ms / 60_000);
    const { platform } = this.config;
    let reason: string;
    if (maxAgeMs !== undefined && age > maxAgeMs) {
      reason = `event is ${minutes(age)} minutes old, older than the ${
        minutes(maxAgeMs)
      } minutes ${platform} takes (maxEventAgeMs)`;
    } else if (maxLeadMs !== undefined && -age > maxLeadMs) {
      reason = `event is dated ${
        minutes(-age)
      } minutes ahead, further than the ${
        minutes(maxLeadMs)
      } minutes ahead ${platform} takes`;
    } else {
      return true;
    }
    this.#counters.eventsAged++;
    if (this.config.agedEvents === "send_as_now") {
      try {
        entry.wire = retimed(entry, new Date(now).toISOString());
        return true;
      } catch (error) {
        this.#deadLetter(
          [entry.event],
          `cannot serialize the event: ${
            error instanceof Error ? error.message : String(error)
          }`,
          undefined,
        );
        return false;
      }
    }
    this.#deadLetter([entry.event], reason, undefined);
    return false;
  }

  // Sends one batch until it is delivered, rejected, or its retries run out;
  // returns the entries still to deliver (empty when done). `first` is the
  // answer already read for this batch (a half whose first try was made by
  // a split); `tree` the split this batch is part of.
  async #deliver(
    batch: Entry[],
    body: Uint8Array<ArrayBuffer> | undefined,
    signals: DrainSignals,
    tally: FlushTally,
    tree?: SplitTree,
    first?: ResponseVerdict,
  ): Promise<Entry[]> {
    const { clock } = this.#context;
    let pending = batch;
    let attempt = 0;
    let isolated = 0;
    let answer = first;
    while (true) {
      const verdict = answer ?? await this.#send(pending, body, signals, tree);
      answer = undefined;
      body = undefined;
      if (verdict === undefined) return pending;
      if (verdict.kind === "delivered") {
        this.#delivered(pending, tally);
        if (tree) tree.delivered = true;
        return [];
      }
      if (verdict.kind === "split") {
        this.#fail(verdict.reason, tally);
        return tree
          ? this.#split(pending, verdict, signals, tally, tree)
          : this.#splitBatch(pending, verdict, signals, tally);
      }
      let retryAfterMs: number | undefined;
      if (verdict.kind === "partial") {
        const settled = pending.length - verdict.retry.length;
        const delivered = settled > verdict.rejected.length;
        isolated = delivered ? 0 : isolated + 1;
        if (!delivered && !verdict.backoff && isolated > MAX_ISOLATIONS) {
          // Event after event named as bad, nothing accepted: the stream is
          // refused (or the batch holds only bad events); keep the rest.
          const first = verdict.rejected[0]?.reason ?? "events refused";
          this.#fail(first, tally);
          this.#setupFailed(
            `${this.config.platform} refused ${MAX_ISOLATIONS} events in a row one by one and accepted none: check its logs and what is in front of it`,
            first,
          );
          this.#backOff(undefined);
          return pending;
        }
        pending = this.#settlePartial(pending, verdict, tally);
        if (tree && delivered) tree.delivered = true;
        if (pending.length === 0) return [];
        if (!verdict.backoff) {
          this.#countRetry(tally);
          continue;
        }
      } else {
        this.#fail(verdict.reason, tally);
        if (verdict.setup !== undefined) {
          this.#setupFailed(verdict.setup, verdict.reason);
        }
        retryAfterMs = verdict.retryAfterMs;
      }
      if (attempt >= this.config.maxRetries) {
        this.#backOff(retryAfterMs);
        return pending;
      }
      const delay = backoffDelayMs(
        attempt++,
        this.config,
        this.#context.random,
        retryAfterMs,
      );
      this.#retrying = true;
      try {
        await sleep(clock, delay, signals.sleep);
      } catch {
        return pending;
      } finally {
        this.#retrying = false;
      }
      this.#countRetry(tally);
    }
  }

  // The request body of entries, from the JSON each was accepted with.
  #encode(entries: readonly Entry[]): Uint8Array<ArrayBuffer> {
    const writer = this.#writer ??= new BodyWriter();
    writer.truncate(0);
    this.exporter.openBatch(writer);
    for (let i = 0; i < entries.length; i++) {
      writeEntry(this.exporter, writer, entries[i] as Entry, i);
    }
    this.exporter.closeBatch(writer);
    return writer.bytes();
  }

  // Posts a batch once and reads the answer; `undefined` when the request
  // was aborted (the batch was neither delivered nor failed).
  async #send(
    pending: Entry[],
    body: Uint8Array<ArrayBuffer> | undefined,
    signals: DrainSignals,
    tree: SplitTree | undefined,
  ): Promise<ResponseVerdict | undefined> {
    const events = pending.map((entry) => entry.wire?.event ?? entry.event);
    // A retry or a split half is written again from the JSON kept at
    // acceptance, never from the event objects a caller may have changed.
    const prepared = await this.exporter.prepare(
      events,
      body ?? this.#encode(pending),
    );
    let outcome;
    try {
      outcome = await this.exporter.post(prepared, {
        fetch: this.#context.fetch,
        signal: signals.request,
        now: () => this.#context.clock.now(),
      });
    } catch (error) {
      if (error instanceof RequestAbortedError) return undefined;
      throw error;
    }
    if (tree) tree.requests++;
    return this.#record(
      checkedVerdict(outcome.verdict, pending.length, this.exporter.url),
      outcome.latencyMs,
    );
  }

  // A batch refused for its content: split it, and when the split shows the
  // whole stream is refused, or costs too many requests, keep what is left
  // and back off.
  async #splitBatch(
    pending: Entry[],
    refusal: { reason: string; status: number },
    signals: DrainSignals,
    tally: FlushTally,
  ): Promise<Entry[]> {
    const tree = new SplitTree();
    const left = await this.#split(pending, refusal, signals, tally, tree);
    const stop = tree.stopped;
    if (stop?.kind === "refused_stream") {
      this.#setupFailed(
        `every part of the batch is refused alike (HTTP ${stop.refusal.status}): the destination refuses the stream, not an event; check what is in front of ${this.config.platform} and its logs`,
        stop.refusal.reason,
      );
      this.#backOff(undefined);
    } else if (stop?.kind === "budget") {
      this.#context.logger.warn("split stopped: too many requests", {
        destination: this.name,
        requests: stop.requests,
        left: left.length,
      });
      this.#backOff(undefined);
    }
    return left;
  }

  // Sends both halves of a part refused for its content once, then goes on
  // with each as its answer says, unless the split policy stops; returns the
  // entries still to deliver.
  async #split(
    pending: Entry[],
    refusal: { reason: string; status: number },
    signals: DrainSignals,
    tally: FlushTally,
    tree: SplitTree,
  ): Promise<Entry[]> {
    if (pending.length === 1) {
      tally.failed++;
      this.#deadLetter(
        pending.map((entry) => entry.event),
        refusal.reason,
        refusal.status,
      );
      return [];
    }
    const middle = pending.length >> 1;
    const halves = [pending.slice(0, middle), pending.slice(middle)] as const;
    const answers: Array<ResponseVerdict | undefined> = [];
    for (const half of halves) {
      if (!tree.mayRequest()) break;
      const verdict = await this.#send(half, undefined, signals, tree);
      if (verdict === undefined) break;
      answers.push(verdict);
    }
    // Settle the halves delivered at once, so that nothing below can keep
    // them as undelivered.
    const delivered = answers.map((answer, i) => {
      if (answer?.kind !== "delivered") return false;
      this.#delivered(halves[i] as Entry[], tally);
      tree.delivered = true;
      return true;
    });
    if (answers.length < 2) {
      // Out of budget or aborted: keep what was not delivered as it is.
      return delivered[0] ? halves[1] : pending;
    }
    const refused = answers.map((answer) =>
      answer?.kind === "split" ? answer : undefined
    );
    if (
      !tree.goOn(
        refusal,
        [refused[0], refused[1]],
        Math.min(halves[0].length, halves[1].length),
      )
    ) {
      // Nothing of this part was delivered: keep all of it.
      this.#fail(refusal.reason, tally);
      return pending;
    }
    for (let i = 0; i < halves.length; i++) {
      if (delivered[i]) continue;
      const left = await this.#deliver(
        halves[i] as Entry[],
        undefined,
        signals,
        tally,
        tree,
        answers[i],
      );
      if (left.length > 0) {
        return i === 0 && !delivered[1] ? [...left, ...halves[1]] : left;
      }
    }
    return [];
  }

  #countRetry(tally: FlushTally): void {
    tally.retries++;
    this.#counters.totalRetries++;
  }

  // Counts a request and returns its verdict.
  #record(verdict: ResponseVerdict, latencyMs: number): ResponseVerdict {
    const counters = this.#counters;
    counters.exportsTotal++;
    if (verdict.kind === "delivered" || verdict.kind === "partial") {
      counters.exportsSuccessful++;
      counters.avgLatencyMs += (latencyMs - counters.avgLatencyMs) /
        counters.exportsSuccessful;
    } else {
      counters.exportsFailed++;
    }
    return verdict;
  }

  #delivered(entries: Entry[], tally: FlushTally): void {
    this.#counters.eventsExported += entries.length;
    tally.sent += entries.length;
    this.#failures = 0;
    this.#retryAt = 0;
    this.#setupError = undefined;
    this.#context.onSettled?.(
      entries.map((entry) => entry.event),
      { outcome: "delivered" },
    );
  }

  // Settles a partly accepted batch: counts the delivered events,
  // dead-letters the rejected ones, and returns those to retry.
  #settlePartial(
    pending: Entry[],
    verdict: { retry: EventFailure[]; rejected: EventFailure[] },
    tally: FlushTally,
  ): Entry[] {
    const failed = new Set<number>();
    for (const { index } of verdict.retry) failed.add(index);
    for (const { index } of verdict.rejected) failed.add(index);
    const delivered = pending.filter((_, index) => !failed.has(index));
    if (delivered.length > 0) this.#delivered(delivered, tally);
    // One dead letter per distinct refusal (status and full reason), so
    // that each letter's reason is true of all its events.
    const byReason = new Map<
      string,
      { reason: string; status: number | undefined; events: SIEMEvent[] }
    >();
    for (const { index, reason, status } of verdict.rejected) {
      const key = `${status ?? ""} ${reason}`;
      let group = byReason.get(key);
      if (group === undefined) {
        group = { reason, status, events: [] };
        byReason.set(key, group);
      }
      group.events.push((pending[index] as Entry).event);
    }
    for (const { reason, status, events } of byReason.values()) {
      tally.failed += events.length;
      this.#deadLetter(events, reason, status);
    }
    const first = verdict.retry[0] ?? verdict.rejected[0];
    if (first) this.#fail(first.reason, tally);
    return verdict.retry.map(({ index }) => pending[index] as Entry);
  }

  // An answer shows a setup error: the destination reports it (`/health`
  // fails) until a delivery succeeds, and says once what to check.
  #setupFailed(check: string, reason: string): void {
    if (this.#setupError !== check) {
      this.#context.logger.error("destination setup error", {
        destination: this.name,
        check,
        error: this.#redact(reason),
        buffered: this.buffered,
      });
    }
    this.#setupError = check;
  }

  #fail(reason: string, tally: FlushTally): void {
    const clean = this.#redact(reason);
    tally.error = clean;
    this.#lastError = clean;
    this.#lastErrorAt = this.#context.clock.now();
  }

  // Retries ran out: keep the events and wait longer and longer before the
  // next try, so a destination that is down costs little.
  #backOff(retryAfterMs: number | undefined): void {
    this.#failures++;
    const delay = backoffDelayMs(
      this.config.maxRetries + this.#failures - 1,
      this.config,
      this.#context.random,
      retryAfterMs,
    );
    this.#retryAt = this.#context.clock.now() + delay;
    this.#context.logger.warn("destination backing off", {
      destination: this.name,
      retryInMs: delay,
      buffered: this.buffered,
      error: this.#lastError,
    });
  }

  #deadLetter(
    events: SIEMEvent[],
    reason: string,
    status: number | undefined,
    settled = true,
  ): void {
    this.#counters.eventsFailed += events.length;
    const letter: DeadLetter = {
      destination: this.name,
      platform: this.config.platform,
      reason: this.#redact(reason),
      status,
      events,
      at: new Date(this.#context.clock.now()).toISOString(),
    };
    this.#recentDeadLetters.push({
      at: letter.at,
      events: events.length,
      reason: letter.reason,
      status,
    });
    if (this.#recentDeadLetters.length > RECENT_DEAD_LETTERS) {
      this.#recentDeadLetters.shift();
    }
    const { onDeadLetter, logger } = this.#context;
    // One line per group, so that giving events up is never silent; without
    // a callback the line is all that is left of them, so it names them all.
    logger.error(
      onDeadLetter
        ? "events dead-lettered"
        : "events dead-lettered (no onDeadLetter callback set)",
      {
        destination: this.name,
        count: events.length,
        reason: letter.reason,
        status,
        eventIds: (onDeadLetter ? events.slice(0, LOGGED_EVENT_IDS) : events)
          .map((event) => event.event_id),
      },
    );
    if (onDeadLetter) {
      // A callback that fails does not lose the letter: it is kept, offered
      // again with backoff, and reported by stop() if never taken.
      this.#letters ??= new DeadLetterOutbox({
        callback: onDeadLetter,
        clock: this.#context.clock,
        random: this.#context.random,
        backoff: this.config,
        timers: this.#context.autoFlush,
        logger,
        destination: this.name,
        describe: (error) =>
          this.#redact(error instanceof Error ? error.message : String(error)),
      });
      this.#letters.send(letter);
    }
    // A spool learns the events left for good, and why, after the callback
    // has seen them.
    const settlement = {
      outcome: "dead_lettered",
      reason: letter.reason,
      status,
    } as const;
    if (settled) this.#context.onSettled?.(events, settlement);
    else this.#context.onRefused?.(events, settlement);
  }

  #redact(text: string): string {
    return redactSecrets(text, this.exporter.secrets);
  }

  // Sets the timer for the next due batch: when the oldest event has waited
  // flushIntervalMs, when the batch is full, or when a backoff ends.
  #arm(): void {
    if (
      this.#closed || !this.#context.autoFlush || this.#pump !== undefined ||
      this.#queue.length === 0
    ) {
      this.#clearTimer();
      return;
    }
    const { clock } = this.#context;
    const oldest = this.#queue.peek() as Entry;
    const due = Math.max(
      this.#retryAt,
      this.#queue.length >= this.config.batchSize
        ? 0
        : oldest.at + this.config.flushIntervalMs,
    );
    if (this.#timer !== undefined && this.#timerDue === due) return;
    this.#clearTimer();
    this.#timerDue = due;
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#pump === undefined && !this.#closed) this.#startPump();
    }, Math.max(0, due - clock.now()));
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      this.#context.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /**
   * Adds this destination's counters to a total.
   *
   * @param total The total to add to.
   */
  addTo(total: DeliveryCounters): void {
    addCounters(total, this.#counters);
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

// An aged event sent with the current time, serialized once when it is
// re-timed. Its metadata is the integrator's own copy, taken at acceptance.
function retimed(
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

/**
 * A verdict made safe to act on: a network error that points at a TLS or
 * plain-HTTP mix-up gets its setup hint, and a partial verdict naming an
 * event outside the batch (or one twice) becomes a retry of the whole batch,
 * so that no event can be lost to a platform's odd answer.
 */
function checkedVerdict(
  verdict: ResponseVerdict,
  size: number,
  url: string,
): ResponseVerdict {
  if (verdict.kind === "retry") {
    if (verdict.setup !== undefined || verdict.status !== undefined) {
      return verdict;
    }
    const setup = networkSetupHint(verdict.reason, url);
    return setup === undefined ? verdict : { ...verdict, setup };
  }
  if (verdict.kind !== "partial") return verdict;
  const seen = new Set<number>();
  for (const { index } of [...verdict.retry, ...verdict.rejected]) {
    if (!Number.isInteger(index) || index < 0 || index >= size) {
      return {
        kind: "retry",
        reason: `answer names event ${index} of a batch of ${size}`,
      };
    }
    if (seen.has(index)) {
      return { kind: "retry", reason: `answer names event ${index} twice` };
    }
    seen.add(index);
  }
  return verdict;
}
