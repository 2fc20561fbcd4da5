/**
 * One destination's buffer and the loop that delivers it.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { type AcceptedEvent, acceptEvent } from "./accepted_event.ts";
import type { Exporter } from "../platforms/exporter.ts";
import type { SIEMConfig } from "../platforms/siem_config.ts";
import { redactSecrets } from "../platforms/redact.ts";
import { type Batch, BatchBuilder } from "./batch_builder.ts";
import { BatchDelivery } from "./batch_delivery.ts";
import type { DestinationContext } from "./destination_context.ts";
import { DeadLetterReport } from "./dead_letter_report.ts";
import {
  type DeliveryState,
  destinationStats,
  type DrainSignals,
  failedResult,
  type FlushTally,
  initialDeliveryState,
} from "./delivery_state.ts";
import { drainBuffer, nextDue } from "./drain_buffer.ts";
import { DestinationBuffer } from "./destination_buffer.ts";
import type { DestinationReport, ExportResult } from "./export_result.ts";
import {
  addCounters,
  type DeliveryCounters,
  type DestinationStats,
} from "./stats.ts";

export type { DestinationContext } from "./destination_context.ts";

/**
 * A destination: its exporter, the events buffered for it, and the loop that
 * sends them in batches with retries and backoff. Events leave the buffer
 * only when delivered, dead-lettered, or refused by the overflow policy.
 */
export class Destination {
  /** The destination's exporter (and, through it, its config). */
  readonly exporter: Exporter;
  #context: DestinationContext;
  #buffer: DestinationBuffer;
  #pump: Promise<void> | undefined;
  #timer: unknown;
  #timerDue = 0;
  #state: DeliveryState = initialDeliveryState();
  #closed = false;
  #interrupt: AbortController | undefined;
  #deadline: AbortController | undefined;
  /** Starts more batches in flight while a drain runs (concurrency > 1). */
  #launch: (() => void) | undefined;
  #builder: BatchBuilder;
  #delivery: BatchDelivery;
  #letters: DeadLetterReport;

  /**
   * Creates the destination. No timer starts until events arrive.
   *
   * @param exporter The platform's exporter.
   * @param context What the integrator shares with its destinations.
   */
  constructor(exporter: Exporter, context: DestinationContext) {
    this.exporter = exporter;
    this.#context = context;
    this.#builder = new BatchBuilder(exporter);
    this.#buffer = new DestinationBuffer(() => this.config);
    const buffered = (): number => this.buffered;
    this.#delivery = new BatchDelivery({
      exporter,
      config: exporter.config,
      name: exporter.config.name,
      get buffered(): number {
        return buffered();
      },
      context,
      builder: this.#builder,
      deadLetter: (events, reason, status) =>
        this.#deadLetter(events, reason, status),
      redact: (text) => this.#redact(text),
    }, this.#state);
    this.#letters = new DeadLetterReport({
      destination: exporter.config.name,
      platform: exporter.config.platform,
      clock: context.clock,
      random: context.random,
      backoff: exporter.config,
      timers: context.autoFlush,
      logger: context.logger,
      onDeadLetter: context.onDeadLetter,
      redact: (text) => this.#redact(text),
    });
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
    return this.#buffer.buffered;
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
    return this.#buffer.fits(count, bytes);
  }

  /**
   * How many more events the buffer takes: its free event slots, or fewer
   * when its free bytes hold fewer events of the average size buffered.
   */
  get room(): number {
    return this.#buffer.room;
  }

  /** Opens the destination again after {@linkcode close}. */
  reopen(): void {
    this.#letters.reopen();
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
    this.#state.counters.eventsReceived++;
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
      const overflow = this.#buffer.overflow(accepted.bytes);
      if ("refuse" in overflow) {
        this.#deadLetter([event], overflow.refuse, undefined, false);
        return false;
      }
      this.#deadLetter(overflow.dropped, overflow.reason, undefined);
    }
    this.#buffer.queue.push({ ...accepted, at });
    // A drain runs with requests to spare: a full batch goes now.
    if (this.#launch && this.#buffer.queue.length >= config.batchSize) {
      this.#launch();
    }
    if (this.#pump === undefined && !this.#closed && this.#context.autoFlush) {
      if (
        sendWhenFull && this.#buffer.queue.length >= config.batchSize &&
        this.#context.clock.now() >= this.#state.retryAt
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
    if (!this.#closed) this.#letters.retryNow();
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
      const refused = await this.#letters.close(deadline.signal);
      return {
        result,
        undelivered: [
          ...this.#buffer.queue.toArray().map((entry) => entry.event),
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
    return failedResult(this.config, this.buffered, reason);
  }

  /**
   * Drops the buffered events unsettled, and a batch in flight if it comes
   * back undelivered (one the SIEM accepts is settled as usual): a spool that
   * lost its lease forgets what it loaded, since storage still holds it.
   *
   * @returns The dropped events.
   */
  clear(): SIEMEvent[] {
    const dropped = this.#buffer.clear();
    this.#clearTimer();
    return dropped;
  }

  /** Whether the destination refuses new events (after {@linkcode close}). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The destination's statistics. */
  stats(): DestinationStats {
    return destinationStats(this.#state, {
      name: this.name,
      platform: this.config.platform,
      enabled: this.config.enabled,
      sending: this.#pump !== undefined,
      buffered: this.buffered,
      now: this.#context.clock.now(),
      recentDeadLetters: this.#letters.recent,
    });
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
      // A defect, but its text may quote the credential (an exporter's own
      // error): redacted like every reason.
      this.#context.logger.error("delivery loop failed", {
        destination: this.name,
        error: this.#redact(String(error)),
      });
    }).finally(() => {
      if (this.#pump === run) this.#pump = undefined;
      this.#arm();
    });
    this.#pump = run;
  }

  #drain(
    force: boolean,
    signals: DrainSignals,
    tally: FlushTally,
  ): Promise<void> {
    return drainBuffer(this.#buffer, {
      force,
      config: this.config,
      concurrency: this.config.maxConcurrentRequests,
      now: () => this.#context.clock.now(),
      retryAt: () => this.#state.retryAt,
      take: () => this.#takeBatch(tally),
      deliver: (batch) =>
        this.#delivery.deliver(batch.entries, batch.body, signals, tally),
      running: (launch) => this.#launch = launch,
    });
  }

  // The next batch (see BatchBuilder.takeSendable): what is given up on the
  // way is dead-lettered.
  #takeBatch(tally: FlushTally): Batch | undefined {
    return this.#builder.takeSendable(this.#buffer.queue, {
      config: this.config,
      now: () => this.#context.clock.now(),
      aged: () => this.#state.counters.eventsAged++,
      giveUp: (entry, reason) => {
        tally.failed++;
        this.#deadLetter([entry.event], reason, undefined);
      },
    });
  }

  #deadLetter(
    events: SIEMEvent[],
    reason: string,
    status: number | undefined,
    settled = true,
  ): void {
    this.#state.counters.eventsFailed += events.length;
    const letter = this.#letters.send(events, reason, status);
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
    const due = this.#closed || !this.#context.autoFlush || this.#pump
      ? undefined
      : nextDue(this.#buffer, this.config, this.#state.retryAt);
    if (due === undefined) {
      this.#clearTimer();
      return;
    }
    if (this.#timer !== undefined && this.#timerDue === due) return;
    this.#clearTimer();
    this.#timerDue = due;
    const { clock } = this.#context;
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
    addCounters(total, this.#state.counters);
  }
}
