/**
 * The ingest app's errors and the one JSON shape every error answer has.
 *
 * @module
 */

/** The stable codes of the ingest app's error answers. */
export type IngestErrorCode =
  | "unauthorized"
  | "forbidden"
  | "token_expired"
  | "token_not_yet_valid"
  | "rate_limited"
  | "not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "too_many_events"
  | "unsupported_media_type"
  | "malformed_body"
  | "invalid_events"
  | "overloaded"
  | "internal_error";

/** One refused event: its position in the request, the field, and why. */
export interface EventProblem {
  /** The event's position in the request, from 0. */
  index: number;
  /** The offending field's dotted path, or `""` for the event itself. */
  path: string;
  /** Why it was refused. */
  message: string;
}

/**
 * The body of every error answer:
 * `{"error":{"code","message","line"?,"events"?}}`.
 */
export interface IngestErrorBody {
  /** The error. */
  error: {
    /** A stable machine-readable code. */
    code: IngestErrorCode;
    /** A readable explanation (never a token or request content). */
    message: string;
    /** For NDJSON: the 1-based line that could not be parsed. */
    line?: number;
    /** For invalid events: every problem found. */
    events?: EventProblem[];
  };
}

/** An error the ingest app answers with its own status and code. */
export class IngestError extends Error {
  /** The HTTP status to answer. */
  readonly status: number;
  /** The stable error code. */
  readonly code: IngestErrorCode;
  /** Extra fields of the error body. */
  readonly details: Omit<IngestErrorBody["error"], "code" | "message">;
  /** Extra response headers, such as `Retry-After`. */
  readonly headers: Record<string, string>;

  /**
   * Creates the error.
   *
   * @param status The HTTP status.
   * @param code The stable error code.
   * @param message The readable explanation.
   * @param details Extra body fields.
   * @param headers Extra response headers.
   */
  constructor(
    status: number,
    code: IngestErrorCode,
    message: string,
    details: Omit<IngestErrorBody["error"], "code" | "message"> = {},
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "IngestError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  /** The error's JSON body. */
  toBody(): IngestErrorBody {
    return {
      error: { code: this.code, message: this.message, ...this.details },
    };
  }
}

/**
 * The 400 answer for events refused after validation by the sink (metadata
 * an Elasticsearch destination's dynamic mapping always refuses): the same
 * `invalid_events` shape as validation problems, none accepted.
 *
 * @example
 * ```ts
 * import { refusedEventsError } from "./ingest_error.ts";
 *
 * const error = refusedEventsError([{ index: 0, path: "metadata", message: "empty key" }]);
 * if (error.status !== 400) throw new Error("expected 400");
 * ```
 *
 * @param problems Each refused event's position, field and reason.
 * @returns The error to throw.
 */
export function refusedEventsError(
  problems: readonly EventProblem[],
): IngestError {
  const count = problems.length;
  // As many as validation lists at most.
  const listed = problems.slice(0, 100).map(({ index, path, message }) => ({
    index,
    path,
    message,
  }));
  return new IngestError(
    400,
    "invalid_events",
    `${count} problem${
      count === 1 ? "" : "s"
    } in the events; none was accepted${
      count > listed.length ? ` (the first ${listed.length} are listed)` : ""
    }`,
    { events: listed },
  );
}
