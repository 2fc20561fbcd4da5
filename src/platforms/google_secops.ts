/**
 * The Google Security Operations (Chronicle API) `logs:import` exporter.
 *
 * Wire contract:
 * - `POST https://chronicle.{location}.rep.googleapis.com/v1beta/{parent}/logs:import`,
 *   `parent` = `projects/{project}/locations/{location}/instances/{instance}/logTypes/{logType}`;
 *   body `{"inlineSource":{"logs":[Log…]}}`; "If successful, the response
 *   body is empty"; IAM permission `chronicle.logs.import`; OAuth scope
 *   `https://www.googleapis.com/auth/cloud-platform`
 *   (https://cloud.google.com/chronicle/docs/reference/rest/v1beta/projects.locations.instances.logTypes.logs/import,
 *   regional host as shown there, e.g. `chronicle.africa-south1.rep.googleapis.com`).
 * - `Log`: `data` "Required. Raw data for the log entry. A base64-encoded
 *   string."; `logEntryTime` "Required"; `collectionTime` "Required. …
 *   Must be after the logEntryTime", both RFC 3339;
 *   `environmentNamespace` optional; `labels` a map of `LogLabel`
 *   (`{"value", "rbacEnabled"}`)
 *   (https://docs.cloud.google.com/chronicle/docs/reference/rest/v1alpha/projects.locations.instances.logTypes.logs).
 *   The JSON names are the camelCase ones of that page (proto3 JSON, which
 *   also reads `log_entry_time`).
 * - Size: 4 MB per request, from Google's ingestion scripts only
 *   (UNCONFIRMED on a reference page; see {@linkcode GOOGLE_SECOPS_MAX_REQUEST_BYTES}).
 * - Errors: the Google API error body `{"error":{"code","message","status"}}`
 *   (https://cloud.google.com/apis/design/errors); 429 is retried with
 *   backoff ("Buffering and retry configurations for push-based systems",
 *   https://docs.cloud.google.com/chronicle/docs/reference/buffering-and-retry-configurations-for-pushbased-systems),
 *   and 500/502/503/504 as for any Google API.
 * - Token: see `google_token.ts`.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { type BodyWriter, utf8 } from "./body_writer.ts";
import {
  Exporter,
  type PostOptions,
  type PostOutcome,
  type PreparedBatch,
  RequestAbortedError,
  type UnsignedRequest,
} from "./exporter.ts";
import {
  GOOGLE_SECOPS_MAX_REQUEST_BYTES,
  GOOGLE_SECOPS_SCOPE,
  type GoogleSecOpsConfig,
} from "./google_secops_config.ts";
import { GoogleTokenError, GoogleTokenSource } from "./google_token.ts";
import { logTail } from "./google_secops_log_tail.ts";
import { SIEMPlatform } from "./platform.ts";
import type { SIEMConfig } from "./siem_config.ts";
import {
  excerpt,
  foreignAnswerHint,
  isTransientStatus,
  jsonSuccessVerdict,
  looksLikeJsonObject,
  requestedDelayMs,
  type ResponseVerdict,
  setupRetry,
} from "./verdict.ts";
import { redactSecrets } from "./redact.ts";

/** The Chronicle API version used: the beta surface, which has `logs:import`. */
export const GOOGLE_SECOPS_API_VERSION = "v1beta";

/** Options of {@linkcode GoogleSecOpsExporter}. */
export interface GoogleSecOpsExporterOptions {
  /** The clock that dates `collectionTime`; default `Date.now`. */
  now?: (() => number) | undefined;
}

const OPEN = utf8('{"inlineSource":{"logs":[');
const CLOSE = utf8("]}}");
const DATA_KEY = utf8('{"data":"');
const ENTRY_TIME_KEY = utf8('","logEntryTime":');
const COLLECTION_TIME_KEY = utf8(',"collectionTime":');
const COMMA = 0x2c;
const BASE64 = utf8(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
);
const EQUALS = 0x3d;
const encoder = new TextEncoder();

/**
 * Sends batches to Chronicle's `logs:import`. Each event becomes one `Log`
 * whose `data` is the base64 of the event's JSON (the log type's parser
 * reads that JSON), `logEntryTime` the event's timestamp, and
 * `collectionTime` when the batch was written (never before the event's
 * own time); the namespace and labels are the configured ones. Every
 * request carries an OAuth access token for the service account, fetched
 * with a WebCrypto-signed JWT, cached and refreshed before it expires.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSIEMConfig } from "@harombe/siem";
 * import { GoogleSecOpsExporter } from "@harombe/siem/exporters";
 *
 * const exporter = new GoogleSecOpsExporter(parseSIEMConfig({
 *   platform: "google_secops",
 *   endpoint: "https://chronicle.eu.rep.googleapis.com",
 *   googleSecOps: {
 *     credentials: {
 *       client_email: "siem@my-project.iam.gserviceaccount.com",
 *       private_key: "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
 *     },
 *     project: "my-project",
 *     location: "eu",
 *     instance: "ebdc4bb9-878b-11e7-8455-10604b7cb5c1",
 *     logType: "HAROMBE_AUDIT",
 *   },
 * }));
 * assert.equal(
 *   exporter.url,
 *   "https://chronicle.eu.rep.googleapis.com/v1beta/projects/my-project/locations/eu/instances/ebdc4bb9-878b-11e7-8455-10604b7cb5c1/logTypes/HAROMBE_AUDIT/logs:import",
 * );
 * ```
 */
export class GoogleSecOpsExporter extends Exporter {
  /** Always `"google_secops"`. */
  readonly platform: "google_secops" = SIEMPlatform.GoogleSecOps;
  /** The validated Google SecOps settings. */
  readonly secops: GoogleSecOpsConfig;
  readonly #tokens: GoogleTokenSource;
  readonly #now: () => number;
  readonly #tail: Uint8Array;
  readonly #producerTails = new Map<string, Uint8Array>();
  #collectionTime: string | undefined;
  #token: string | undefined;

  /**
   * Creates the exporter. Nothing is sent, signed or fetched.
   *
   * @param config The destination's validated configuration (with `googleSecOps`).
   * @param options The clock that dates `collectionTime`.
   * @throws {TypeError} When the config has no `googleSecOps`.
   */
  constructor(config: SIEMConfig, options: GoogleSecOpsExporterOptions = {}) {
    super(config);
    if (config.googleSecOps === undefined) {
      throw new TypeError(
        "Cannot create GoogleSecOpsExporter: the config has no googleSecOps",
      );
    }
    this.secops = config.googleSecOps;
    this.#tokens = new GoogleTokenSource(
      this.secops.credentials,
      GOOGLE_SECOPS_SCOPE,
    );
    this.#now = options.now ?? Date.now;
    this.#tail = logTail(this.secops, undefined);
  }

  /** `{endpoint}/v1beta/projects/{project}/locations/{location}/instances/{instance}/logTypes/{logType}/logs:import`. */
  get url(): string {
    const { project, location, instance, logType } = this.secops;
    const e = encodeURIComponent;
    return `${this.config.endpoint}/${GOOGLE_SECOPS_API_VERSION}/projects/${
      e(project)
    }/locations/${e(location)}/instances/${e(instance)}/logTypes/${
      e(logType)
    }/logs:import`;
  }

  /** `Content-Type: application/json` and, once a token is held, `Authorization: Bearer …`. */
  get headers(): Record<string, string> {
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
    };
    if (this.#token !== undefined) {
      headers.Authorization = `Bearer ${this.#token}`;
    }
    return headers;
  }

  /** The private key (PEM and bare base64), and the live tokens and JWT assertion. */
  override get secrets(): readonly string[] {
    return [...super.secrets, ...this.#tokens.issued];
  }

  /**
   * Gets an access token (cached, or fetched with a signed JWT), then posts
   * the batch. A token that cannot be obtained is a `retry` verdict: with a
   * `setup` hint when the key is unreadable or refused, so the destination
   * backs off and keeps its backlog.
   *
   * @param batch The prepared batch.
   * @param options The `fetch`, abort signal and clock to use.
   * @returns The verdict, status and latency.
   */
  override async post(
    batch: PreparedBatch,
    options: PostOptions = {},
  ): Promise<PostOutcome> {
    const now = options.now ?? Date.now;
    try {
      this.#token = await this.#tokens.token(
        now(),
        options.fetch ?? fetch,
        options.signal,
        this.config.timeoutMs,
      );
    } catch (error) {
      if (!(error instanceof GoogleTokenError)) {
        if (options.signal?.aborted) {
          throw new RequestAbortedError(options.signal.reason);
        }
        throw error;
      }
      this.#token = undefined;
      return {
        verdict: {
          kind: "retry",
          reason: redactSecrets(error.message, this.secrets),
          ...(error.status ? { status: error.status } : {}),
          ...(error.setup ? { setup: error.setup } : {}),
        },
        status: 0,
        latencyMs: 0,
      };
    }
    return super.post(batch, options);
  }

  /**
   * Adds the token to the headers at the last moment (the token may have
   * been refreshed since `headers` was read).
   *
   * @param request The request.
   * @param _nowMs The current time.
   * @returns The headers to send.
   */
  override signRequest(
    request: UnsignedRequest,
    _nowMs: number,
  ): Promise<Record<string, string>> {
    if (this.#token === undefined) {
      return Promise.reject(
        new Error("no access token (post() fetches one first)"),
      );
    }
    return Promise.resolve({
      ...request.headers,
      Authorization: `Bearer ${this.#token}`,
    });
  }

  /** One: the comma between logs. */
  override get separatorBytes(): number {
    return 1;
  }

  /**
   * Opens `{"inlineSource":{"logs":[` and dates the batch's `collectionTime`.
   *
   * @param writer Where the body is written.
   */
  override openBatch(writer: BodyWriter): void {
    this.#collectionTime = new Date(this.#now()).toISOString();
    writer.writeBytes(OPEN);
  }

  /**
   * Closes the logs array and the objects around it.
   *
   * @param writer Where the body is written.
   */
  override closeBatch(writer: BodyWriter): void {
    writer.writeBytes(CLOSE);
  }

  /**
   * Writes one `Log`, preceded by a comma when it is not the first.
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
    if (index > 0) writer.writeByte(COMMA);
    writer.writeBytes(DATA_KEY);
    writeBase64(writer, encoder.encode(json));
    writer.writeBytes(ENTRY_TIME_KEY);
    writer.writeJsonString(event.timestamp);
    writer.writeBytes(COLLECTION_TIME_KEY);
    const collected = this.#collectionTime ??
      new Date(this.#now()).toISOString();
    // "collectionTime … Must be after the logEntryTime": an event dated
    // ahead of this clock is collected at its own time.
    writer.writeJsonString(
      Date.parse(event.timestamp) > Date.parse(collected)
        ? event.timestamp
        : collected,
    );
    const producer = event.producer;
    if (producer === undefined) {
      writer.writeBytes(this.#tail);
    } else {
      let tail = this.#producerTails.get(producer);
      if (tail === undefined) {
        tail = logTail(this.secops, producer);
        this.#producerTails.set(producer, tail);
      }
      writer.writeBytes(tail);
    }
  }

  /**
   * Refuses a log that cannot fit a request under the 4 MB cap on its own.
   *
   * @param bytes The log's size in the body.
   * @returns The reason, or `undefined`.
   */
  override refuseEventBytes(bytes: number): string | undefined {
    const room = GOOGLE_SECOPS_MAX_REQUEST_BYTES - OPEN.length - CLOSE.length;
    return bytes > room
      ? `log is ${bytes} bytes once base64-encoded, above the ${room} bytes a ${GOOGLE_SECOPS_MAX_REQUEST_BYTES}-byte logs:import request has room for`
      : undefined;
  }

  /**
   * Reads Chronicle's answer: 2xx with `{}` or nothing is delivered; 429
   * and 5xx are retried, honouring `Retry-After`; 413 and 400 with Google's
   * error body split the batch (until the log at fault is dead-lettered
   * with the reason); 401 drops the cached token and is retried as a setup
   * error (a new token is fetched); 403 and 404 are setup errors (the
   * permission, or the project, location, instance or log type); an answer
   * that is not Google's is a setup error too.
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
    if (status >= 200 && status < 300) {
      return jsonSuccessVerdict("Google SecOps", status, headers, body);
    }
    const error = json ? describeError(body) : undefined;
    const reason = `HTTP ${status}: ${
      error?.text ?? (excerpt(body) || "(empty body)")
    }`;
    if (status === 401) this.#tokens.invalidate();
    if (status === 413) return { kind: "split", reason, status };
    const retryAfterMs = requestedDelayMs(headers, nowMs);
    if (isTransientStatus(status)) {
      return { kind: "retry", reason, status, retryAfterMs };
    }
    const setup = setupRetry(reason, status, retryAfterMs);
    if (error === undefined) {
      return setup(foreignAnswerHint("Google SecOps", status, headers));
    }
    if (status === 400) return { kind: "split", reason, status };
    if (status === 401) {
      return setup(
        "Google refused the access token: check the service-account key and that the endpoint is the Chronicle API of the instance's location",
      );
    }
    if (status === 403) {
      return setup(
        `the service account lacks chronicle.logs.import on the instance: grant it the Chronicle API Editor role (roles/chronicle.editor) in project ${this.secops.project}, and check that the instance ${this.secops.instance} belongs to that project`,
      );
    }
    if (status === 404) {
      return setup(
        `Chronicle does not know this project, location, instance or log type (${this.secops.project}, ${this.secops.location}, ${this.secops.instance}, ${this.secops.logType}): check them, and the endpoint's region`,
      );
    }
    return setup("check the endpoint and the googleSecOps settings");
  }
}

/** Google's `{"error":{"code","message","status"}}`, as text. */
function describeError(body: string): { text: string } | undefined {
  try {
    const error = JSON.parse(body)?.error;
    if (typeof error === "object" && error !== null) {
      const parts = [error.status, error.message].filter((part) =>
        typeof part === "string" && part.trim() !== ""
      );
      return { text: excerpt(parts.join(": ")) || "(no error given)" };
    }
  } catch {
    // Not JSON: not Google's answer.
  }
  return undefined;
}

// Standard base64 (RFC 4648 §4, what proto3 JSON `bytes` takes), written
// straight into the body.
function writeBase64(writer: BodyWriter, bytes: Uint8Array): void {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = BASE64[n >> 18]!;
    out[o++] = BASE64[(n >> 12) & 63]!;
    out[o++] = BASE64[(n >> 6) & 63]!;
    out[o++] = BASE64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = BASE64[n >> 18]!;
    out[o++] = BASE64[(n >> 12) & 63]!;
    out[o++] = rest === 2 ? BASE64[(n >> 6) & 63]! : EQUALS;
    out[o++] = EQUALS;
  }
  writer.writeBytes(out);
}
