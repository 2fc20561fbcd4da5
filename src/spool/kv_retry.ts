/**
 * Trying a store operation again while the store is busy.
 *
 * @module
 */
import { type Clock, sleep } from "../delivery/clock.ts";

/** How many times a busy store is tried again before its error is thrown. */
const MAX_BUSY_RETRIES = 50;

/**
 * Runs a store operation, and again while it fails because the store is
 * busy: several processes on one SQLite file meet "database is locked" now
 * and then, and nothing was written. The waits are on the given clock.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { retryWhileBusy } from "./kv_retry.ts";
 * import { systemClock } from "../delivery/clock.ts";
 *
 * let calls = 0;
 * const value = await retryWhileBusy(async () => {
 *   if (calls++ === 0) throw new Error("database is locked");
 *   return "stored";
 * }, systemClock, () => 0);
 * assert.equal(value, "stored");
 * assert.equal(calls, 2);
 * ```
 *
 * @param operation The operation.
 * @param clock The clock of the waits.
 * @param random Numbers in [0, 1) for the jitter.
 * @returns What the operation resolved to.
 * @throws What the operation threw when it is not "locked" or "busy", or
 * still is after 50 retries.
 */
export async function retryWhileBusy<T>(
  operation: () => Promise<T>,
  clock: Clock,
  random: () => number,
): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const busy = error instanceof Error && /locked|busy/i.test(error.message);
      if (!busy || attempt >= MAX_BUSY_RETRIES) throw error;
      const delay = Math.min(200, 5 * 2 ** Math.min(attempt, 5)) *
        (0.5 + random() / 2);
      await sleep(clock, delay);
    }
  }
}
