/**
 * A strict fake Splunk HTTP Event Collector (wire-specs §1).
 *
 * @module
 */

import { parseJsonText } from "../../src/events/json_text.ts";
import {
  emptyResponse,
  FakeReceiver,
  jsonResponse,
  reasonPhrase,
  type RecordedRequest,
} from "./fake_receiver.ts";
import {
  jsonValueEnd,
  memberSpan,
  skipWhitespace,
  utf8Length,
} from "./_wire.ts";

/** Options of {@linkcode startFakeSplunk}. */
export interface FakeSplunkOptions {
  /** The only HEC token accepted. */
  token: string;
  /** Indexes the token may write to. Default `["harombe-security", "main"]`. */
  allowedIndexes?: readonly string[];
  /** Largest envelope (UTF-8 bytes of its JSON). Default 5_000_000. */
  maxEventBytes?: number;
  /** Largest request body as received. Default 838_860_800. */
  maxContentLength?: number;
}

const EVENT_PATHS = new Set([
  "/services/collector/event",
  "/services/collector",
  "/services/collector/event/1.0",
]);
const HEALTH_PATHS = new Set([
  "/services/collector/health",
  "/services/collector/health/1.0",
]);
const ENVELOPE_KEYS = new Set([
  "time",
  "host",
  "source",
  "sourcetype",
  "index",
  "event",
  "fields",
]);
const STRING_KEYS = ["host", "source", "sourcetype", "index"] as const;
const NOT_FOUND = {
  text: "The requested URL was not found on this server.",
  code: 404,
};
const FAULT_BODIES: Record<number, { text: string; code: number }> = {
  200: { text: "Success", code: 0 },
  400: { text: "Invalid data format", code: 6 },
  401: { text: "Token is required", code: 2 },
  403: { text: "Invalid token", code: 4 },
  404: NOT_FOUND,
  429: { text: "Server is busy", code: 9 },
  500: { text: "Internal server error", code: 8 },
  503: { text: "Server is busy", code: 9 },
};
const CODE_TEXT: Record<number, string> = {
  6: "Invalid data format",
  7: "Incorrect index",
  12: "Event field is required",
  13: "Event field cannot be blank",
  15: "Error in handling indexed fields",
};
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** A running fake HEC; events it accepted are in `events`. */
export class FakeSplunk extends FakeReceiver {
  /** Accepted envelopes (whole objects), in order. */
  readonly events: Array<Record<string, unknown>> = [];
  readonly #token: string;
  readonly #indexes: ReadonlySet<string>;
  readonly #maxEventBytes: number;
  readonly #maxContentLength: number;

  /** Starts the fake; prefer {@linkcode startFakeSplunk}. */
  constructor(options: FakeSplunkOptions) {
    super(["gzip"]);
    this.#token = options.token;
    this.#indexes = new Set(
      options.allowedIndexes ?? ["harombe-security", "main"],
    );
    this.#maxEventBytes = options.maxEventBytes ?? 5_000_000;
    this.#maxContentLength = options.maxContentLength ?? 838_860_800;
  }

  /** HEC's answer: routing, auth, size, then all-or-nothing envelope checks. */
  protected handle(
    request: RecordedRequest,
    encodingError: string | null,
  ): Response {
    const { method, path } = request;
    if (method === "GET" && HEALTH_PATHS.has(path)) {
      return jsonResponse(200, { text: "HEC is healthy", code: 17 });
    }
    if (method !== "POST" || !EVENT_PATHS.has(path)) {
      return jsonResponse(404, NOT_FOUND);
    }
    const denied = this.#authenticate(request);
    if (denied !== undefined) return denied;
    if (request.rawBody.byteLength > this.#maxContentLength) {
      return emptyResponse(413);
    }
    if (encodingError !== null) return reject(6);
    let text: string;
    try {
      text = UTF8.decode(request.body);
    } catch {
      return reject(6, 0);
    }
    const parsed = this.#parseBatch(text);
    if (parsed instanceof Response) return parsed;
    this.events.push(...parsed);
    return jsonResponse(200, { text: "Success", code: 0 });
  }

  /** HEC's body for an injected status (413: empty, like the size limit). */
  protected faultResponse(status: number): Response {
    if (status === 413) return emptyResponse(413);
    const body = FAULT_BODIES[status] ??
      { text: reasonPhrase(status), code: status >= 500 ? 8 : 6 };
    return jsonResponse(status, body);
  }

  #authenticate(request: RecordedRequest): Response | undefined {
    const header = request.headers.get("authorization");
    if (header === null) {
      if (new URLSearchParams(request.search).has("token")) {
        return jsonResponse(400, {
          text: "Query string authorization is not enabled",
          code: 16,
        });
      }
      return jsonResponse(401, { text: "Token is required", code: 2 });
    }
    let token: string;
    if (header.startsWith("Splunk ")) {
      token = header.slice("Splunk ".length);
    } else if (header.startsWith("Basic ")) {
      // Splunk also takes Basic auth with any user and the token as password.
      token = basicPassword(header.slice("Basic ".length));
    } else {
      return jsonResponse(401, { text: "Invalid authorization", code: 3 });
    }
    if (token !== this.#token) {
      return jsonResponse(403, { text: "Invalid token", code: 4 });
    }
    return undefined;
  }

  #parseBatch(text: string): Array<Record<string, unknown>> | Response {
    const envelopes: Array<Record<string, unknown>> = [];
    let at = skipWhitespace(text, 0);
    if (at === text.length) {
      return jsonResponse(400, { text: "No data", code: 5 });
    }
    while (at < text.length) {
      const n = envelopes.length;
      if (text[at] !== "{") return reject(6, n);
      const end = jsonValueEnd(text, at);
      if (end < 0) return reject(6, n);
      const envelope = this.#parseEnvelope(text.slice(at, end), n);
      if (envelope instanceof Response) return envelope;
      envelopes.push(envelope);
      at = skipWhitespace(text, end);
    }
    return envelopes;
  }

  #parseEnvelope(raw: string, n: number): Record<string, unknown> | Response {
    if (utf8Length(raw) > this.#maxEventBytes) return reject(6, n);
    let envelope: Record<string, unknown>;
    try {
      envelope = parseJsonText(raw) as Record<string, unknown>;
    } catch {
      return reject(6, n);
    }
    if (Object.keys(envelope).some((key) => !ENVELOPE_KEYS.has(key))) {
      return reject(6, n);
    }
    if (!Object.hasOwn(envelope, "event")) return reject(12, n);
    const { event } = envelope;
    if (event === "" || event === null || isEmptyObject(event)) {
      return reject(13, n);
    }
    if (
      typeof event !== "string" && typeof event !== "number" && !isObject(event)
    ) {
      return reject(6, n);
    }
    if (
      Object.hasOwn(envelope, "time") && !isEpochSeconds(envelope.time, raw)
    ) {
      return reject(15, n);
    }
    for (const key of STRING_KEYS) {
      if (Object.hasOwn(envelope, key) && typeof envelope[key] !== "string") {
        return reject(6, n);
      }
    }
    const { index } = envelope;
    if (typeof index === "string" && !this.#indexes.has(index)) {
      return reject(7, n);
    }
    if (Object.hasOwn(envelope, "fields") && !isFlatFields(envelope.fields)) {
      return reject(15, n);
    }
    return envelope;
  }
}

/** Starts a fake HEC on 127.0.0.1 (free port) that accepts only `options.token`. */
export function startFakeSplunk(options: FakeSplunkOptions): FakeSplunk {
  return new FakeSplunk(options);
}

function reject(code: number, eventNumber?: number): Response {
  const body: Record<string, unknown> = { text: CODE_TEXT[code], code };
  if (eventNumber !== undefined) body["invalid-event-number"] = eventNumber;
  return jsonResponse(400, body);
}

function basicPassword(encoded: string): string {
  try {
    const decoded = atob(encoded);
    const colon = decoded.indexOf(":");
    return colon < 0 ? "" : decoded.slice(colon + 1);
  } catch {
    return "";
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isEmptyObject(value: unknown): boolean {
  return isObject(value) && Object.keys(value).length === 0;
}

/** `time`: epoch seconds as a plain number (no exponent) or a numeric string. */
function isEpochSeconds(time: unknown, raw: string): boolean {
  let seconds: number;
  if (typeof time === "number") {
    const span = memberSpan(raw, "time");
    const text = span === undefined ? "" : raw.slice(span.start, span.end);
    if (/[eE]/.test(text)) return false;
    seconds = time;
  } else if (typeof time === "string" && /^\d+(\.\d+)?$/.test(time)) {
    seconds = Number(time);
  } else {
    return false;
  }
  // Epoch seconds from 1970 to the end of year 9999; more is milliseconds
  // mistaken for seconds.
  return Number.isFinite(seconds) && seconds >= 0 && seconds < 253402300800;
}

function isFlatFields(fields: unknown): boolean {
  if (!isObject(fields)) return false;
  return Object.values(fields).every((value) =>
    typeof value === "string" ||
    (Array.isArray(value) && value.every((item) => typeof item === "string"))
  );
}
