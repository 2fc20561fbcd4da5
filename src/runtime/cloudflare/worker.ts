/**
 * The Cloudflare Workers entry: a module Worker around the ingest app,
 * configured from the Worker's environment bindings. Import from
 * `@harombe/siem/cloudflare` and `export default` it, or use
 * {@linkcode createWorker} to add options.
 *
 * The integrator is built on the first request (global scope may not start
 * timers on Workers) with `autoFlush: false`: each request hands the flush of
 * what it accepted to `ctx.waitUntil`. Buffers live in the isolate and are
 * lost if it is evicted before the flush ends; the durable path is Queues.
 *
 * @module
 */
import { SIEMIntegrator } from "../../delivery/integrator.ts";
import {
  createIngestApp,
  type IngestApp,
  type IngestExecutionContext,
} from "../../ingest/app.ts";
import { serverConfig } from "../../ingest/server_config.ts";

/** The part of a Workers `ExecutionContext` the entry uses. */
export interface WorkerExecutionContext {
  /** Keeps the Worker running until the promise settles. */
  waitUntil(promise: Promise<unknown>): void;
  /** Lets the request fall through to the origin on an exception. */
  passThroughOnException?(): void;
}

/** The Worker's environment: string bindings, as `serverConfig` reads them. */
export type WorkerEnv = Record<string, unknown>;

/** A module Worker with a fetch handler. */
export interface IngestWorker {
  /**
   * Answers one request.
   *
   * @param request The request.
   * @param env The Worker's bindings.
   * @param ctx The execution context.
   * @returns The answer.
   */
  fetch(
    request: Request,
    env: WorkerEnv,
    ctx: WorkerExecutionContext,
  ): Promise<Response>;
}

/**
 * Creates the Worker. Bindings: `INGEST_TOKENS`, `SIEM_DESTINATIONS` (a JSON
 * array) or `SIEM_SPLUNK_URL`/`SIEM_SPLUNK_TOKEN` and their Elasticsearch and
 * Datadog peers, `MAX_BODY_BYTES`, `MAX_EVENTS_PER_REQUEST` (see the
 * README). Put tokens in secrets (`wrangler secret put`), not in `vars`.
 *
 * @example
 * ```ts ignore
 * // src/index.ts of a Worker
 * import { createWorker } from "@harombe/siem/cloudflare";
 *
 * export default createWorker();
 * ```
 *
 * @returns The Worker.
 */
export function createWorker(): IngestWorker {
  let handler: IngestApp | undefined;
  return {
    fetch(
      request: Request,
      env: WorkerEnv,
      ctx: WorkerExecutionContext,
    ): Promise<Response> {
      if (!handler) {
        const strings: Record<string, string | undefined> = {};
        for (const [key, value] of Object.entries(env ?? {})) {
          if (typeof value === "string") strings[key] = value;
        }
        const config = serverConfig(strings);
        handler = createIngestApp({
          integrator: new SIEMIntegrator(config.destinations, {
            autoFlush: false,
          }),
          tokens: config.tokens,
          allowUnauthenticated: config.allowUnauthenticated,
          maxBodyBytes: config.maxBodyBytes,
          maxEventsPerRequest: config.maxEventsPerRequest,
        });
      }
      return Promise.resolve(
        handler.fetch(request, env, ctx as IngestExecutionContext),
      );
    },
  };
}

/** The default Worker, configured from its bindings. */
const worker: IngestWorker = createWorker();
export default worker;
