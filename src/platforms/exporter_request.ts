/**
 * The shapes of one request an exporter sends: the prepared body, the post's
 * options and outcome, and the error of an aborted post.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import type { ResponseVerdict } from "./verdict.ts";

/** A batch turned into the exact bytes of one request. */
export interface PreparedBatch {
  /** The events, in the order of the body. */
  events: readonly SIEMEvent[];
  /** The request body as sent (gzip-compressed when the config says so). */
  body: Uint8Array<ArrayBuffer>;
  /** Size of the body before compression, in bytes. */
  uncompressedBytes: number;
}

/** Options of {@linkcode Exporter.post}. */
export interface PostOptions {
  /** The `fetch` to use; default: the global one. */
  fetch?: typeof fetch | undefined;
  /** Aborts the request (for example when the integrator stops). */
  signal?: AbortSignal | undefined;
  /** The clock to time the request with; default `Date.now`. */
  now?: (() => number) | undefined;
}

/** A request whose body is final, before {@linkcode Exporter.signRequest}. */
export interface UnsignedRequest {
  /** The HTTP method. */
  method: string;
  /** The URL the request goes to. */
  url: string;
  /** The headers, `Content-Encoding` included. */
  headers: Record<string, string>;
  /** The exact bytes sent (gzipped when compressed). */
  body: Uint8Array<ArrayBuffer>;
}

/** What {@linkcode Exporter.signRequest} may use besides the request. */
export interface SignContext {
  /** The `fetch` of the post. */
  fetch: typeof fetch;
  /** Aborts the post. */
  signal?: AbortSignal | undefined;
}

/** How one request went. */
export interface PostOutcome {
  /** What the answer means for each event of the batch. */
  verdict: ResponseVerdict;
  /** The HTTP status, or 0 when no answer came. */
  status: number;
  /** Time from sending to the end of the answer, in ms. */
  latencyMs: number;
}

/**
 * Thrown by {@linkcode Exporter.post} when its `signal` aborts the request:
 * the batch was neither delivered nor failed.
 */
export class RequestAbortedError extends Error {
  /**
   * Creates the error.
   *
   * @param cause The abort reason.
   */
  constructor(cause: unknown) {
    super("Cannot finish request: it was aborted", { cause });
    this.name = "RequestAbortedError";
  }
}
