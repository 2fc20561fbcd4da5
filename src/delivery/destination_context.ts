/**
 * What a destination needs from the orchestrator that owns it (`DestinationSet`).
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import type { DeadLetter } from "./export_result.ts";
import type { Logger } from "./logger.ts";
import type { SettlementCallback } from "./settlement.ts";

/** What delivery needs from the orchestrator. */
export interface DeliveryContext {
  /** The `fetch` to send with; default: the global one. */
  fetch?: typeof fetch | undefined;
  /** The clock for timers, backoff and latency. */
  clock: Clock;
  /** Numbers in [0, 1) for the backoff jitter. */
  random: () => number;
  /** Where problems are written. */
  logger: Logger;
  /**
   * Told when buffered events leave for good, delivered or dead-lettered
   * with the reason (not when the overflow policy refuses a new event): a
   * durable spool deletes them from storage then.
   */
  onSettled?: SettlementCallback | undefined;
}

/** What a destination needs from its orchestrator. */
export interface DestinationContext extends DeliveryContext {
  /** Receives every event that leaves for good without delivery. */
  onDeadLetter?: ((letter: DeadLetter) => void | Promise<void>) | undefined;
  /** Whether a timer flushes on its own (false: only explicit flushes send). */
  autoFlush: boolean;
  /**
   * Told of a new event the buffer refused (dead-lettered at once, never
   * buffered, so not settled): a spool whose storage still holds it can
   * give it up with its reason.
   */
  onRefused?: SettlementCallback | undefined;
}
