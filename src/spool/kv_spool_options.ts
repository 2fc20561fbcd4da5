/**
 * What {@linkcode KvSpool} is given (its options, the extras committed with
 * events) and what its stop reports.
 *
 * @module
 */
import type { Clock } from "../delivery/clock.ts";
import type { DeadLetter, StopReport } from "../delivery/export_result.ts";
import type { Logger } from "../delivery/logger.ts";
import type { CommitExtras } from "./kv_outbox.ts";

/** Options of {@linkcode KvSpool}. */
export interface KvSpoolOptions {
  /** The first key part of everything the spool stores; default `"harombe-siem"`. */
  prefix?: string | undefined;
  /** The `fetch` to send with; default: the global one. */
  fetch?: typeof fetch | undefined;
  /** The clock; default {@linkcode systemClock}. */
  clock?: Clock | undefined;
  /** Numbers in [0, 1) for jitter and ids; default `Math.random`. */
  random?: (() => number) | undefined;
  /** Where problems are written; default: the console. */
  logger?: Logger | undefined;
  /** Also told of every dead letter, after it is stored. */
  onDeadLetter?: ((letter: DeadLetter) => void | Promise<void>) | undefined;
  /**
   * Most events held per destination; past it `accept` refuses with 503.
   *
   * @default {1000000}
   */
  maxSpooledEvents?: number | undefined;
  /**
   * How long a destination's lease lasts without renewal, in ms: after an
   * instance dies, another takes its destinations over this much later.
   *
   * @default {15000}
   */
  leaseMs?: number | undefined;
  /**
   * How often the spool renews leases and looks for events (accepted by
   * other instances, or left by a dead one), in ms.
   *
   * @default {1000}
   */
  pollMs?: number | undefined;
  /** How long `stop()` may go on delivering, in ms; default 30000. */
  stopTimeoutMs?: number | undefined;
  /** This instance's id in leases; default: random. */
  instanceId?: string | undefined;
}

/**
 * Writes that {@linkcode KvSpool.accept} commits in the same transaction as
 * the events, so that they are stored together or not at all (an importer's
 * checkpoint, for example).
 */
export type SpoolCommitExtras = CommitExtras;

/** What {@linkcode KvSpool.stop} did. */
export interface SpoolStopReport extends StopReport {
  /**
   * How many events each destination's outbox still stores after the stop
   * (delivered by the next start, or by another instance): by name.
   */
  stored: Record<string, number>;
}
