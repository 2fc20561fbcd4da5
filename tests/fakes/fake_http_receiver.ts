/**
 * A strict fake generic HTTP receiver (a webhook, a Vector or Logstash
 * HTTP input) and, with `sumo`, a fake Sumo Logic HTTP Source
 * (`POST /receiver/v1/http/<code>`, 200 on success, 401 for a missing or
 * invalid URL token, at most 1 MB uncompressed,
 * https://help.sumologic.com/docs/send-data/hosted-collectors/http-source/troubleshooting/).
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

/** Options of {@linkcode startFakeHttpReceiver}. */
export interface FakeHttpReceiverOptions {
  /** The only path taken, e.g. `/ingest` (with `sumo`: `/receiver/v1/http/<code>`). Default `/ingest`. */
  path?: string;
  /** The framing the body must have. Default `json_array`. */
  framing?: "json_array" | "ndjson";
  /**
   * Headers every request must carry with exactly these values (the
   * credentials among them): a missing or wrong one is answered 401.
   */
  requiredHeaders?: Record<string, string>;
  /** Largest decoded body in bytes. Default 1_000_000. */
  maxBodyBytes?: number;
  /** Most events per request. Default 10_000. */
  maxEvents?: number;
  /** The status of a success. Default 200. */
  successStatus?: number;
  /** Behave as a Sumo Logic HTTP Source: a wrong code in the path is 401, answers are plain text. */
  sumo?: boolean;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const SUMO_PREFIX = "/receiver/v1/http/";

/** A running fake receiver; accepted events are in `events`. */
export class FakeHttpReceiver extends FakeReceiver {
  /** Accepted events, in order. */
  readonly events: Array<Record<string, unknown>> = [];
  readonly #path: string;
  readonly #framing: "json_array" | "ndjson";
  readonly #required: [string, string][];
  readonly #maxBodyBytes: number;
  readonly #maxEvents: number;
  readonly #successStatus: number;
  readonly #sumo: boolean;

  /** Starts the fake; prefer {@linkcode startFakeHttpReceiver}. */
  constructor(options: FakeHttpReceiverOptions = {}) {
    super(["gzip", "deflate"]);
    this.#path = options.path ?? "/ingest";
    this.#framing = options.framing ?? "json_array";
    this.#required = Object.entries(options.requiredHeaders ?? {});
    this.#maxBodyBytes = options.maxBodyBytes ?? 1_000_000;
    this.#maxEvents = options.maxEvents ?? 10_000;
    this.#successStatus = options.successStatus ?? 200;
    this.#sumo = options.sumo ?? false;
  }

  /** The URL events are posted to. */
  get endpoint(): string {
    return `${this.url}${this.#path}`;
  }

  /** The receiver's answer: route, credentials, content type, size, framing, then every event. */
  protected handle(
    request: RecordedRequest,
    encodingError: string | null,
  ): Response {
    if (request.path !== this.#path) {
      // Sumo checks the URL token: a code it does not know is 401.
      if (this.#sumo && request.path.startsWith(SUMO_PREFIX)) {
        return this.#answer(401, "invalid URL token");
      }
      return this.#answer(404, `no route ${request.path}`);
    }
    for (const [name, value] of this.#required) {
      if (request.headers.get(name) !== value) {
        return this.#answer(401, `missing or wrong ${name}`);
      }
    }
    if (request.method === "HEAD") return emptyResponse(this.#successStatus);
    if (request.method !== "POST") {
      return this.#answer(405, `method ${request.method} not allowed`);
    }
    const type = request.headers.get("content-type")?.split(";")[0]?.trim();
    const expected = this.#framing === "ndjson"
      ? "application/x-ndjson"
      : "application/json";
    if (type !== expected) {
      return this.#answer(415, `Content-Type must be ${expected}`);
    }
    if (encodingError !== null) {
      return this.#answer(415, `unsupported Content-Encoding ${encodingError}`);
    }
    if (request.body.byteLength > this.#maxBodyBytes) {
      return this.#answer(
        413,
        `body is ${request.body.byteLength} bytes, above ${this.#maxBodyBytes}`,
      );
    }
    let text: string;
    try {
      text = UTF8.decode(request.body);
    } catch {
      return this.#answer(400, "body is not UTF-8");
    }
    const parsed = this.#framing === "ndjson"
      ? parseNdjson(text)
      : parseArray(text);
    if (typeof parsed === "string") return this.#answer(400, parsed);
    if (parsed.length > this.#maxEvents) {
      return this.#answer(
        400,
        `${parsed.length} events, above ${this.#maxEvents}`,
      );
    }
    this.events.push(...parsed);
    return this.#sumo
      ? new Response(null, { status: this.#successStatus })
      : this.#successStatus === 204
      ? emptyResponse(204)
      : jsonResponse(this.#successStatus, { accepted: parsed.length });
  }

  /** The receiver's error body for an injected status (2xx: a success). */
  protected faultResponse(status: number): Response {
    if (status < 300) return emptyResponse(status);
    return this.#answer(status, reasonPhrase(status));
  }

  #answer(status: number, message: string): Response {
    return this.#sumo
      ? new Response(message, {
        status,
        headers: { "content-type": "text/plain" },
      })
      : jsonResponse(status, { error: message });
  }
}

/** Starts a fake receiver on 127.0.0.1 (free port). */
export function startFakeHttpReceiver(
  options: FakeHttpReceiverOptions = {},
): FakeHttpReceiver {
  return new FakeHttpReceiver(options);
}

function checkEvent(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "must be a JSON object";
  }
  const event = value as Record<string, unknown>;
  if (typeof event.event_id !== "string") return "event_id must be a string";
  if (typeof event.timestamp !== "string") return "timestamp must be a string";
  return undefined;
}

function parseArray(text: string): Array<Record<string, unknown>> | string {
  let value: unknown;
  try {
    value = parseJsonText(text);
  } catch {
    return "malformed JSON body";
  }
  if (!Array.isArray(value)) return "body must be a JSON array";
  if (value.length === 0) return "body must hold at least one event";
  for (const [i, event] of value.entries()) {
    const problem = checkEvent(event);
    if (problem) return `event ${i}: ${problem}`;
  }
  return value as Array<Record<string, unknown>>;
}

// NDJSON: every line, the last included, ends with "\n"; no blank line.
function parseNdjson(text: string): Array<Record<string, unknown>> | string {
  if (text === "") return "body must hold at least one event";
  if (!text.endsWith("\n")) return "the last line must end with a newline";
  const events: Array<Record<string, unknown>> = [];
  const lines = text.slice(0, -1).split("\n");
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "") return `line ${i + 1} is blank`;
    let value: unknown;
    try {
      value = parseJsonText(line);
    } catch {
      return `line ${i + 1} is not JSON`;
    }
    const problem = checkEvent(value);
    if (problem) return `line ${i + 1}: ${problem}`;
    events.push(value as Record<string, unknown>);
  }
  return events;
}
