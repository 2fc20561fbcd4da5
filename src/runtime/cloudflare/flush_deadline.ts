/**
 * The flush a Worker without a queue hands to `waitUntil`, with a deadline
 * under the Workers limit.
 *
 * @module
 */
import type { Logger } from "../../delivery/logger.ts";
import type { SIEMIntegrator } from "../../delivery/integrator.ts";
import { type IngestSink, integratorSink } from "../../ingest/sink.ts";

/**
 * The default deadline of a flush handed to `waitUntil`, in ms: under the
 * 30 s Workers give `waitUntil` work after the answer
 * (https://developers.cloudflare.com/workers/runtime-apis/context/#waituntil).
 */
export const DEFAULT_FLUSH_DEADLINE_MS = 25_000;

/**
 * Wraps an integrator as an ingest sink whose `flush` ends by `deadlineMs`:
 * then backoff waits end and requests in flight are aborted, and what was
 * not delivered stays buffered for the next request's flush. Without it, a
 * flush still running when Workers cancel the context never settles, and
 * every later flush waits on it while `/events` keeps answering 202.
 *
 * @example
 * ```ts ignore
 * const sink = withFlushDeadline(integrator, 25_000, logger);
 * ctx.waitUntil(sink.flush());
 * ```
 *
 * @param integrator The integrator (built with `autoFlush: false`).
 * @param deadlineMs How long one flush may go on, in ms.
 * @param logger Where a flush that reached its deadline is reported.
 * @returns The sink.
 */
export function withFlushDeadline(
  integrator: SIEMIntegrator,
  deadlineMs: number,
  logger: Logger,
): IngestSink {
  const sink = integratorSink(integrator);
  return {
    accept: sink.accept,
    capacity: sink.capacity,
    getStats: sink.getStats,
    async flush(): Promise<unknown> {
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), deadlineMs);
      try {
        return await integrator.flushAll({ signal: deadline.signal });
      } finally {
        clearTimeout(timer);
        if (deadline.signal.aborted) {
          logger.warn(
            "flush reached its deadline: what is left stays buffered for the next request",
            { deadlineMs, buffered: integrator.getStats().buffered },
          );
        }
      }
    },
  };
}
