/**
 * Turning a request body into raw events: one JSON object, a JSON array, or
 * NDJSON.
 *
 * @module
 */
import { parseJsonText } from "../events/json_text.ts";
import { IngestError } from "./ingest_error.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The body formats the ingest accepts, by media type. */
export type BodyFormat = "json" | "ndjson";

/**
 * The format a `Content-Type` names, or an error for any other type.
 *
 * @param contentType The header's value.
 * @returns The format.
 * @throws {IngestError} 415 for a missing or unsupported type.
 */
export function bodyFormat(contentType: string | null): BodyFormat {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") return "json";
  if (type === "application/x-ndjson" || type === "application/ndjson") {
    return "ndjson";
  }
  throw new IngestError(
    415,
    "unsupported_media_type",
    "Content-Type must be application/json or application/x-ndjson",
  );
}

/**
 * Parses a body into raw events (not yet validated). A JSON body holds one
 * event object or an array of them; an NDJSON body holds one event per line
 * (blank lines are skipped). Error messages never quote the body. Keys are
 * read by `parseJsonText()`, never altered by Deno 2.9.6's `JSON.parse`
 * key defect (see src/events/json_text.ts).
 *
 * @param body The decoded body.
 * @param format The body's format.
 * @param maxEvents The most events accepted in one request.
 * @returns The raw events.
 * @throws {IngestError} 400 when the body is not valid UTF-8, JSON or
 * NDJSON (with the line), or holds no event; 413 over `maxEvents`.
 */
export function parseEvents(
  body: Uint8Array,
  format: BodyFormat,
  maxEvents: number,
): unknown[] {
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    throw malformed("body is not valid UTF-8");
  }
  const events = format === "json" ? parseJson(text) : parseNdjson(text);
  if (events.length === 0) throw malformed("body holds no event");
  if (events.length > maxEvents) {
    throw new IngestError(
      413,
      "too_many_events",
      `request holds ${events.length} events, more than the ${maxEvents} allowed`,
    );
  }
  return events;
}

function parseJson(text: string): unknown[] {
  let value: unknown;
  try {
    value = parseJsonText(text);
  } catch {
    throw malformed("body is not valid JSON");
  }
  if (Array.isArray(value)) return value;
  if (typeof value === "object" && value !== null) return [value];
  throw malformed("body must be an event object or an array of events");
}

function parseNdjson(text: string): unknown[] {
  const events: unknown[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    try {
      events.push(parseJsonText(line));
    } catch {
      throw new IngestError(
        400,
        "malformed_body",
        `line ${i + 1} is not valid JSON`,
        { line: i + 1 },
      );
    }
  }
  return events;
}

function malformed(message: string): IngestError {
  return new IngestError(400, "malformed_body", message);
}
