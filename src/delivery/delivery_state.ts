/**
 * A destination's delivery state (shared by its buffer and its delivery
 * loop), and what one flush tallies.
 *
 * @module
 */
import type { SIEMPlatform } from "../platforms/platform.ts";
import type { SIEMConfig } from "../platforms/siem_config.ts";
import type { ExportResult } from "./export_result.ts";
import {
  type DeliveryCounters,
  type DestinationStats,
  emptyCounters,
  type RecentDeadLetter,
} from "./stats.ts";

/** A destination's delivery state, shared by its buffer and its delivery loop. */
export interface DeliveryState {
  /** Its counters. */
  counters: DeliveryCounters;
  /** Flushes in a row whose retries ran out. */
  consecutiveFailures: number;
  /** When it may send again after backing off, on its clock. */
  retryAt: number;
  /** Whether a retry's backoff wait is under way. */
  retrying: boolean;
  /** The last error, redacted. */
  lastError: string | undefined;
  /** When it happened, on its clock. */
  lastErrorAt: number | undefined;
  /** What to check when an answer shows a setup error, until a delivery. */
  setupError: string | undefined;
}

/** The running totals of one flush. */
export interface FlushTally {
  /** Events delivered. */
  sent: number;
  /** Events given up. */
  failed: number;
  /** Resends. */
  retries: number;
  /** The last error met. */
  error?: string | undefined;
}

/** Signals a delivery loop listens to. */
export interface DrainSignals {
  /** Ends a backoff wait early. */
  sleep?: AbortSignal | undefined;
  /** Aborts a request in flight. */
  request?: AbortSignal | undefined;
}

/**
 * The state of a destination that has sent nothing yet.
 *
 * @returns A fresh state.
 */
export function initialDeliveryState(): DeliveryState {
  return {
    counters: emptyCounters(),
    consecutiveFailures: 0,
    retryAt: 0,
    retrying: false,
    lastError: undefined,
    lastErrorAt: undefined,
    setupError: undefined,
  };
}

/**
 * A destination's statistics from its delivery state.
 *
 * @param state The delivery state.
 * @param facts What the destination knows besides: its name, platform,
 * whether it is enabled and sending, what it buffers, the time now, and
 * its recent dead letters.
 * @returns The statistics.
 */
export function destinationStats(
  state: DeliveryState,
  facts: {
    name: string;
    platform: SIEMPlatform;
    enabled: boolean;
    sending: boolean;
    buffered: number;
    now: number;
    recentDeadLetters: RecentDeadLetter[] | undefined;
  },
): DestinationStats {
  const backingOff = state.retryAt > facts.now && facts.buffered > 0;
  return {
    ...state.counters,
    name: facts.name,
    platform: facts.platform,
    enabled: facts.enabled,
    state: !facts.enabled
      ? "disabled"
      : state.retrying
      ? "retrying"
      : backingOff
      ? "backing_off"
      : facts.sending
      ? "sending"
      : "idle",
    buffered: facts.buffered,
    consecutiveFailures: state.consecutiveFailures,
    lastError: state.lastError,
    lastErrorAt: state.lastErrorAt === undefined
      ? undefined
      : new Date(state.lastErrorAt).toISOString(),
    retryAt: backingOff ? new Date(state.retryAt).toISOString() : undefined,
    setupError: state.setupError,
    recentDeadLetters: facts.recentDeadLetters,
  };
}

/**
 * The result of a flush that threw: nothing sent, what is buffered left.
 *
 * @param config The destination's name and platform.
 * @param buffered The events still buffered.
 * @param reason Why (redacted).
 * @returns The result.
 */
export function failedResult(
  config: Pick<SIEMConfig, "name" | "platform">,
  buffered: number,
  reason: string,
): ExportResult {
  return {
    success: false,
    platform: config.platform,
    destination: config.name,
    eventsSent: 0,
    eventsFailed: 0,
    eventsQueued: buffered,
    latencyMs: 0,
    error: reason,
    retries: 0,
  };
}
