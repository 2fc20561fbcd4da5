/**
 * What every platform's exporter has in common: turning events into the
 * exact request bytes, posting them with a time limit, and reading the answer.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { mapEvent } from "../schemas/map_event.ts";
import { BodyWriter } from "./body_writer.ts";
import type { SIEMPlatform } from "./platform.ts";
import { configSecrets, type SIEMConfig } from "./siem_config.ts";
import { redactSecrets } from "./redact.ts";
import { excerpt, networkErrorText, type ResponseVerdict } from "./verdict.ts";
import { gzip, redactVerdict, setupOf } from "./exporter_post.ts";
import {
  type PostOptions,
  type PostOutcome,
  type PreparedBatch,
  RequestAbortedError,
  type SignContext,
  type UnsignedRequest,
} from "./exporter_request.ts";

export {
  type PostOptions,
  type PostOutcome,
  type PreparedBatch,
  RequestAbortedError,
  type SignContext,
  type UnsignedRequest,
} from "./exporter_request.ts";

const decoder = new TextDecoder();

/**
 * The shared part of the three exporters. A subclass says how one event is
 * written into the body and how the body is framed, where the body goes
 * with which headers, and what the platform's answers mean.
 */
export abstract class Exporter {
  /** The platform this exporter speaks to. */
  abstract readonly platform: SIEMPlatform;
  /** The destination's validated configuration. */
  readonly config: SIEMConfig;
  #scratch?: BodyWriter;
  #secrets?: readonly string[];

  /**
   * Creates the exporter. Nothing is sent and no timer starts.
   *
   * @param config The destination's validated configuration.
   */
  constructor(config: SIEMConfig) {
    this.config = config;
  }

  /** The URL batches are posted to. */
  abstract get url(): string;

  /** Every request header, credentials included: never log these. */
  abstract get headers(): Record<string, string>;

  /** Every credential of the config, redacted from whatever the platform answers. */
  get secrets(): readonly string[] {
    return this.#secrets ??= configSecrets(this.config);
  }

  /**
   * Completes a request's headers once its body is final, the last step
   * before it is sent: the default returns them as they are; a platform
   * that signs requests (AWS SigV4) signs the exact bytes here.
   *
   * @param request The method, URL, headers and exact body.
   * @param _nowMs The current time, for a signature's date.
   * @param _context The `fetch` and abort signal of the post, for a
   * platform that must fetch a credential first (an Entra token). An error
   * with a string `setup` member is reported as a setup error.
   * @returns The headers to send.
   */
  signRequest(
    request: UnsignedRequest,
    _nowMs: number,
    _context?: SignContext,
  ): Promise<Record<string, string>> {
    return Promise.resolve(request.headers);
  }

  /**
   * The JSON of the document an event is sent as: the SIEM event itself
   * (`schema: "native"`), or its mapping in the destination's schema, which
   * the platform's envelope then carries in place of the SIEM event.
   *
   * @param event The event.
   * @param json `JSON.stringify(event)`, when the caller already has it.
   * @returns The document's JSON.
   */
  protected documentJson(event: SIEMEvent, json?: string): string {
    const schema = this.config.schema ?? "native";
    if (schema === "native") return json ?? JSON.stringify(event);
    return JSON.stringify(mapEvent(schema, event));
  }

  /**
   * Writes one event as the platform's request body carries it, preceded by
   * the separator the framing needs when it is not the first.
   *
   * @param writer Where the body is written.
   * @param event The event.
   * @param index The event's position in the batch, from 0.
   * @param json `JSON.stringify(event)`, when the caller already has it
   * (an event sent to several destinations is serialized once).
   */
  abstract writeEvent(
    writer: BodyWriter,
    event: SIEMEvent,
    index: number,
    json?: string,
  ): void;

  /**
   * How many bytes {@linkcode writeEvent} writes before an event that is not
   * the first (a separator), which are not part of the event's own size.
   */
  get separatorBytes(): number {
    return 0;
  }

  /**
   * How far ahead of now an event may be dated for the platform to keep it,
   * in ms, or `undefined` when the platform sets no limit. A later event
   * meets the destination's `agedEvents` policy, like one older than
   * `maxEventAgeMs`.
   */
  get maxEventLeadMs(): number | undefined {
    return undefined;
  }

  /**
   * Writes what comes before the first event (nothing by default).
   *
   * @param _writer Where the body is written.
   */
  openBatch(_writer: BodyWriter): void {}

  /**
   * Writes what comes after the last event (nothing by default).
   *
   * @param _writer Where the body is written.
   */
  closeBatch(_writer: BodyWriter): void {}

  /**
   * Reads the platform's answer to a batch.
   *
   * @param status The HTTP status.
   * @param headers The answer's headers.
   * @param body The answer's body text.
   * @param batchSize How many events the batch had.
   * @param nowMs The current time, for `Retry-After` dates.
   * @returns What the answer means for each event.
   */
  abstract classify(
    status: number,
    headers: Headers,
    body: string,
    batchSize: number,
    nowMs: number,
  ): ResponseVerdict;

  /**
   * The reason an event of `bytes` bytes can never be sent, such as a size
   * over the platform's per-event limit, or `undefined`.
   *
   * @param _bytes The event's size in the body.
   * @returns The reason, or `undefined` when it can be sent.
   */
  refuseEventBytes(_bytes: number): string | undefined {
    return undefined;
  }

  /**
   * Writes a batch as the exact bytes of one request body (uncompressed).
   *
   * @param events The events.
   * @returns The body.
   */
  encodeBatch(events: readonly SIEMEvent[]): Uint8Array<ArrayBuffer> {
    // Writing is synchronous, so one scratch buffer per exporter is safe.
    const writer = this.#scratch ??= new BodyWriter();
    writer.truncate(0);
    this.openBatch(writer);
    for (let i = 0; i < events.length; i++) {
      this.writeEvent(writer, events[i] as SIEMEvent, i);
    }
    this.closeBatch(writer);
    return writer.bytes();
  }

  /**
   * The body of a batch as text, for reading and tests.
   *
   * @param events The events.
   * @returns The body text, uncompressed.
   */
  formatBatch(events: readonly SIEMEvent[]): string {
    return decoder.decode(this.encodeBatch(events));
  }

  /**
   * One event as the body carries it, without separator or framing.
   *
   * @param event The event.
   * @returns Its text.
   */
  formatEvent(event: SIEMEvent): string {
    const writer = new BodyWriter(1024);
    this.writeEvent(writer, event, 0);
    return decoder.decode(writer.bytes());
  }

  /**
   * Turns a batch into the bytes sent, compressing them if configured.
   *
   * @param events The events the body holds.
   * @param body The uncompressed body, if already written; default:
   * {@linkcode encodeBatch} of the events.
   * @returns The prepared batch.
   */
  async prepare(
    events: readonly SIEMEvent[],
    body: Uint8Array<ArrayBuffer> = this.encodeBatch(events),
  ): Promise<PreparedBatch> {
    return {
      events,
      body: this.config.compression === "gzip" ? await gzip(body) : body,
      uncompressedBytes: body.length,
    };
  }

  /**
   * Posts a prepared batch with a time limit of `timeoutMs` and reads the
   * answer. Network errors and timeouts become a `retry` verdict; only the
   * caller's own abort throws.
   *
   * @param batch The prepared batch.
   * @param options The `fetch`, abort signal and clock to use.
   * @returns The verdict, status and latency.
   * @throws {RequestAbortedError} When `options.signal` aborts the request.
   */
  async post(
    batch: PreparedBatch,
    options: PostOptions = {},
  ): Promise<PostOutcome> {
    const now = options.now ?? Date.now;
    const doFetch = options.fetch ?? fetch;
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    const signal = options.signal
      ? AbortSignal.any([options.signal, timeout])
      : timeout;
    const url = this.url;
    const unsigned = this.headers;
    if (this.config.compression === "gzip") {
      unsigned["Content-Encoding"] = "gzip";
    }
    let headers: Record<string, string>;
    try {
      headers = await this.signRequest(
        { method: "POST", url, headers: unsigned, body: batch.body },
        now(),
        { fetch: doFetch, signal: options.signal },
      );
    } catch (error) {
      if (options.signal?.aborted) {
        throw new RequestAbortedError(options.signal.reason);
      }
      const reason = `cannot sign the request: ${
        excerpt(redactSecrets(networkErrorText(error), this.secrets))
      }`;
      const setup = setupOf(error);
      return {
        verdict: setup === undefined ? { kind: "retry", reason } : {
          kind: "retry",
          reason,
          setup: redactSecrets(setup, this.secrets),
        },
        status: 0,
        latencyMs: 0,
      };
    }
    // Read after signing: a platform that fetches its credential then (an
    // Entra token) has it among its secrets only from now on.
    const secrets = this.secrets;
    const started = now();
    try {
      const response = await doFetch(url, {
        method: "POST",
        headers,
        body: batch.body,
        signal,
        // A redirect could carry the credential headers to another host.
        redirect: "manual",
      });
      // The platform's text goes into reasons, logs and dead letters: take
      // any echo of the credential, in any form, out before anything parses
      // or shortens it.
      const text = redactSecrets(await response.text(), secrets);
      const latencyMs = now() - started;
      if (response.status >= 300 && response.status < 400) {
        return {
          verdict: {
            kind: "retry",
            status: response.status,
            reason: redactSecrets(
              `unexpected redirect (HTTP ${response.status}) to ${
                response.headers.get("location") ?? "(no location)"
              }: check the endpoint`,
              secrets,
            ),
          },
          status: response.status,
          latencyMs,
        };
      }
      return {
        verdict: redactVerdict(
          this.classify(
            response.status,
            response.headers,
            text,
            batch.events.length,
            now(),
          ),
          secrets,
        ),
        status: response.status,
        latencyMs,
      };
    } catch (error) {
      if (options.signal?.aborted) {
        throw new RequestAbortedError(options.signal.reason);
      }
      const latencyMs = now() - started;
      const reason = timeout.aborted
        ? `request timed out after ${this.config.timeoutMs} ms`
        : `network error: ${
          excerpt(
            redactSecrets(networkErrorText(error), secrets),
          )
        }`;
      return { verdict: { kind: "retry", reason }, status: 0, latencyMs };
    }
  }

  /**
   * Formats, encodes and posts a batch in one call.
   *
   * @example Sending two events to Splunk
   * ```ts ignore
   * import { parseSIEMConfig, SplunkExporter, toSIEMEvent, parseAuditEvent } from "@harombe/siem";
   *
   * const exporter = new SplunkExporter(parseSIEMConfig({
   *   platform: "splunk",
   *   endpoint: "https://splunk.example.com:8088",
   *   token: "hec-token",
   * }));
   * const event = toSIEMEvent(parseAuditEvent({
   *   correlation_id: "c1", event_type: "request", actor: "a", action: "x", status: "success",
   * }));
   * const { verdict } = await exporter.send([event]);
   * console.log(verdict.kind); // "delivered"
   * ```
   *
   * @param events The events.
   * @param options The `fetch`, abort signal and clock to use.
   * @returns The verdict, status and latency.
   */
  async send(
    events: readonly SIEMEvent[],
    options?: PostOptions,
  ): Promise<PostOutcome> {
    return this.post(await this.prepare(events), options);
  }
}
