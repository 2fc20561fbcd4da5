/**
 * The Splunk HTTP Event Collector exporter.
 *
 * Wire contract (Splunk docs, "Format events for HTTP Event Collector",
 * https://help.splunk.com/splunk-enterprise/get-data-in/collect-http-event-data/format-events-for-http-event-collector,
 * and http://dev.splunk.com/view/event-collector/SP-CAAAE6P): a batch is
 * event objects written one after another in one request, with no array
 * and no commas; `time` is epoch seconds in the form `<sec>.<ms>`; the
 * token goes in `Authorization: Splunk <token>`. Answers carry
 * `{"text","code"}` and, for a bad event in a batch, its 0-based
 * `invalid-event-number` ("Possible error codes",
 * https://help.splunk.com/en/splunk-enterprise/get-data-in/collect-http-event-data/troubleshoot-http-event-collector).
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
  looksLikeJsonObject,
  requestedDelayMs,
  type ResponseVerdict,
  setupRetry,
  wrongPathHint,
} from "./verdict.ts";

const TIME_KEY = utf8('{"time":');
const CLOSE_BRACE = 0x7d;
const EVENT_KEY = utf8(',"event":');
const FIELDS_KEY = utf8(',"fields":{"producer":');
const FIELDS_TO_EVENT = utf8('},"event":');

/** HEC's "No data" (an empty body), a fault of the payload. */
const NO_DATA = 5;

/** HEC codes that fault one event of the batch (invalid data, missing or blank event, bad indexed fields). */
const EVENT_FAULT_CODES = new Set([6, 12, 13, 15]);

/**
 * HEC codes that come from the token or the collector's setup (token
 * missing, invalid or disabled; index not allowed; channel or ACK
 * settings). Fixing the setup must not lose the backlog, so these keep the
 * batch and back off.
 */
const SETUP_CODES = new Set([1, 2, 3, 4, 7, 10, 11, 14, 16, 21, 22]);

/**
 * Sends batches to Splunk's HTTP Event Collector at
 * `{endpoint}/services/collector/event`.
 *
 * @example The exact bytes of one event
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSIEMConfig } from "@harombe/siem";
 * import { SplunkExporter } from "@harombe/siem/exporters";
 *
 * const exporter = new SplunkExporter(parseSIEMConfig({
 *   platform: "splunk",
 *   endpoint: "https://splunk.example.com:8088",
 *   token: "hec-token",
 * }));
 * assert.equal(exporter.url, "https://splunk.example.com:8088/services/collector/event");
 * ```
 */
export class SplunkExporter extends Exporter {
  /** Always `"splunk"`. */
  readonly platform: "splunk" = SIEMPlatform.Splunk;
  #source?: string;
  #fields?: Uint8Array;

  /** `{endpoint}/services/collector/event`. */
  get url(): string {
    return `${this.config.endpoint}/services/collector/event`;
  }

  /** `Authorization: Splunk <token>` and `Content-Type: application/json`. */
  get headers(): Record<string, string> {
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
    };
    if (this.config.token) {
      headers["Authorization"] = `Splunk ${this.config.token}`;
    }
    return headers;
  }

  /**
   * Writes one HEC envelope: `time`, `host` (if configured), `source`,
   * `sourcetype`, `index`, the producer's stamp as the indexed field
   * `fields.producer` (only for an event of a named producer) and the SIEM
   * event as `event` (or its document in the destination's schema). Envelopes follow each other with nothing
   * between them.
   *
   * @param writer Where the body is written.
   * @param event The event.
   * @param _index The event's position in the batch.
   * @param json The event's JSON, if already serialized.
   */
  writeEvent(
    writer: BodyWriter,
    event: SIEMEvent,
    _index: number,
    json?: string,
  ): void {
    writer.writeBytes(TIME_KEY);
    // Milliseconds / 1000 prints as <sec>.<ms> with no exponent for any
    // date of years 0000-9999, as HEC requires.
    writer.writeString(String(Date.parse(event.timestamp) / 1000));
    writer.writeBytes(this.#envelopeFields(event.source));
    if (event.producer !== undefined) {
      // The stamp as an indexed field of the envelope, beside (not inside)
      // the event: HEC's `fields` is a flat object of string values indexed
      // at index time, on /services/collector/event only
      // (https://help.splunk.com/splunk-enterprise/get-data-in/collect-http-event-data/automate-indexed-field-extractions-with-http-event-collector).
      // Searched as `producer::<name>`; the event's own content cannot set it.
      writer.writeBytes(FIELDS_KEY);
      writer.writeJsonString(event.producer);
      writer.writeBytes(FIELDS_TO_EVENT);
    } else {
      writer.writeBytes(EVENT_KEY);
    }
    writer.writeString(this.documentJson(event, json));
    writer.writeByte(CLOSE_BRACE);
  }

  // The envelope between `time` and the event; the same for every event of
  // one source, so it is encoded once per source.
  #envelopeFields(source: string): Uint8Array {
    if (source !== this.#source || this.#fields === undefined) {
      const host = this.config.host === undefined
        ? ""
        : `,"host":${JSON.stringify(this.config.host)}`;
      this.#source = source;
      this.#fields = utf8(
        `${host},"source":${JSON.stringify(source)},"sourcetype":${
          JSON.stringify(this.config.sourcetype)
        },"index":${JSON.stringify(this.config.index)}`,
      );
    }
    return this.#fields;
  }

  /**
   * Reads HEC's answer: 200 with code 0 is delivered; a bad event named by
   * `invalid-event-number` is rejected and the rest resent (HEC indexes
   * nothing of a refused request); busy (code 9), 408, 429 and 5xx are
   * retried; 413 and payload errors that name no event (codes 5, 6, 12, 13,
   * 15) split the batch. Setup errors are retried with a hint of what to
   * check: token and collector settings (401, 403, codes 1-4, 7, 10, 11,
   * 14, 16, 21, 22), a wrong path (404, 405), an answer that is not HEC's
   * (an HTML page from a proxy), or any other code.
   *
   * @param status The HTTP status.
   * @param headers The answer's headers.
   * @param body The answer's body.
   * @param batchSize How many events the batch had.
   * @param nowMs The current time.
   * @returns The verdict.
   */
  classify(
    status: number,
    headers: Headers,
    body: string,
    batchSize: number,
    nowMs: number,
  ): ResponseVerdict {
    const answer = looksLikeJsonObject(headers, body)
      ? parseAnswer(body)
      : undefined;
    const code = answer?.code;
    if (status === 200 && code === 0) return { kind: "delivered" };
    // HEC's text may be missing or blank: the reason still says so, never
    // "HEC code 9:  (HTTP 503)".
    const reason = answer
      ? `HEC code ${code}: ${answer.text || "(no text given)"} (HTTP ${status})`
      : `HTTP ${status}: ${excerpt(body) || "(empty body)"}`;
    if (status === 413) return { kind: "split", reason, status };
    const retryAfterMs = requestedDelayMs(headers, nowMs);
    const setup = setupRetry(reason, status, retryAfterMs);
    if (status === 404 || status === 405) {
      return setup(wrongPathHint("HEC", "/services/collector/event"));
    }
    if (isTransientStatus(status)) {
      return { kind: "retry", reason, status, retryAfterMs };
    }
    if (answer === undefined || code === undefined) {
      // Not HEC's `{"text","code"}`: a proxy, a load balancer, another server.
      return setup(foreignAnswerHint("HEC", status, headers));
    }
    if (
      status === 401 || status === 403 || SETUP_CODES.has(code) || status < 300
    ) {
      return setup(
        "check the HEC token (enabled, allowed to write the configured index) and the collector's settings",
      );
    }
    const bad = answer.invalidEventNumber;
    if (EVENT_FAULT_CODES.has(code)) {
      // invalid-event-number is 0-based (wire-specs §1.8): a number outside
      // the batch names no event of it, so the batch is split instead.
      if (bad !== undefined && bad >= 0 && bad < batchSize) {
        const retry = [];
        for (let index = 0; index < batchSize; index++) {
          if (index !== bad) retry.push({ index, reason });
        }
        return {
          kind: "partial",
          rejected: [{ index: bad, reason }],
          retry,
          backoff: false,
        };
      }
      return { kind: "split", reason, status };
    }
    if (code === NO_DATA) return { kind: "split", reason, status };
    return setup(
      `HEC answered code ${code}: check HEC's troubleshooting table`,
    );
  }
}

interface HecAnswer {
  text: string;
  code: number;
  invalidEventNumber: number | undefined;
}

function parseAnswer(body: string): HecAnswer | undefined {
  try {
    const parsed = JSON.parse(body);
    if (typeof parsed !== "object" || parsed === null) return undefined;
    // HEC's answers always carry a numeric code (wire-specs §1.8).
    if (typeof parsed.code !== "number") return undefined;
    const code: number = parsed.code;
    const bad = parsed["invalid-event-number"];
    return {
      text: typeof parsed.text === "string" ? excerpt(parsed.text) : "",
      code,
      invalidEventNumber: Number.isInteger(bad) ? bad : undefined,
    };
  } catch {
    return undefined;
  }
}
