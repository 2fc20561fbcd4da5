/**
 * A strict fake Datadog Logs intake, `POST /api/v2/logs` (wire-specs §3).
 *
 * @module
 */
import { parseJsonText } from "../../src/events/json_text.ts";

import {
  FakeReceiver,
  jsonResponse,
  reasonPhrase,
  type RecordedRequest,
} from "./fake_receiver.ts";
import { isIsoTimestamp, utf8Length } from "./_wire.ts";

/** Options of {@linkcode startFakeDatadog}. */
export interface FakeDatadogOptions {
  /** The only `DD-API-KEY` accepted. */
  apiKey: string;
  /** Largest decoded body in bytes. Default 5_000_000. */
  maxPayloadBytes?: number;
  /** Most entries per request. Default 1000. */
  maxEntries?: number;
  /** Entries whose JSON is larger are accepted but marked `truncated: true`. Default 1_000_000. */
  maxEntryBytes?: number;
}

const LOGS_PATH = "/api/v2/logs";
// Served by the API host (api.<site>), not the intake; this fake is both.
const VALIDATE_PATH = "/api/v1/validate";
const STRING_ATTRIBUTES = [
  "ddsource",
  "ddtags",
  "hostname",
  "service",
  "status",
] as const;
const TAGS = /^[^\s,]+(?:,[^\s,]+)*$/;
const UTF8 = new TextDecoder("utf-8", { fatal: true });
const TOO_LARGE = "Payload too large: batch above 5MB uncompressed";
const FAULT_DETAILS: Record<number, string> = {
  401: "API key is missing",
  403: "API key is invalid",
  413: TOO_LARGE,
};

/** A running fake Datadog intake; accepted entries are in `logs`. */
export class FakeDatadog extends FakeReceiver {
  /** Accepted log entries, in order; truncated ones carry `truncated: true`. */
  readonly logs: Array<Record<string, unknown>> = [];
  readonly #apiKey: string;
  readonly #maxPayloadBytes: number;
  readonly #maxEntries: number;
  readonly #maxEntryBytes: number;
  #truncated = 0;

  /** Starts the fake; prefer {@linkcode startFakeDatadog}. */
  constructor(options: FakeDatadogOptions) {
    super(["gzip", "deflate"]);
    this.#apiKey = options.apiKey;
    this.#maxPayloadBytes = options.maxPayloadBytes ?? 5_000_000;
    this.#maxEntries = options.maxEntries ?? 1000;
    this.#maxEntryBytes = options.maxEntryBytes ?? 1_000_000;
  }

  /** How many accepted entries exceeded `maxEntryBytes` (Datadog truncates them silently). */
  get truncatedLogs(): number {
    return this.#truncated;
  }

  /** The intake's answer: route, API key, content type, size, then every entry. */
  protected handle(
    request: RecordedRequest,
    encodingError: string | null,
  ): Response {
    if (request.method === "GET" && request.path === VALIDATE_PATH) {
      return validateKey(request.headers.get("dd-api-key") === this.#apiKey);
    }
    if (request.method !== "POST" || request.path !== LOGS_PATH) {
      return errors(404);
    }
    const key = request.headers.get("dd-api-key");
    if (key === null) return errors(401, "API key is missing");
    if (key !== this.#apiKey) return errors(403, "API key is invalid");
    if (!isJsonContentType(request.headers.get("content-type"))) {
      return errors(415, "Content-Type must be application/json");
    }
    if (encodingError !== null) {
      return errors(
        400,
        `Unsupported or corrupt Content-Encoding: ${encodingError}`,
      );
    }
    if (request.body.byteLength > this.#maxPayloadBytes) {
      return errors(413, TOO_LARGE);
    }
    let entries: unknown;
    try {
      entries = parseJsonText(UTF8.decode(request.body));
    } catch {
      return errors(400, "Malformed JSON body");
    }
    if (!Array.isArray(entries)) {
      return errors(400, "Body must be a JSON array of log entries");
    }
    if (entries.length === 0) {
      return errors(400, "Body must contain at least one log entry");
    }
    if (entries.length > this.#maxEntries) {
      return errors(
        400,
        `Too many log entries: ${entries.length} > ${this.#maxEntries}`,
      );
    }
    for (const [i, entry] of entries.entries()) {
      const problem = checkEntry(entry);
      if (problem !== undefined) {
        return errors(400, `Log entry ${i}: ${problem}`);
      }
    }
    for (const entry of entries as Array<Record<string, unknown>>) {
      if (utf8Length(JSON.stringify(entry)) > this.#maxEntryBytes) {
        this.#truncated++;
        this.logs.push({ ...entry, truncated: true });
      } else {
        this.logs.push(entry);
      }
    }
    return jsonResponse(202, {});
  }

  /** Datadog's `{"errors":[...]}` body for an injected status (2xx: `{}`). */
  protected faultResponse(status: number): Response {
    if (status < 300) return jsonResponse(status, {});
    return errors(status, FAULT_DETAILS[status]);
  }
}

/** Starts a fake Datadog intake on 127.0.0.1 (free port) that accepts only `options.apiKey`. */
export function startFakeDatadog(options: FakeDatadogOptions): FakeDatadog {
  return new FakeDatadog(options);
}

function errors(status: number, detail?: string): Response {
  const error: Record<string, string> = {
    status: String(status),
    title: reasonPhrase(status),
  };
  if (detail !== undefined) error.detail = detail;
  return jsonResponse(status, { errors: [error] });
}

/**
 * `GET /api/v1/validate`: 200 `{"valid":true}`, or 403 with `errors` as a
 * list of strings for a key that is missing or not valid on this site
 * (https://docs.datadoghq.com/api/latest/authentication/validate-api-key/).
 */
function validateKey(valid: boolean): Response {
  return valid
    ? jsonResponse(200, { valid: true })
    : jsonResponse(403, { errors: ["Forbidden"] });
}

function isJsonContentType(header: string | null): boolean {
  if (header === null) return false;
  const [type = "", ...params] = header.split(";").map((part) =>
    part.trim().toLowerCase()
  );
  return type === "application/json" &&
    params.every((param) => param === "charset=utf-8");
}

/** What is wrong with one entry, or undefined. */
function checkEntry(entry: unknown): string | undefined {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    return "must be a JSON object";
  }
  const log = entry as Record<string, unknown>;
  if (typeof log.message !== "string") return "message must be a string";
  for (const key of STRING_ATTRIBUTES) {
    if (Object.hasOwn(log, key) && typeof log[key] !== "string") {
      return `${key} must be a string`;
    }
  }
  if (
    typeof log.ddtags === "string" && log.ddtags !== "" &&
    !TAGS.test(log.ddtags)
  ) {
    return "ddtags must be comma-separated tags without spaces";
  }
  if (Object.hasOwn(log, "timestamp")) return checkTimestamp(log.timestamp);
  return undefined;
}

/** An ISO 8601 string or integer epoch milliseconds. */
function checkTimestamp(timestamp: unknown): string | undefined {
  if (typeof timestamp === "string") {
    return isIsoTimestamp(timestamp) ? undefined : "timestamp is not ISO 8601";
  }
  if (typeof timestamp !== "number" || !Number.isInteger(timestamp)) {
    return "timestamp must be an ISO 8601 string or integer epoch milliseconds";
  }
  if (timestamp < 1e11) {
    return "timestamp looks like epoch seconds, not milliseconds";
  }
  if (timestamp >= 1e14) {
    return "timestamp looks like epoch micro- or nanoseconds, not milliseconds";
  }
  return undefined;
}
