/**
 * The parts of Hono's types the audit middleware reads, typed here so that
 * its API reads whole without Hono's.
 *
 * @module
 */

/**
 * The request, as the option functions see it: the parts of Hono's
 * `HonoRequest` they may read (`raw` is the whole `Request`).
 */
export interface HonoRequestLike {
  /** The method, such as `"GET"`. */
  readonly method: string;
  /** The path, without the query string. */
  readonly path: string;
  /** The request itself. */
  readonly raw: Request;
  /** One request header's value. */
  header(name: string): string | undefined;
}

/**
 * The parts of Hono's `Context` the middleware and its option functions use
 * (typed here, not imported, so that this API reads whole without Hono's
 * types). Hono's `Context<E>` is one, for the `E` of your app.
 *
 * @typeParam V The app's context variables (`Variables` of its `Env`).
 */
export interface HonoContextLike<V extends object = Record<string, unknown>> {
  /** The request. */
  readonly req: HonoRequestLike;
  /** The response, once a handler has answered. */
  readonly res: Response;
  /** The error a handler threw, once Hono's error handler has answered it. */
  readonly error?: unknown;
  /** One context variable (set with `c.set()` by earlier middleware). */
  get<K extends keyof V>(key: K): V[K];
}

/** The part of a Hono app's `Env` the middleware's types read. */
export interface HonoEnvLike {
  /** The context variables, such as `{ user: string }`. */
  Variables?: object;
}

/**
 * The context variables of an app's `Env`, or any variables (read as
 * `unknown`) for an app that declares none.
 *
 * @typeParam E The app's `Env`.
 */
export type VariablesOf<E extends HonoEnvLike> = E["Variables"] extends object
  ? E["Variables"]
  : Record<string, unknown>;

/**
 * The context the option functions get.
 *
 * @typeParam E The app's `Env`.
 */
export type SIEMAuditContext<E extends HonoEnvLike> = HonoContextLike<
  VariablesOf<E>
>;

/**
 * The middleware {@linkcode siemAudit} returns: a Hono middleware handler,
 * given to `app.use()` or a route.
 *
 * @typeParam E The app's `Env`.
 */
export type SIEMAuditMiddleware<E extends HonoEnvLike> = (
  c: SIEMAuditContext<E>,
  next: () => Promise<void>,
) => Promise<void>;
