/**
 * The durable spool's stop: delivering the stored backlog, not only what is
 * loaded, until the deadline.
 *
 * @module
 */
import type { Clock } from "../delivery/clock.ts";
import type { Logger } from "../delivery/logger.ts";
import type { SpooledDestination } from "./spooled_destination.ts";

/**
 * While stopping with healthy SIEMs, the backlog in storage is delivered
 * (not only what is loaded) until the deadline: the spool keeps running,
 * so each delivered batch is recorded and more is loaded, and what waits
 * for a batch to fill or for its flush interval is sent at once. A
 * destination that fails stops here, and its close() gets the rest of the
 * deadline, as for what is loaded.
 *
 * @param deadlineAt When to stop, on the clock.
 * @param context The clock, the logger, what to wait for first (a round
 * under way may be taking the leases), and the destinations to drain
 * (asked after that wait).
 */
export async function drainBacklog(
  deadlineAt: number,
  context: {
    clock: Clock;
    logger: Logger;
    begin: () => Promise<void>;
    destinations: () => SpooledDestination[];
  },
): Promise<void> {
  const { clock, logger } = context;
  const deadline = new AbortController();
  const handle = clock.setTimeout(
    () => deadline.abort(),
    Math.max(0, deadlineAt - clock.now()),
  );
  const signals = { sleep: deadline.signal, request: deadline.signal };
  // Real time, not the injected clock: this only lets the delivery
  // already under way go on.
  const pause = (): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, 10);
      function done(): void {
        clearTimeout(timer);
        deadline.signal.removeEventListener("abort", done);
        resolve();
      }
      deadline.signal.addEventListener("abort", done, { once: true });
    });
  const ended = new Promise<undefined>((resolve) => {
    if (deadline.signal.aborted) resolve(undefined);
    deadline.signal.addEventListener("abort", () => resolve(undefined), {
      once: true,
    });
  });
  try {
    await context.begin();
    await Promise.all(
      context.destinations().map(async (spooled) => {
        let idle = 0;
        while (!deadline.signal.aborted && spooled.lease?.held) {
          const { destination } = spooled;
          await spooled.feed();
          if (destination.buffered === 0) {
            // Nothing loaded: done once storage holds nothing more for it.
            // A feed already running may still be loading; a count that
            // never comes down (groups that cannot load) ends the wait.
            await spooled.writes;
            await spooled.refreshCounts();
            if (spooled.outboxCount === 0 || ++idle > 50) return;
            await pause();
            continue;
          }
          idle = 0;
          const { state } = destination.stats();
          if (state === "sending" || state === "retrying") {
            // Its loop is sending full batches (the spool refills it), or
            // retrying one: it goes on.
            await pause();
            continue;
          }
          // The rest waits for a batch to fill or for its flush interval,
          // or for a backoff to end: send it now. A flush can wait for a
          // delivery loop that began meanwhile: the deadline ends the wait
          // (close() then interrupts that loop).
          const flushed = destination.flush(signals);
          flushed.catch(() => {});
          const result = await Promise.race([flushed, ended]);
          if (result === undefined) return;
          await spooled.writes;
          if (!result.success) return;
        }
      }),
    );
  } catch (error) {
    logger.error("spool could not deliver its backlog while stopping", {
      error: String(error),
    });
  } finally {
    clock.clearTimeout(handle);
  }
}
