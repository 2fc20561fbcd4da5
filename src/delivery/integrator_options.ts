/**
 * What {@linkcode SIEMIntegrator} is given (its options) and what it
 * answers with (receipts, the error after stop).
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import type { DeadLetter } from "./export_result.ts";
import type { Logger } from "./logger.ts";

/** Options of {@linkcode SIEMIntegrator}. */
export interface SIEMIntegratorOptions {
  /** The `fetch` to send with; default: the global `fetch`. */
  fetch?: typeof fetch | undefined;
  /** The clock for timers, backoff and latency; default {@linkcode systemClock}. */
  clock?: Clock | undefined;
  /** Numbers in [0, 1) for the backoff jitter; default `Math.random`. */
  random?: (() => number) | undefined;
  /**
   * Receives every event that leaves a destination for good without being
   * delivered (refused by the platform for good, too large to send, or
   * refused by the overflow policy), with the reason. Without it, such
   * events are written to the logger by id.
   */
  onDeadLetter?: ((letter: DeadLetter) => void | Promise<void>) | undefined;
  /** Where problems are written; default {@linkcode consoleLogger}. */
  logger?: Logger | undefined;
  /**
   * Whether each destination's timer sends batches on its own when they are
   * due. Turn it off on runtimes that forbid long-lived timers and call
   * {@linkcode SIEMIntegrator.flushAll} instead.
   *
   * @default {true}
   */
  autoFlush?: boolean | undefined;
  /**
   * How long {@linkcode SIEMIntegrator.stop} may go on delivering, in ms.
   *
   * @default {30000}
   */
  stopTimeoutMs?: number | undefined;
  /**
   * The `source` written on every SIEM event.
   *
   * @default {"harombe"}
   */
  source?: string | undefined;
}

/** Options of {@linkcode SIEMIntegrator.stop}. */
export interface StopOptions {
  /** How long delivery may go on, in ms; default: the integrator's `stopTimeoutMs`. */
  timeoutMs?: number | undefined;
}

/** What happened to one event given to {@linkcode SIEMIntegrator.exportEvent}. */
export interface EnqueueReceipt {
  /** The event's id (generated when the caller gave none). */
  eventId: string;
  /** Names of the destinations that buffered it. */
  queued: string[];
  /** Names of the destinations whose full buffer refused it (it was dead-lettered there). */
  refused: string[];
}

/** Thrown by `exportEvent` and `exportEvents` after {@linkcode SIEMIntegrator.stop}. */
export class IntegratorStoppedError extends Error {
  /** Creates the error. */
  constructor() {
    super(
      "Cannot accept events: the integrator is stopped (call start() to accept events again)",
    );
    this.name = "IntegratorStoppedError";
  }
}
