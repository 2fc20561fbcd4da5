/**
 * The Datadog Logs API v2 exporter.
 *
 * Wire contract (Datadog API docs, "Send logs",
 * https://docs.datadoghq.com/api/latest/logs/#send-logs): `POST /api/v2/logs`
 * with a JSON array of logs; at most 5 MB uncompressed per payload, 1 MB per
 * log ("accepted and truncated" above that) and 1000 entries per array;
 * 202 on success; 408, 429, 500 and 503 "should be retried"; 413 means the
 * batch is above 5 MB. The key goes in the `DD-API-KEY` header (as the
 * official client sends it). `status` takes the status remapper's level
 * names (https://docs.datadoghq.com/logs/log_configuration/processors/log_status_remapper/)
 * and `timestamp` an ISO 8601 date
 * (https://docs.datadoghq.com/logs/log_configuration/processors/log_date_remapper/).
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { type BodyWriter, utf8 } from "./body_writer.ts";
import { Exporter } from "./exporter.ts";
import { SIEMPlatform } from "./platform.ts";
import {
  excerpt,
  foreignAnswerHint,
  isTransientStatus,
  jsonSuccessVerdict,
  looksLikeJsonObject,
  requestedDelayMs,
  type ResponseVerdict,
  setupRetry,
  wrongPathHint,
} from "./verdict.ts";

/** Datadog truncates logs above 1 MB (https://docs.datadoghq.com/api/latest/logs/#send-logs). */
export const DATADOG_MAX_LOG_BYTES = 1_000_000;

/**
 * How far ahead Datadog takes a log's date, 2 h less a 5-minute margin for
 * clock skew: "18 h in the past to 2 h in the future"
 * (https://docs.datadoghq.com/logs/log_configuration/processors/log_date_remapper/,
 * wire-specs §3.3); a later log is accepted with 202 and lost.
 */
export const DATADOG_MAX_EVENT_LEAD_MS = 2 * 3_600_000 - 5 * 60_000;

const DDSOURCE_KEY = utf8('{"ddsource":');
const AUDIT_KEY = utf8(',"audit":');
const PRODUCER_KEY = utf8(',"producer":');
const OCSF_KEY = utf8(',"ocsf":');
const COLON_SPACE = utf8(": ");
const ARROW = utf8(" -> ");
const SPACE = 0x20;
const QUOTE = 0x22;
const STATUS_TO_TIMESTAMP: Record<string, Uint8Array> = {
  info: utf8(',"status":"info","timestamp":'),
  warning: utf8(',"status":"warning","timestamp":'),
  error: utf8(',"status":"error","timestamp":'),
};
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Sends batches to `{endpoint}/api/v2/logs`. Each log carries `ddsource`
 * (the event's `source`), `ddtags` (the configured tags and
 * `event_type:<type>`), `hostname` (if configured), `service`, a one-line
 * `message` (type, actor, action, tool and outcome), `status` (the event's
 * severity, a Datadog level name), `timestamp`, for an event of a named
 * producer its stamp `producer` (also the tag `producer:<name>`), and the
 * whole SIEM event under `audit`. Nesting keeps the event's own `status` and `source` apart
 * from Datadog's reserved attributes of those names
 * (https://docs.datadoghq.com/standard-attributes/): search it as
 * `@audit.actor`, `@audit.status` and so on. With `schema: "datadog"` the
 * standard attributes (`usr`, `evt`, `duration`, `error`) sit at the top
 * and the rest under `audit`; with `schema: "ocsf"` the OCSF event is under
 * `ocsf`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSIEMConfig } from "@harombe/siem";
 * import { DatadogExporter } from "@harombe/siem/exporters";
 *
 * const exporter = new DatadogExporter(parseSIEMConfig({
 *   platform: "datadog",
 *   endpoint: "https://http-intake.logs.datadoghq.eu",
 *   token: "dd-api-key",
 *   tags: ["env:prod"],
 * }));
 * assert.equal(exporter.url, "https://http-intake.logs.datadoghq.eu/api/v2/logs");
 * ```
 */
export class DatadogExporter extends Exporter {
  /** Always `"datadog"`. */
  readonly platform: "datadog" = SIEMPlatform.Datadog;
  #tagsByType = new Map<string, Uint8Array>();

  /** `{endpoint}/api/v2/logs`. */
  get url(): string {
    return `${this.config.endpoint}/api/v2/logs`;
  }

  /** `DD-API-KEY: <token>` and `Content-Type: application/json`. */
  get headers(): Record<string, string> {
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
    };
    if (this.config.token) headers["DD-API-KEY"] = this.config.token;
    return headers;
  }

  /**
   * Writes one log object, preceded by a comma when it is not the first.
   *
   * @param writer Where the body is written.
   * @param event The event.
   * @param index The event's position in the batch.
   * @param json The event's JSON, if already serialized.
   */
  writeEvent(
    writer: BodyWriter,
    event: SIEMEvent,
    index: number,
    json?: string,
  ): void {
    if (index > 0) writer.writeByte(COMMA);
    writer.writeBytes(DDSOURCE_KEY);
    writer.writeJsonString(event.source);
    writer.writeBytes(this.#tagsToMessage(event.event_type, event.producer));
    writeMessage(writer, event);
    writer.writeBytes(STATUS_TO_TIMESTAMP[event.severity] ?? unknownLevel());
    writer.writeJsonString(event.timestamp);
    if (event.producer !== undefined) {
      // The stamp as a top-level attribute beside `audit`, written by the
      // forwarder after the reserved ones: no document the producer shapes
      // reaches the top level except the `datadog` schema's standard
      // attributes, which hold no `producer`.
      writer.writeBytes(PRODUCER_KEY);
      writer.writeJsonString(event.producer);
    }
    const document = this.documentJson(event, json);
    switch (this.config.schema) {
      case "datadog":
        // The standard attributes sit at the log's top level, beside the
        // reserved ones: the document's own brace closes the log.
        writer.writeByte(COMMA);
        writer.writeString(document.slice(1));
        return;
      case "ocsf":
        // OCSF's own `status`, `message` and `time` would meet Datadog's
        // reserved attributes: the event stays whole under `ocsf`
        // (searchable as `@ocsf.*`).
        writer.writeBytes(OCSF_KEY);
        break;
      default:
        writer.writeBytes(AUDIT_KEY);
    }
    writer.writeString(document);
    writer.writeByte(CLOSE_BRACE);
  }

  // From `ddtags` to the `message` key: the same for every event of one
  // type, so it is encoded once per type.
  #tagsToMessage(eventType: string, producer?: string): Uint8Array {
    const key = producer === undefined
      ? eventType
      : `${eventType}\n${producer}`;
    let bytes = this.#tagsByType.get(key);
    if (bytes === undefined) {
      const tags = [...this.config.tags, `event_type:${eventType}`];
      // Also a tag, for facets and log pipelines that read tags only.
      if (producer !== undefined) tags.push(`producer:${producer}`);
      const host = this.config.host === undefined
        ? ""
        : `,"hostname":${JSON.stringify(this.config.host)}`;
      bytes = utf8(
        `,"ddtags":${JSON.stringify(tags.join(","))}${host},"service":${
          JSON.stringify(this.config.service)
        },"message":`,
      );
      this.#tagsByType.set(key, bytes);
    }
    return bytes;
  }

  /** {@linkcode DATADOG_MAX_EVENT_LEAD_MS}: Datadog loses logs dated more than 2 h ahead. */
  override get maxEventLeadMs(): number {
    return DATADOG_MAX_EVENT_LEAD_MS;
  }

  /** One: the comma between logs. */
  override get separatorBytes(): number {
    return 1;
  }

  /**
   * Opens the JSON array.
   *
   * @param writer Where the body is written.
   */
  override openBatch(writer: BodyWriter): void {
    writer.writeByte(OPEN_BRACKET);
  }

  /**
   * Closes the JSON array.
   *
   * @param writer Where the body is written.
   */
  override closeBatch(writer: BodyWriter): void {
    writer.writeByte(CLOSE_BRACKET);
  }

  /**
   * Refuses a log above Datadog's 1 MB, which Datadog would truncate.
   *
   * @param bytes The log's size.
   * @returns The reason, or `undefined`.
   */
  override refuseEventBytes(bytes: number): string | undefined {
    return bytes > DATADOG_MAX_LOG_BYTES
      ? `log is ${bytes} bytes, above Datadog's ${DATADOG_MAX_LOG_BYTES}-byte limit per log (Datadog would truncate it)`
      : undefined;
  }

  /**
   * Reads Datadog's answer: 2xx with JSON (or nothing) is delivered; 408, 429 and 5xx are retried,
   * honouring `Retry-After` or `X-RateLimit-Reset`; 413, and 400 with
   * Datadog's own `{"errors":[...]}` body (a payload-format problem,
   * wire-specs §3.5), split the batch. Setup errors are retried with a hint
   * of what to check: 401/403 (a wrong or revoked key), 404/405 (a wrong
   * path), an answer that is not Datadog's (an HTML page from a proxy), any
   * other 4xx.
   *
   * @param status The HTTP status.
   * @param headers The answer's headers.
   * @param body The answer's body.
   * @param _batchSize How many logs the batch had.
   * @param nowMs The current time.
   * @returns The verdict.
   */
  classify(
    status: number,
    headers: Headers,
    body: string,
    _batchSize: number,
    nowMs: number,
  ): ResponseVerdict {
    const json = looksLikeJsonObject(headers, body);
    // The intake answers 202 `{}` (wire-specs §3.5).
    if (status >= 200 && status < 300) {
      return jsonSuccessVerdict("Datadog", status, headers, body);
    }
    const errors = json ? describeErrors(body) : undefined;
    const reason = `HTTP ${status}: ${
      errors ?? (excerpt(body) || "(empty body)")
    }`;
    if (status === 413) return { kind: "split", reason, status };
    const retryAfterMs = requestedDelayMs(headers, nowMs);
    const setup = setupRetry(reason, status, retryAfterMs);
    if (status === 404 || status === 405) {
      return setup(wrongPathHint("Datadog", "/api/v2/logs"));
    }
    if (isTransientStatus(status)) {
      return { kind: "retry", reason, status, retryAfterMs };
    }
    if (errors === undefined) {
      return setup(foreignAnswerHint("Datadog", status, headers));
    }
    if (status === 401 || status === 403) {
      return setup(
        "check the API key (DD-API-KEY) and that the endpoint is its Datadog site",
      );
    }
    if (status === 400) return { kind: "split", reason, status };
    return setup("check the endpoint and the request headers");
  }
}

function unknownLevel(): never {
  throw new TypeError(
    "Cannot write log: severity must be info, warning or error",
  );
}

// The message, "<type>: <actor> <action>[ <tool>] -> <status>", written
// piece by piece into one JSON string.
function writeMessage(writer: BodyWriter, event: SIEMEvent): void {
  writer.writeByte(QUOTE);
  writer.writeJsonContent(event.event_type);
  writer.writeBytes(COLON_SPACE);
  writer.writeJsonContent(event.actor);
  writer.writeByte(SPACE);
  writer.writeJsonContent(event.action);
  if (event.tool_name !== undefined) {
    writer.writeByte(SPACE);
    writer.writeJsonContent(event.tool_name);
  }
  writer.writeBytes(ARROW);
  writer.writeJsonContent(event.status);
  writer.writeByte(QUOTE);
}

/**
 * Datadog's `{"errors":[...]}` body (`HTTPLogErrors`, wire-specs §3.5) as
 * text, or `undefined` for another body.
 */
function describeErrors(body: string): string | undefined {
  try {
    const errors = JSON.parse(body)?.errors;
    if (Array.isArray(errors)) {
      // Blank entries are left out: "HTTP 400: ; ;" says nothing.
      return excerpt(
        errors.map((e) =>
          typeof e === "string"
            ? e.trim()
            : [e?.title, e?.detail].filter((part) =>
              typeof part === "string" && part.trim() !== ""
            ).join(": ")
        ).filter(Boolean).join("; "),
      ) || "(no error given)";
    }
  } catch {
    // Not JSON: not Datadog's answer.
  }
  return undefined;
}
