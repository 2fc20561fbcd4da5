/**
 * Hands dead letters to the `onDeadLetter` callback, and keeps those the
 * callback failed to take: they are offered again with backoff and, if
 * never taken, reported by `stop()` with the undelivered events.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { backoffDelayMs, type BackoffSettings } from "./backoff.ts";
import type { Clock } from "./clock.ts";
import type { DeadLetter } from "./export_result.ts";
import type { Logger } from "./logger.ts";

/** What a {@linkcode DeadLetterOutbox} needs. */
export interface DeadLetterOutboxOptions {
  /** The callback that takes dead letters. */
  callback: (letter: DeadLetter) => void | Promise<void>;
  /** The clock whose timers space the retries. */
  clock: Clock;
  /** Numbers in [0, 1) for the backoff jitter. */
  random: () => number;
  /** The backoff of the retries (the destination's own). */
  backoff: BackoffSettings;
  /**
   * Whether a timer offers kept letters again; false where long-lived
   * timers are not wanted (`autoFlush: false`): then each flush does.
   */
  timers: boolean;
  /** Where failures are written. */
  logger: Logger;
  /** The destination's name, for log lines. */
  destination: string;
  /** Turns a callback's error into text for a log line (without secrets). */
  describe: (error: unknown) => string;
}

/**
 * The dead letters of one destination on their way to the callback. A
 * letter the callback throws on or rejects is kept, its event ids logged,
 * and offered again after a backoff on the injected clock (or at the next
 * {@linkcode DeadLetterOutbox.retryNow}) until it is taken or
 * {@linkcode DeadLetterOutbox.close} reports it.
 */
export class DeadLetterOutbox {
  #options: DeadLetterOutboxOptions;
  #kept: DeadLetter[] = [];
  /** Letters whose callback has not settled yet. */
  #offering = new Set<DeadLetter>();
  #timer: unknown;
  #attempt = 0;
  #round: Promise<void> | undefined;
  #closed = false;

  /**
   * Creates the outbox; nothing runs until a letter fails.
   *
   * @param options The callback, clock, backoff and logger.
   */
  constructor(options: DeadLetterOutboxOptions) {
    this.#options = options;
  }

  /**
   * Hands a letter to the callback; keeps it if the callback fails.
   *
   * @param letter The dead letter.
   */
  send(letter: DeadLetter): void {
    void this.#offer(letter).then((taken) => {
      if (!taken) this.#arm();
    });
  }

  /**
   * Stops retrying: offers every kept letter once more (unless `signal` has
   * ended the time for it) and returns the events of those still not taken
   * (a callback that has not settled by then has not taken its letter).
   *
   * @param signal Ends the last offer when the stop deadline passes.
   * @returns The events the callback never took, in order.
   */
  async close(signal?: AbortSignal): Promise<SIEMEvent[]> {
    this.#closed = true;
    this.#clearTimer();
    const ended = signal ? aborted(signal) : undefined;
    if (this.#round) await race(this.#round, ended);
    if (!signal?.aborted && this.#kept.length > 0) {
      await race(this.#retry(), ended);
    }
    return [...this.#kept, ...this.#offering].flatMap((letter) =>
      letter.events
    );
  }

  /** Offers the kept letters again now, without waiting for the callback. */
  retryNow(): void {
    if (this.#closed || this.#kept.length === 0) return;
    this.#clearTimer();
    void this.#retry();
  }

  /** Lets retries run again after {@linkcode close}. */
  reopen(): void {
    this.#closed = false;
    this.#arm();
  }

  // Calls the callback; true when it took the letter, which is kept
  // otherwise.
  async #offer(letter: DeadLetter): Promise<boolean> {
    this.#offering.add(letter);
    try {
      await this.#options.callback(letter);
      return true;
    } catch (error) {
      const { logger, destination, describe } = this.#options;
      logger.error("dead-letter callback failed; the letter is kept", {
        destination,
        reason: letter.reason,
        eventIds: letter.events.map((event) => event.event_id),
        error: describe(error),
      });
      this.#kept.push(letter);
      return false;
    } finally {
      this.#offering.delete(letter);
    }
  }

  // Offers every kept letter again, in order.
  #retry(): Promise<void> {
    return this.#round ??= (async () => {
      const letters = this.#kept;
      this.#kept = [];
      let failed = false;
      for (const letter of letters) {
        if (!(await this.#offer(letter))) failed = true;
      }
      this.#attempt = failed ? this.#attempt + 1 : 0;
    })().finally(() => {
      this.#round = undefined;
      this.#arm();
    });
  }

  #arm(): void {
    if (
      this.#closed || !this.#options.timers || this.#timer !== undefined ||
      this.#round !== undefined || this.#kept.length === 0
    ) return;
    const { clock, backoff, random } = this.#options;
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed) void this.#retry();
    }, backoffDelayMs(this.#attempt, backoff, random));
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}

// Waits for `work`, or until `ended` resolves (a callback that never settles
// must not hold up stop()).
async function race(
  work: Promise<void>,
  ended: Promise<void> | undefined,
): Promise<void> {
  await (ended ? Promise.race([work, ended]) : work);
}
