/**
 * Driving a fake clock through code that also does real I/O (a Deno KV
 * store, the fake SIEM receivers): time moves in small steps, and the I/O
 * under way runs between them, so that the code's own timers (polls,
 * leases, flush intervals, backoff) fire without real-time waits.
 *
 * @module
 */
import { type FakeClock, settle } from "./fake_clock.ts";

/**
 * Moves the fake clock in steps of `stepMs` until `check` holds, letting
 * the real I/O run between steps.
 *
 * @param clock The fake clock.
 * @param check What to wait for (it may read the store).
 * @param what What is awaited, for the error.
 * @param stepMs Fake time per step.
 * @param maxMs Fake time after which the wait fails.
 */
export async function advanceUntil(
  clock: FakeClock,
  check: () => boolean | Promise<boolean>,
  what: string,
  stepMs = 10,
  maxMs = 60_000,
): Promise<void> {
  for (let waited = 0; !(await check()); waited += stepMs) {
    if (waited > maxMs) {
      throw new Error(`${what} did not happen in ${maxMs} ms of fake time`);
    }
    await clock.advance(stepMs);
    await settle();
  }
}

/**
 * Moves the fake clock by `ms` in steps, letting the real I/O run.
 *
 * @param clock The fake clock.
 * @param ms Fake time to move.
 * @param stepMs Fake time per step.
 */
export async function advanceBy(
  clock: FakeClock,
  ms: number,
  stepMs = 10,
): Promise<void> {
  for (let moved = 0; moved < ms; moved += stepMs) {
    await clock.advance(Math.min(stepMs, ms - moved));
    await settle();
  }
}

/**
 * Stops something whose deadline is on the fake clock (a spool), moving
 * the clock until it has stopped.
 *
 * @param clock The fake clock.
 * @param stoppable What to stop.
 * @param options The stop's options.
 */
export async function stopOn<Options, Report>(
  clock: FakeClock,
  stoppable: { stop(options?: Options): Promise<Report> },
  options?: Options,
): Promise<Report> {
  let done = false;
  const stopping = stoppable.stop(options).finally(() => {
    done = true;
  });
  await advanceUntil(clock, () => done, "stop").catch(() => {});
  return await stopping;
}
