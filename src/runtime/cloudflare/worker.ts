/**
 * The Cloudflare Workers entry: a module Worker around the ingest app,
 * configured from the Worker's environment bindings. Import from
 * `@harombe/siem/cloudflare` and `export default` it, or use
 * {@linkcode createWorker} to add options.
 *
 * **Without a queue** (no `SIEM_QUEUE` binding) the integrator is built on
 * the first request (global scope may not start timers on Workers) with
 * `autoFlush: false`: each request hands the flush of what it accepted to
 * `ctx.waitUntil`. That flush ends by `FLUSH_DEADLINE_MS` (default 25000,
 * under the 30 s Workers give `waitUntil` work): then its requests are
 * aborted and what is left stays buffered for the next request's flush.
 * Buffers live in the isolate and are lost if it is evicted before a flush
 * delivers them.
 *
 * **With a queue** (a Queue producer bound as `SIEM_QUEUE`) events are
 * durable: `POST /events` answers 202 only once Cloudflare Queues has stored
 * them ({@linkcode QueueSink}: one message `{ v: 1, destination, events }`
 * per destination and chunk of at most 100 KB of JSON), and the Worker's
 * `queue()` handler delivers them ({@linkcode consumeQueueBatch}): events
 * of a whole batch of messages are sent together per destination; a message
 * is acked once all its events are delivered, or refused for good by the
 * platform and stored in the dead-letter producer `SIEM_DEAD_LETTERS`
 * (`{ v: 1, destination, reason, status, at, events }`); otherwise it is
 * retried with a growing delay (10 s, 20 s, 40 s, ... then every 30 min),
 * and after the consumer's `max_retries` Cloudflare moves it to the
 * consumer's dead-letter queue. With `max_retries: 100` (Queues' limit) the
 * retries span about 46 hours: a SIEM outage of a day moves nothing to the
 * dead-letter queue.
 *
 * A batch from a queue named in `SIEM_DEAD_LETTER_QUEUE` (a comma-separated
 * list) is never delivered to a SIEM again: with `DEAD_LETTER_WEBHOOK` set,
 * each message is posted there as JSON (`Authorization: Bearer
 * <DEAD_LETTER_WEBHOOK_TOKEN>` when that is set) and acked on a 2xx answer,
 * retried otherwise (10 s, 20 s, ... then every 4 h); without a webhook each
 * message is retried 12 h later, so it stays in the queue. With that
 * queue's own `max_retries: 100` these retries span 15 and 50 days, longer
 * than a queue keeps a message (its retention: 4 days by default, up to 14
 * days), so a dead letter is kept for the queue's retention period. A
 * dead-letter queue **without** a consumer keeps messages for its retention
 * period too, to be read with a pull consumer or the dashboard.
 *
 * ```jsonc
 * // wrangler.jsonc
 * {
 *   "main": "src/index.ts",
 *   "queues": {
 *     "producers": [
 *       { "binding": "SIEM_QUEUE", "queue": "siem" },
 *       { "binding": "SIEM_DEAD_LETTERS", "queue": "siem-dlq" }
 *     ],
 *     "consumers": [
 *       { "queue": "siem", "max_batch_size": 100, "max_batch_timeout": 5,
 *         "max_retries": 100, "dead_letter_queue": "siem-dlq" },
 *       { "queue": "siem-dlq", "max_retries": 100 }
 *     ]
 *   },
 *   "vars": {
 *     "SIEM_DEAD_LETTER_QUEUE": "siem-dlq",
 *     "DEAD_LETTER_WEBHOOK": "https://alerts.example.com/siem-dead-letters"
 *   }
 * }
 * ```
 *
 * Delivery through the queue is at least once: a message retried after some
 * of its events were delivered is sent again whole (Elasticsearch dedupes by
 * `_id`; Splunk and Datadog may index those twice), and a message that ran
 * out of retries reaches the dead-letter queue with those events too.
 *
 * @module
 */
import { SIEMIntegrator } from "../../delivery/integrator.ts";
import {
  type ParsedSIEMConfig,
  parseOnce,
  WORKER_MAX_BUFFERED_BYTES,
} from "../../platforms/siem_config.ts";
import type { Logger } from "../../delivery/logger.ts";
import { consoleLogger } from "../../delivery/console_logger.ts";
import {
  createIngestApp,
  type IngestApp,
  type IngestExecutionContext,
} from "../../ingest/app.ts";
import {
  type ServerConfig,
  serverConfig,
  ServerConfigError,
} from "../../ingest/server_config.ts";
import { consumeQueueBatch } from "../../spool/queue_consumer.ts";
import { forwardDeadLetterBatch } from "../../spool/dead_letter_forward.ts";
import {
  isQueueProducer,
  type MessageBatchLike,
} from "../../spool/queue_like.ts";
import { QueueSink } from "../../spool/queue_sink.ts";
import { IngestError } from "../../ingest/ingest_error.ts";
import type { ProducerTokens } from "../../ingest/producer_tokens.ts";
import {
  isKvNamespace,
  type KvTokenSource,
  kvTokenSource,
} from "./kv_tokens.ts";
import {
  DEFAULT_FLUSH_DEADLINE_MS,
  withFlushDeadline,
} from "./flush_deadline.ts";

/** The part of a Workers `ExecutionContext` the entry uses. */
export interface WorkerExecutionContext {
  /** Keeps the Worker running until the promise settles. */
  waitUntil(promise: Promise<unknown>): void;
  /** Lets the request fall through to the origin on an exception. */
  passThroughOnException?(): void;
}

/**
 * The Worker's environment: string bindings, as `serverConfig` reads them,
 * and the Queue bindings.
 */
export type WorkerEnv = Record<string, unknown>;

/** Options of {@linkcode createWorker}. */
export interface WorkerOptions {
  /**
   * The binding of the Queue producer that makes ingest durable; without
   * such a binding in the env, events are buffered in memory.
   *
   * @default {"SIEM_QUEUE"}
   */
  queueBinding?: string | undefined;
  /**
   * The binding of the Queue producer that stores events refused for good
   * (and malformed messages).
   *
   * @default {"SIEM_DEAD_LETTERS"}
   */
  deadLetterBinding?: string | undefined;
  /**
   * The delay of a message retried because its events were not delivered,
   * from its `attempts`.
   *
   * @default {(attempts) => Math.min(1800, 5 * 2 ** attempts)}
   */
  retryDelaySeconds?: ((attempts: number) => number) | undefined;
  /**
   * The delay of a dead letter retried because `DEAD_LETTER_WEBHOOK` did
   * not take it, from its `attempts`.
   *
   * @default {(attempts) => Math.min(14400, 5 * 2 ** attempts)}
   */
  deadLetterRetryDelaySeconds?: ((attempts: number) => number) | undefined;
  /**
   * How long a dead letter waits in its queue before it is looked at again
   * when no `DEAD_LETTER_WEBHOOK` is set, in seconds.
   *
   * @default {43200}
   */
  deadLetterHoldSeconds?: number | undefined;
  /**
   * Without a queue: how long the flush handed to `waitUntil` may go on, in
   * ms, 1 to 29999 (Workers end `waitUntil` work 30 s after the answer);
   * default: the `FLUSH_DEADLINE_MS` binding, else 25000.
   */
  flushDeadlineMs?: number | undefined;
  /**
   * The KV namespace binding whose entry `INGEST_TOKENS_KV_KEY` (default
   * `ingest-tokens`) holds the tokens, read per request with a cache of
   * `INGEST_TOKENS_CACHE_MS` (default 30000); when bound, it replaces
   * `INGEST_TOKENS`. Default `INGEST_TOKENS_KV`.
   */
  tokensKvBinding?: string | undefined;
  /** The clock of token validity, quotas and the KV cache; default `Date`. */
  clock?: { now(): number } | undefined;
  /** The `fetch` to send with; default: the global one. */
  fetch?: typeof fetch | undefined;
  /** Where problems are written; default: the console. */
  logger?: Logger | undefined;
}

/** A module Worker with a fetch handler and a queue consumer. */
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
  /**
   * Consumes one batch of a queue: delivers the events of the spool's
   * queue, or forwards the messages of a dead-letter queue (one named in
   * `SIEM_DEAD_LETTER_QUEUE`) to `DEAD_LETTER_WEBHOOK`. Each message is
   * acked or retried on its own.
   *
   * @param batch The batch.
   * @param env The Worker's bindings.
   * @param ctx The execution context.
   */
  queue(
    batch: MessageBatchLike,
    env: WorkerEnv,
    ctx: WorkerExecutionContext,
  ): Promise<void>;
}

/**
 * Creates the Worker. Bindings: `INGEST_TOKENS`, `SIEM_DESTINATIONS` (a JSON
 * array) or `SIEM_SPLUNK_URL`/`SIEM_SPLUNK_TOKEN` and their Elasticsearch,
 * Datadog and OpenSearch peers, or the `SIEM_SENTINEL_*` variables of a
 * Microsoft Sentinel destination (`SIEM_SENTINEL_CLIENT_SECRET` is a
 * secret), `MAX_BODY_BYTES`, `MAX_EVENTS_PER_REQUEST` (see
 * docs/configuration.md), `FLUSH_DEADLINE_MS` (without a queue); for the durable path the Queue producers `SIEM_QUEUE` and
 * `SIEM_DEAD_LETTERS`, and `SIEM_DEAD_LETTER_QUEUE`, `DEAD_LETTER_WEBHOOK`,
 * `DEAD_LETTER_WEBHOOK_TOKEN` (see the module documentation). Put tokens in
 * secrets (`wrangler secret put`), not in `vars`.
 *
 * @example
 * ```ts ignore
 * // src/index.ts of a Worker
 * import { createWorker } from "@harombe/siem/cloudflare";
 *
 * export default createWorker();
 * ```
 *
 * @param options Binding names, retry delays, and injected fetch and logger.
 * @returns The Worker.
 */
export function createWorker(options: WorkerOptions = {}): IngestWorker {
  const queueBinding = options.queueBinding ?? "SIEM_QUEUE";
  const deadLetterBinding = options.deadLetterBinding ?? "SIEM_DEAD_LETTERS";
  const kvBinding = options.tokensKvBinding ?? "INGEST_TOKENS_KV";
  const clock = options.clock ?? Date;
  let kvTokens: KvTokenSource | undefined;
  let config: ServerConfig | undefined;
  let handler: IngestApp | undefined;
  // The configuration is read once per isolate: its env does not change.
  const configOf = (env: WorkerEnv): ServerConfig =>
    config ??= serverConfig(stringEnv(env));
  let destinations: ParsedSIEMConfig[] | undefined;
  // Parsed once per isolate and passed inward parsed: the queue consumer
  // runs on every batch.
  const destinationsOf = (env: WorkerEnv): ParsedSIEMConfig[] =>
    destinations ??= configOf(env).destinations.map((d) => parseOnce(d));
  return {
    async fetch(
      request: Request,
      env: WorkerEnv,
      ctx: WorkerExecutionContext,
    ): Promise<Response> {
      const kv = env?.[kvBinding];
      let tokens: ProducerTokens | undefined;
      if (isKvNamespace(kv)) {
        const logger = options.logger ?? consoleLogger;
        kvTokens ??= kvTokenSource({
          key: stringEnv(env).INGEST_TOKENS_KV_KEY ?? "ingest-tokens",
          cacheMs: cacheMs(stringEnv(env).INGEST_TOKENS_CACHE_MS),
          clock,
          log: (line) => logger.warn(line),
        });
        try {
          tokens = await kvTokens.current(kv);
        } catch (error) {
          logger.error("cannot read the ingest tokens from KV", {
            error: error instanceof Error ? error.message : String(error),
          });
          return Response.json(
            new IngestError(
              503,
              "overloaded",
              "the ingest tokens cannot be read now",
            ).toBody(),
            { status: 503, headers: { "Retry-After": "5" } },
          );
        }
      }
      if (!handler) {
        const server = configOf(env);
        const producer = env?.[queueBinding];
        handler = createIngestApp({
          ...(isQueueProducer(producer)
            ? {
              sink: new QueueSink(producer, destinationsOf(env), {
                logger: options.logger,
              }),
            }
            : {
              // An isolate has 128 MB: a smaller byte bound per buffer,
              // unless a destination sets its own.
              sink: withFlushDeadline(
                new SIEMIntegrator(
                  server.destinations.map((destination) => ({
                    ...destination,
                    maxBufferedBytes: destination.maxBufferedBytes ??
                      WORKER_MAX_BUFFERED_BYTES,
                  })),
                  {
                    autoFlush: false,
                    fetch: options.fetch,
                    logger: options.logger,
                  },
                ),
                flushDeadlineMs(options.flushDeadlineMs, stringEnv(env)),
                options.logger ?? consoleLogger,
              ),
            }),
          tokens: tokens ?? server.tokens,
          quotas: server.quotas,
          clock,
          allowUnauthenticated: server.allowUnauthenticated,
          maxBodyBytes: server.maxBodyBytes,
          maxEventsPerRequest: server.maxEventsPerRequest,
          logger: options.logger,
        });
      }
      return await handler.fetch(
        request,
        env,
        ctx as IngestExecutionContext,
      );
    },

    async queue(batch: MessageBatchLike, env: WorkerEnv): Promise<void> {
      const strings = stringEnv(env);
      const deadLetterQueues = (strings.SIEM_DEAD_LETTER_QUEUE ?? "")
        .split(",").map((name) => name.trim()).filter(Boolean);
      if (deadLetterQueues.includes(batch.queue)) {
        await forwardDeadLetterBatch(batch, {
          webhook: strings.DEAD_LETTER_WEBHOOK,
          token: strings.DEAD_LETTER_WEBHOOK_TOKEN,
          fetch: options.fetch,
          logger: options.logger,
          retryDelaySeconds: options.deadLetterRetryDelaySeconds,
          holdDelaySeconds: options.deadLetterHoldSeconds,
        });
        return;
      }
      const deadLetters = env?.[deadLetterBinding];
      await consumeQueueBatch(batch, {
        destinations: destinationsOf(env),
        deadLetters: isQueueProducer(deadLetters) ? deadLetters : undefined,
        fetch: options.fetch,
        logger: options.logger,
        retryDelaySeconds: options.retryDelaySeconds,
      });
    },
  };
}

type StringEnv = Record<string, string | undefined>;

// The deadline of a flush handed to waitUntil: the option, the binding, or
// the default; under the 30 s Workers allow.
function flushDeadlineMs(option: number | undefined, env: StringEnv): number {
  const text = env.FLUSH_DEADLINE_MS?.trim();
  const value = option ??
    (text ? (/^\d+$/.test(text) ? Number(text) : NaN) : undefined) ??
    DEFAULT_FLUSH_DEADLINE_MS;
  if (!Number.isSafeInteger(value) || value < 1 || value >= 30_000) {
    throw new ServerConfigError(
      `FLUSH_DEADLINE_MS must be a whole number of ms from 1 to 29999 (Workers end waitUntil work 30 s after the answer): current value is ${
        JSON.stringify(option ?? text?.slice(0, 20))
      }`,
    );
  }
  return value;
}

// The env's string bindings (vars and secrets).
// INGEST_TOKENS_CACHE_MS, or 30 s: short enough for a revocation,
// long enough that KV is read a few times a minute per isolate.
function cacheMs(value: string | undefined): number {
  const ms = Number(value ?? 30_000);
  return Number.isFinite(ms) && ms >= 0 ? ms : 30_000;
}

function stringEnv(env: WorkerEnv): StringEnv {
  const strings: StringEnv = {};
  for (const [key, value] of Object.entries(env ?? {})) {
    if (typeof value === "string") strings[key] = value;
  }
  return strings;
}

/** The default Worker, configured from its bindings. */
const worker: IngestWorker = createWorker();
export default worker;
