/**
 * How a destination gives events up: each dead-lettered group is logged,
 * kept among the recent ones its statistics show, and handed to the
 * dead-letter callback (kept and offered again while the callback fails).
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import type { SIEMPlatform } from "../platforms/platform.ts";
import type { BackoffSettings } from "./backoff.ts";
import type { Clock } from "./clock.ts";
import { DeadLetterOutbox } from "./dead_letter_outbox.ts";
import type { DeadLetter } from "./export_result.ts";
import type { Logger } from "./logger.ts";
import type { RecentDeadLetter } from "./stats.ts";

/** Dead-lettered groups the statistics keep. */
const RECENT_DEAD_LETTERS = 100;
/** Event ids a dead-letter log line names (the callback has them all). */
const LOGGED_EVENT_IDS = 5;

/** What a destination's dead-letter report needs. */
export interface DeadLetterReportOptions {
  /** The destination's name. */
  destination: string;
  /** Its platform. */
  platform: SIEMPlatform;
  /** The clock of `at` and of the callback's retries. */
  clock: Clock;
  /** Numbers in [0, 1) for the retries' jitter. */
  random: () => number;
  /** The destination's backoff settings, for the callback's retries. */
  backoff: BackoffSettings;
  /** Whether timers retry the callback on their own. */
  timers: boolean;
  /** Where each group is logged. */
  logger: Logger;
  /** Receives every letter, if set. */
  onDeadLetter: ((letter: DeadLetter) => void | Promise<void>) | undefined;
  /** Removes credentials from a text. */
  redact: (text: string) => string;
}

/** The dead letters of one destination. */
export class DeadLetterReport {
  readonly #options: DeadLetterReportOptions;
  #letters: DeadLetterOutbox | undefined;
  #recentDeadLetters: RecentDeadLetter[] = [];

  /**
   * Prepares the report; nothing runs until a letter.
   *
   * @param options The destination, clock, logger and callback.
   */
  constructor(options: DeadLetterReportOptions) {
    this.#options = options;
  }

  /** The groups given up lately, oldest first (undefined: none). */
  get recent(): RecentDeadLetter[] | undefined {
    return this.#recentDeadLetters.length === 0
      ? undefined
      : [...this.#recentDeadLetters];
  }

  /**
   * Gives a group of events up: logs it, keeps it among the recent ones,
   * and hands it to the callback.
   *
   * @param events The events.
   * @param reason Why (redacted here).
   * @param status The HTTP status that refused them, if any.
   * @returns The letter.
   */
  send(
    events: SIEMEvent[],
    reason: string,
    status: number | undefined,
  ): DeadLetter {
    const { destination, platform, clock, logger, onDeadLetter } =
      this.#options;
    const letter: DeadLetter = {
      destination,
      platform,
      reason: this.#options.redact(reason),
      status,
      events,
      at: new Date(clock.now()).toISOString(),
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
    // One line per group, so that giving events up is never silent; without
    // a callback the line is all that is left of them, so it names them all.
    logger.error(
      onDeadLetter
        ? "events dead-lettered"
        : "events dead-lettered (no onDeadLetter callback set)",
      {
        destination,
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
      const { redact } = this.#options;
      this.#letters ??= new DeadLetterOutbox({
        callback: onDeadLetter,
        clock,
        random: this.#options.random,
        backoff: this.#options.backoff,
        timers: this.#options.timers,
        logger,
        destination,
        describe: (error) =>
          redact(error instanceof Error ? error.message : String(error)),
      });
      this.#letters.send(letter);
    }
    return letter;
  }

  /** Offers kept letters again now. */
  retryNow(): void {
    this.#letters?.retryNow();
  }

  /** Takes letters again after {@linkcode DeadLetterReport.close}. */
  reopen(): void {
    this.#letters?.reopen();
  }

  /**
   * Offers kept letters a last time, until the signal.
   *
   * @param signal Ends the wait.
   * @returns The events of letters the callback never took.
   */
  async close(signal: AbortSignal): Promise<SIEMEvent[]> {
    return await this.#letters?.close(signal) ?? [];
  }
}
