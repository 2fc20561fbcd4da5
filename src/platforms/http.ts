/**
 * The generic HTTP exporter (`platform: "http"`): each SIEM event as its
 * JSON, in a JSON array or as NDJSON, posted to a URL with the configured
 * headers, for webhooks, Cribl, Logstash and Vector HTTP inputs, SOAR tools
 * and Sumo Logic HTTP Sources (the `sumo_logic` preset).
 *
 * There is no contract beyond HTTP's own (next-destinations §6.1), so the
 * answers are read by their status: any 2xx is delivered, unless its body
 * is an HTML page (a proxy's or a captive portal's, which says nothing of
 * the events); 408, 429 and 5xx are retried with `Retry-After` honoured
 * (RFC 9110 §10.2.3; Sumo Logic answers 429 when throttled and 503/504 on
 * its side, https://help.sumologic.com/docs/send-data/hosted-collectors/http-source/troubleshooting/);
 * 413 splits the batch; 401 and 403 are setup errors (the backlog is kept);
 * 404 and 405 are setup errors too (a wrong URL); any other 4xx
 * dead-letters the batch with the receiver's reason.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import type { BodyWriter } from "./body_writer.ts";
import { Exporter } from "./exporter.ts";
import { SUMO_MAX_REQUEST_BYTES } from "./http_config.ts";
import { SIEMPlatform } from "./platform.ts";
import {
  type EventFailure,
  excerpt,
  isTransientStatus,
  requestedDelayMs,
  type ResponseVerdict,
  setupRetry,
} from "./verdict.ts";

const COMMA = 0x2c;
const NEWLINE = 0x0a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Sends batches to the configured URL. A JSON array body is
 * `[<event>,<event>]`; an NDJSON body is `<event>\n<event>\n` (every line
 * ends with a newline). Each event is the SIEM event's JSON, as
 * `JSON.stringify` writes it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSIEMConfig } from "@harombe/siem";
 * import { HttpExporter } from "@harombe/siem/exporters";
 *
 * const exporter = new HttpExporter(parseSIEMConfig({
 *   platform: "http",
 *   endpoint: "https://hooks.example.com/siem?team=sec",
 *   http: { framing: "ndjson", headers: { "X-API-Key": "k-0123456789" } },
 * }));
 * assert.equal(exporter.url, "https://hooks.example.com/siem?team=sec");
 * assert.equal(exporter.headers["Content-Type"], "application/x-ndjson");
 * ```
 */
export class HttpExporter extends Exporter {
  /** Always `"http"`. */
  readonly platform: "http" = SIEMPlatform.Http;

  /** The configured URL, whole (query included). */
  get url(): string {
    return this.config.endpoint;
  }

  /**
   * `Content-Type` (`application/json` for a JSON array,
   * `application/x-ndjson` for NDJSON), `Authorization: Bearer <token>` when
   * a token is set, the configured headers, and the Sumo Logic metadata
   * headers: credentials included, never log these.
   */
  get headers(): Record<string, string> {
    const http = this.#options;
    const headers: Record<string, string> = {
      "Content-Type": http.framing === "ndjson"
        ? "application/x-ndjson"
        : "application/json",
    };
    if (this.config.token) {
      headers["Authorization"] = `Bearer ${this.config.token}`;
    }
    Object.assign(headers, http.headers);
    // https://help.sumologic.com/docs/send-data/hosted-collectors/http-source/logs-metrics/upload-logs/
    if (http.sumoCategory) headers["X-Sumo-Category"] = http.sumoCategory;
    if (http.sumoName) headers["X-Sumo-Name"] = http.sumoName;
    if (http.sumoHost) headers["X-Sumo-Host"] = http.sumoHost;
    return headers;
  }

  get #options(): NonNullable<typeof this.config.http> {
    return this.config.http ?? {
      framing: "json_array",
      headers: {},
      secretHeaders: [],
      secretUrl: false,
    };
  }

  /**
   * Writes one event's JSON, preceded by a comma (JSON array) or a newline
   * (NDJSON) when it is not the first.
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
    json: string = JSON.stringify(event),
  ): void {
    if (index > 0) {
      writer.writeByte(this.#options.framing === "ndjson" ? NEWLINE : COMMA);
    }
    writer.writeString(this.documentJson(event, json));
  }

  /** One: the comma or newline between events. */
  override get separatorBytes(): number {
    return 1;
  }

  /**
   * Opens the JSON array (nothing for NDJSON).
   *
   * @param writer Where the body is written.
   */
  override openBatch(writer: BodyWriter): void {
    if (this.#options.framing === "json_array") writer.writeByte(OPEN_BRACKET);
  }

  /**
   * Closes the JSON array, or ends the last NDJSON line.
   *
   * @param writer Where the body is written.
   */
  override closeBatch(writer: BodyWriter): void {
    writer.writeByte(
      this.#options.framing === "json_array" ? CLOSE_BRACKET : NEWLINE,
    );
  }

  /**
   * Refuses an event that cannot fit in a body of `maxBatchBytes` with its
   * framing: the receiver's limit (Sumo Logic's 1 MB) would refuse it.
   *
   * @param bytes The event's size.
   * @returns The reason, or `undefined`.
   */
  override refuseEventBytes(bytes: number): string | undefined {
    // The framing around a lone event: `[` `]`, or the final newline.
    const framing = this.#options.framing === "json_array" ? 2 : 1;
    const limit = this.config.maxBatchBytes;
    if (bytes + framing <= limit) return undefined;
    const sumo = this.#options.preset === "sumo_logic" &&
      limit === SUMO_MAX_REQUEST_BYTES;
    return `event is ${bytes} bytes, above the ${limit}-byte request limit (maxBatchBytes${
      sumo ? ", Sumo Logic's limit per request" : ""
    })`;
  }

  /**
   * Reads the receiver's answer by its status (see the module's notes).
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
    const page = isHtmlPage(headers, body);
    const receiver = this.#options.preset === "sumo_logic"
      ? "Sumo Logic"
      : "the receiver";
    if (status >= 200 && status < 300 && !page) return { kind: "delivered" };
    const reason = `HTTP ${status}: ${excerpt(body) || "(empty body)"}`;
    const retryAfterMs = requestedDelayMs(headers, nowMs);
    const setup = setupRetry(reason, status, retryAfterMs);
    if (page && !isTransientStatus(status)) {
      // An HTML page is a proxy's, a load balancer's or a login portal's:
      // it says nothing of the events, which are kept.
      const type = headers.get("content-type") ?? "no content type";
      return setup(
        `the answer (HTTP ${status}, ${type}) is an HTML page, not ${receiver}'s: check the URL, and any proxy or load balancer in front of ${receiver}`,
      );
    }
    if (status === 413) return { kind: "split", reason, status };
    if (isTransientStatus(status)) {
      return { kind: "retry", reason, status, retryAfterMs };
    }
    if (status === 401 || status === 403) {
      return setup(
        this.#options.preset === "sumo_logic"
          ? "check the HTTP Source URL (Sumo Logic answers 401 for a missing or invalid URL token; a regenerated URL invalidates the old one)"
          : "check the credential (token, or the secret headers) and the receiver's authentication settings",
      );
    }
    if (status === 404 || status === 405) {
      return setup(
        `${receiver} does not take POSTs at this URL: check the URL and any proxy path`,
      );
    }
    if (status >= 400 && status < 500) {
      // The receiver refused the batch for its content: it will refuse it
      // again, so the events are dead-lettered with its reason.
      const rejected: EventFailure[] = [];
      for (let index = 0; index < batchSize; index++) {
        rejected.push({ index, reason, status });
      }
      return { kind: "partial", retry: [], rejected, backoff: false };
    }
    // 1xx and 3xx (redirects are stopped before this) or an unknown code.
    return setup(
      `${receiver} answered HTTP ${status}: check the URL and the receiver`,
    );
  }
}

/**
 * Whether an answer is an HTML page: a body that opens like a document, or
 * HTML markup under an HTML content type. The content type alone is not
 * enough: web frameworks label a plain `ok` or an empty answer `text/html`
 * (Flask, Express's `res.send("")`), and such a receiver did take the batch.
 */
function isHtmlPage(headers: Headers, body: string): boolean {
  if (/^\s*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i.test(body)) {
    return true;
  }
  const type = headers.get("content-type")?.split(";")[0]?.trim()
    .toLowerCase();
  return (type === "text/html" || type === "application/xhtml+xml") &&
    /<(?:html|head|body|title|h1|center|div|p)[\s>]/i.test(body);
}
