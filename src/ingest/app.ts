/**
 * The ingest app: a Hono app that takes audit events over HTTP and hands
 * them to the forwarder.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { AuditEvent } from "../events/audit_event.ts";
import { consoleLogger } from "../delivery/console_logger.ts";
import type { Logger } from "../delivery/logger.ts";
import type { SIEMIntegrator } from "../delivery/integrator.ts";
import { BuffersFullError } from "../delivery/internal.ts";
import { bearerToken } from "./bearer_token.ts";
import { DEAD_LETTER_WINDOW_MS, healthReport } from "./health.ts";
import { IngestError } from "./ingest_error.ts";
import { METRICS_CONTENT_TYPE, renderMetrics } from "./metrics.ts";
import { bodyFormat, parseEvents } from "./parse_events.ts";
import { readBody } from "./read_body.ts";
import { type IngestRequestStats, requestCounter } from "./request_counts.ts";
import type { IngestSink } from "./sink.ts";
import { checkTokens, chooseSink, positive } from "./app_options.ts";
import {
  DEFAULT_PRODUCER,
  type ProducerToken,
  type ProducerTokens,
} from "./producer_tokens.ts";
import {
  producerLimiter,
  type ProducerQuotas,
  renderProducerMetrics,
} from "./producer_quotas.ts";
import { statusPage } from "./status_page.ts";
import { overloaded, validateEvents } from "./validate_events.ts";

/** Options of {@linkcode createIngestApp}. */
export interface IngestAppOptions {
  /** The integrator that delivers accepted events (or give `sink`). */
  integrator?: SIEMIntegrator | undefined;
  /** Where accepted events go, for a sink other than the integrator (or give `integrator`). */
  sink?: IngestSink | undefined;
  /**
   * Tokens accepted in `Authorization: Bearer <token>`: named producers'
   * tokens (or their SHA-256), or bare tokens (the producer `default`);
   * several allow rotation. Each token must be 16 or more characters of
   * `A-Z a-z 0-9 - . _ ~ + / =`. Give a {@linkcode ProducerTokens} to
   * replace them while the app runs (a reload).
   */
  tokens?: readonly (string | ProducerToken)[] | ProducerTokens | undefined;
  /**
   * Per-producer quotas by producer name (`"*"`: every producer not
   * listed): events/s and bytes/s with bursts (429 with `Retry-After`
   * past them) and `maxShare`, the part of the sink's capacity one
   * producer's events may hold (503 past it). Kept in memory: per isolate
   * on Workers.
   */
  quotas?: ProducerQuotas | undefined;
  /**
   * The clock for token validity (`notBefore`, `expiresAt`) and quotas.
   *
   * @default {Date}
   */
  clock?: { now(): number } | undefined;
  /**
   * Create the app without tokens: anyone who reaches it may post events.
   * Only for apps behind their own authentication.
   *
   * @default {false}
   */
  allowUnauthenticated?: boolean | undefined;
  /**
   * Whether `/stats` and `/metrics` need a token like `/events`.
   *
   * @default {true}
   */
  protectStats?: boolean | undefined;
  /**
   * Largest body accepted, in bytes, before and after gzip decoding.
   *
   * @default {1048576}
   */
  maxBodyBytes?: number | undefined;
  /**
   * Most events accepted in one request.
   *
   * @default {1000}
   */
  maxEventsPerRequest?: number | undefined;
  /**
   * The `Retry-After` sent when the buffers are full, in seconds.
   *
   * @default {5}
   */
  retryAfterSeconds?: number | undefined;
  /**
   * Failed delivery attempts in a row that make a destination `failing` in
   * `/health`.
   *
   * @default {3}
   */
  failingAfter?: number | undefined;
  /**
   * How long `/health` shows a destination `degraded` after events were
   * dead-lettered, in ms.
   *
   * @default {900000}
   */
  deadLetterWindowMs?: number | undefined;
  /** Where unexpected errors are written; default: the console. */
  logger?: Logger | undefined;
}

/**
 * The ingest app. At run time it is a Hono app; its public type names only
 * what every host needs, so that it does not tie the caller to one copy of
 * Hono (two copies of Hono are different types to TypeScript, so typed
 * `app.route()` works only within one copy anyway).
 */
export interface IngestApp {
  /**
   * Answers a request: serve it (`Deno.serve(app.fetch)`,
   * `export default app` on Workers and Bun) or mount it
   * (`hostApp.mount("/siem", app.fetch)`).
   *
   * @param request The request.
   * @param env Runtime bindings (Workers) or server info.
   * @param executionCtx The Workers execution context, if any.
   * @returns The answer.
   */
  fetch(
    request: Request,
    env?: unknown,
    executionCtx?: IngestExecutionContext,
  ): Response | Promise<Response>;
  /**
   * Answers a request built from a path or URL, for tests: as Hono's
   * `app.request()`.
   *
   * @param input A path (`"/health"`), URL or request.
   * @param init Request options.
   * @param env Runtime bindings.
   * @param executionCtx The Workers execution context, if any.
   * @returns The answer.
   */
  request(
    input: string | URL | Request,
    init?: RequestInit,
    env?: unknown,
    executionCtx?: IngestExecutionContext,
  ): Response | Promise<Response>;
}

/** The part of a Workers `ExecutionContext` the ingest app uses. */
export interface IngestExecutionContext {
  /** Keeps the runtime working on the promise after the response. */
  waitUntil(promise: Promise<unknown>): void;
  /** Lets the request fall through to the origin on an exception. */
  passThroughOnException(): void;
  /** Workers' per-invocation properties. */
  props?: unknown;
}

/** The answer of a successful `POST /events`. */
export interface IngestAccepted {
  /** How many events were accepted. */
  accepted: number;
  /** Their ids, in request order (generated where the request had none). */
  event_ids: string[];
}

/**
 * Creates the ingest app. Routes:
 * - `POST /events`: one event (JSON object), a JSON array of events, or
 *   NDJSON (`application/x-ndjson`), optionally gzip-encoded. All or
 *   nothing: if any event is invalid, none is accepted and the 400 answer
 *   lists each problem. 202 with `{accepted, event_ids}` otherwise.
 * - `GET /health`: 200 or 503 with each destination's health (open).
 * - `GET /stats`: the delivery statistics as JSON, with `ingest`: the
 *   `POST /events` requests this instance answered, by outcome.
 * - `GET /metrics`: the delivery statistics in the Prometheus text format.
 * - `GET /status`: an HTML page showing the health and statistics, that
 *   refreshes itself from `/health` and `/stats`. The page holds no data and
 *   is served without a token; its script sends the token (from the URL
 *   fragment, `/status#token=…`, or typed in) to `/stats`, protected as
 *   always. A strict Content-Security-Policy allows only its own inline
 *   script and style and same-origin requests.
 *
 * Every error answer is `{"error":{"code","message",...}}` and never holds
 * a token or request content. On Cloudflare Workers, the flush of what a
 * request accepted is handed to `waitUntil`; elsewhere the integrator's own
 * timer sends it.
 *
 * Serve it as it is, or mount it: `hostApp.mount("/siem", ingest.fetch)`
 * works with any copy of Hono (and any framework that mounts fetch
 * handlers); `hostApp.route("/siem", ingest as unknown as Hono)` works when
 * the host uses the same copy of Hono as this module (`npm:hono`).
 *
 * @example Serving the ingest on Deno
 * ```ts ignore
 * import { SIEMIntegrator } from "@harombe/siem";
 * import { createIngestApp } from "@harombe/siem/ingest";
 *
 * const integrator = new SIEMIntegrator([
 *   { platform: "splunk", endpoint: "https://splunk.example.com:8088", token: "hec-token" },
 * ]);
 * const app = createIngestApp({ integrator, tokens: [Deno.env.get("INGEST_TOKEN")!] });
 * Deno.serve({ port: 8080 }, app.fetch);
 * ```
 *
 * @param options The sink, tokens and limits.
 * @returns The Hono app.
 * @throws {TypeError} When neither or both of `integrator` and `sink` are
 * given, or no token is given without `allowUnauthenticated`, or a token is
 * malformed.
 * @throws {RangeError} When a limit is not a positive integer.
 */
export function createIngestApp(options: IngestAppOptions): IngestApp {
  const sink = chooseSink(options);
  const tokens = checkTokens(options);
  const maxBodyBytes = positive("maxBodyBytes", options.maxBodyBytes, 1 << 20);
  const maxEvents = positive(
    "maxEventsPerRequest",
    options.maxEventsPerRequest,
    1000,
  );
  const retryAfter = positive(
    "retryAfterSeconds",
    options.retryAfterSeconds,
    5,
  );
  const failingAfter = positive("failingAfter", options.failingAfter, 3);
  const deadLetterWindowMs = positive(
    "deadLetterWindowMs",
    options.deadLetterWindowMs,
    DEAD_LETTER_WINDOW_MS,
  );
  const protectStats = options.protectStats ?? true;
  const logger = options.logger ?? consoleLogger;

  const clock = options.clock ?? Date;

  // Returns the producer's name. Tokens are hashed on the first request
  // (no work at creation, as Workers require).
  const authenticate = async (c: Context): Promise<string> => {
    if (tokens.size === 0) return DEFAULT_PRODUCER;
    const token = bearerToken(c.req.header("authorization") ?? null);
    if (token === undefined) {
      throw new IngestError(
        401,
        "unauthorized",
        "missing Authorization: Bearer <token>",
        {},
        { "WWW-Authenticate": 'Bearer realm="harombe-siem"' },
      );
    }
    const match = await tokens.match(token, clock.now());
    if (match.kind === "unknown") {
      throw new IngestError(
        403,
        "forbidden",
        "the token is not accepted",
      );
    }
    if (match.kind !== "accepted") {
      throw new IngestError(
        401,
        match.kind === "expired" ? "token_expired" : "token_not_yet_valid",
        match.kind === "expired"
          ? `the token of producer "${match.name}" has expired`
          : `the token of producer "${match.name}" is not valid yet`,
        {},
        {
          "WWW-Authenticate":
            'Bearer realm="harombe-siem", error="invalid_token"',
        },
      );
    }
    return match.name;
  };

  const limits = producerLimiter(options.quotas ?? {}, retryAfter);
  const acceptEvents = async (
    c: Context,
    producer: string,
  ): Promise<AuditEvent[]> => {
    const format = bodyFormat(c.req.header("content-type") ?? null);
    // Over quota or full already: answer before reading the body.
    limits.precheck(producer, clock.now());
    if (sink.capacity() === 0) throw overloaded(0, 0, retryAfter);
    const body = await readBody(c.req.raw, maxBodyBytes);
    const events = validateEvents(parseEvents(body, format, maxEvents));
    limits.take(producer, events.length, body.byteLength, clock.now());
    const free = sink.capacity();
    if (free < events.length) throw overloaded(free, events.length, retryAfter);
    limits.checkShare(producer, events.length, free);
    try {
      // The implicit producer `default` (bare tokens, or none) is not
      // stamped, so that its events' bytes are what they always were.
      await sink.accept(
        events,
        producer === DEFAULT_PRODUCER ? undefined : { producer },
      );
    } catch (error) {
      // capacity() counts events of the average size: larger ones can
      // still overflow a buffer's bytes, and then none was taken.
      if (error instanceof BuffersFullError) {
        throw overloaded(0, events.length, retryAfter);
      }
      // Hono hands only Errors to onError: anything else a custom sink
      // rejects with would reject app.fetch (no answer, nothing counted).
      if (!(error instanceof Error)) throw new SinkRejection(error);
      throw error;
    }
    return events;
  };

  const requests = requestCounter();
  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof IngestError) {
      return c.json(error.toBody(), error.status as 400, error.headers);
    }
    logger.error("ingest request failed", {
      path: new URL(c.req.url).pathname,
      error: error instanceof Error ? error.name : "unknown",
    });
    return c.json(
      new IngestError(500, "internal_error", "internal error").toBody(),
      500,
    );
  });

  app.notFound((c) =>
    c.json(new IngestError(404, "not_found", "no such route").toBody(), 404)
  );

  // Counted after the answer, errors included (onError has set c.res).
  app.use("/events", async (c, next) => {
    await next();
    if (c.req.method === "POST") requests.record(c.res.status);
  });

  app.post("/events", async (c) => {
    const producer = await authenticate(c);
    let events: AuditEvent[];
    try {
      events = await acceptEvents(c, producer);
    } catch (error) {
      if (error instanceof IngestError) limits.refused(producer, error.status);
      throw error;
    }
    limits.accepted(producer, events.length);
    scheduleFlush(c, sink, logger);
    const accepted: IngestAccepted = {
      accepted: events.length,
      event_ids: events.map((event) => event.event_id),
    };
    return c.json(accepted, 202);
  });

  app.get("/health", (c) => {
    const report = healthReport(sink.getStats(), sink.capacity(), {
      failingAfter,
      deadLetterWindowMs,
    });
    return c.json(report, report.status === "failing" ? 503 : 200);
  });

  app.get("/stats", async (c) => {
    if (protectStats) await authenticate(c);
    const ingest: IngestRequestStats = requests.snapshot();
    return c.json({ ...sink.getStats(), ingest, producers: limits.snapshot() });
  });

  app.get("/metrics", async (c) => {
    if (protectStats) await authenticate(c);
    const text = renderMetrics(sink.getStats()) +
      renderProducerMetrics(limits.snapshot());
    return c.body(text, 200, {
      "Content-Type": METRICS_CONTENT_TYPE,
    });
  });

  app.get("/status", async (c) => {
    const page = await statusPage();
    return c.body(page.body, 200, page.headers);
  });

  for (
    const [path, allow] of [
      ["/events", "POST"],
      ["/health", "GET"],
      ["/stats", "GET"],
      ["/metrics", "GET"],
      ["/status", "GET"],
    ] as const
  ) {
    app.all(path, (c) =>
      c.json(
        new IngestError(
          405,
          "method_not_allowed",
          `${path} takes ${allow} only`,
        ).toBody(),
        405,
        { Allow: allow },
      ));
  }

  return app as unknown as IngestApp;
}

// On Workers the response ends the request's work unless the flush is handed
// to waitUntil; elsewhere there is no execution context and the
// integrator's timer sends the events.
function scheduleFlush(c: Context, sink: IngestSink, logger: Logger): void {
  let waitUntil: ((promise: Promise<unknown>) => void) | undefined;
  try {
    const context = c.executionCtx;
    waitUntil = context.waitUntil.bind(context);
  } catch {
    return;
  }
  waitUntil(
    sink.flush().catch((error) =>
      logger.error("flush after ingest failed", { error: String(error) })
    ),
  );
}

// A sink's rejection with a value that is not an Error (kept as the cause,
// never logged: it may quote anything).
class SinkRejection extends Error {
  override name = "SinkRejection";
  constructor(cause: unknown) {
    super("the sink rejected with a value that is not an Error", { cause });
  }
}
