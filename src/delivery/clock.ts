/**
 * Time, as the delivery code sees it: injectable so that tests control it.
 *
 * @module
 */

/** The clock and timers the integrator uses. */
export interface Clock {
  /** The current time in epoch milliseconds. */
  now(): number;
  /** Calls `callback` after `delayMs`; returns a handle for {@linkcode Clock.clearTimeout}. */
  setTimeout(callback: () => void, delayMs: number): unknown;
  /** Cancels a timer set by {@linkcode Clock.setTimeout}. */
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock: `Date.now` and the global timers.
 *
 * @example
 * ```ts
 * import { systemClock } from "./clock.ts";
 *
 * const handle = systemClock.setTimeout(() => {}, 10);
 * systemClock.clearTimeout(handle);
 * ```
 */
export const systemClock: Clock = {
  now: (): number => Date.now(),
  setTimeout: (callback: () => void, delayMs: number): unknown =>
    setTimeout(callback, delayMs),
  clearTimeout: (handle: unknown): void =>
    clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Waits `delayMs` on `clock`; rejects with the signal's reason when `signal`
 * aborts first.
 *
 * @param clock The clock whose timer to use.
 * @param delayMs How long to wait.
 * @param signal Ends the wait early.
 * @returns A promise settled when the wait ends.
 */
export function sleep(
  clock: Clock,
  delayMs: number,
  signal?: AbortSignal,
): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
