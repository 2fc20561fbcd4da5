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
import { utf8ByteLength } from "./byte_length.ts";
import { Exporter } from "./exporter.ts";
import { SIEMPlatform } from "./platform.ts";
import {
  excerpt,
  isTransientStatus,
  requestedDelayMs,
  type ResponseVerdict,
} from "./verdict.ts";

/** Datadog truncates logs above 1 MB (https://docs.datadoghq.com/api/latest/logs/#send-logs). */
export const DATADOG_MAX_LOG_BYTES = 1_000_000;

/**
 * Sends batches to `{endpoint}/api/v2/logs`. Each log carries `ddsource`
 * (the event's `source`), `ddtags` (the configured tags and
 * `event_type:<type>`), `hostname` (if configured), `service`, a one-line
 * `message` (type, actor, action, tool and outcome), `status` (the event's
 * severity, a Datadog level name), `timestamp`, and the whole SIEM event
 * under `audit`. Nesting keeps the event's own `status` and `source` apart
 * from Datadog's reserved attributes of those names
 * (https://docs.datadoghq.com/standard-attributes/): search it as
 * `@audit.actor`, `@audit.status` and so on.
 *
 * @example
 * ```ts
 * import { DatadogExporter, parseSIEMConfig } from "@harombe/siem";
 *
 * const exporter = new DatadogExporter(parseSIEMConfig({
 *   platform: "datadog",
 *   endpoint: "https://http-intake.logs.datadoghq.eu",
 *   token: "dd-api-key",
 *   tags: ["env:prod"],
 * }));
 * console.log(exporter.url); // "https://http-intake.logs.datadoghq.eu/api/v2/logs"
 * ```
 */
export class DatadogExporter extends Exporter {
  /** Always `"datadog"`. */
  readonly platform: "datadog" = SIEMPlatform.Datadog;
  #tagPrefix?: string;
  #hostAndService?: string;

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
   * Writes one log object.
   *
   * @param event The event.
   * @returns The log's JSON.
   */
  formatEvent(event: SIEMEvent): string {
    this.#tagPrefix ??= this.config.tags.map((tag) => tag + ",").join("");
    this.#hostAndService ??=
      (this.config.host === undefined
        ? ""
        : `,"hostname":${JSON.stringify(this.config.host)}`) +
      `,"service":${JSON.stringify(this.config.service)},"message":`;
    // Tags are validated to hold no quote, backslash or control character,
    // and event types are fixed words, so the tag string needs no escaping.
    return '{"ddsource":' + JSON.stringify(event.source) + ',"ddtags":"' +
      this.#tagPrefix + "event_type:" + event.event_type + '"' +
      this.#hostAndService + JSON.stringify(messageOf(event)) +
      ',"status":"' + event.severity + '","timestamp":' +
      JSON.stringify(event.timestamp) + ',"audit":' + JSON.stringify(event) +
      "}";
  }

  /**
   * Writes the logs as one JSON array.
   *
   * @param formatted The logs.
   * @returns The body.
   */
  frame(formatted: readonly string[]): string {
    return `[${formatted.join(",")}]`;
  }

  /**
   * Refuses a log above Datadog's 1 MB, which Datadog would truncate.
   *
   * @param formatted The log's JSON.
   * @returns The reason, or `undefined`.
   */
  override refuseEvent(formatted: string): string | undefined {
    if (formatted.length * 3 <= DATADOG_MAX_LOG_BYTES) return undefined;
    const bytes = utf8ByteLength(formatted);
    return bytes > DATADOG_MAX_LOG_BYTES
      ? `log is ${bytes} bytes, above Datadog's ${DATADOG_MAX_LOG_BYTES}-byte limit per log (Datadog would truncate it)`
      : undefined;
  }

  /**
   * Reads Datadog's answer: 2xx is delivered; 408, 429, 5xx and 401/403
   * (wrong or revoked key) are retried, honouring `Retry-After` or
   * `X-RateLimit-Reset`; 413 and other 4xx split the batch.
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
    if (status >= 200 && status < 300) return { kind: "delivered" };
    const reason = `HTTP ${status}: ${describeErrors(body)}`;
    if (status === 413) return { kind: "split", reason, status };
    if (isTransientStatus(status) || status === 401 || status === 403) {
      return {
        kind: "retry",
        reason,
        status,
        retryAfterMs: requestedDelayMs(headers, nowMs),
      };
    }
    return { kind: "split", reason, status };
  }
}

function messageOf(event: SIEMEvent): string {
  const tool = event.tool_name === undefined ? "" : " " + event.tool_name;
  return event.event_type + ": " + event.actor + " " + event.action + tool +
    " -> " + event.status;
}

function describeErrors(body: string): string {
  try {
    const errors = JSON.parse(body)?.errors;
    if (Array.isArray(errors) && errors.length > 0) {
      return excerpt(
        errors.map((e) =>
          typeof e === "string"
            ? e
            : [e?.title, e?.detail].filter(Boolean).join(": ")
        ).join("; "),
      );
    }
  } catch {
    // Not JSON: quote the text.
  }
  return excerpt(body) || "(empty body)";
}
