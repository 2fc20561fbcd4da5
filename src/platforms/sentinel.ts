/**
 * The Microsoft Sentinel exporter: Azure Monitor Logs Ingestion API through
 * a data collection rule (DCR), with Microsoft Entra tokens.
 *
 * Wire contract (Microsoft Learn, "Logs Ingestion API in Azure Monitor",
 * https://learn.microsoft.com/azure/azure-monitor/logs/logs-ingestion-api-overview,
 * and the REST spec `DataCollectionRules.json` of api-version 2023-01-01,
 * https://github.com/Azure/azure-rest-api-specs/blob/main/specification/monitor/data-plane/ingestion/stable/2023-01-01/DataCollectionRules.json):
 * `POST {endpoint}/dataCollectionRules/{DCR immutable ID}/streams/{stream}?api-version=2023-01-01`
 * with `Authorization: Bearer <token>`, `Content-Type: application/json`,
 * optional `Content-Encoding: gzip`; the body is "a JSON array with item
 * structure that matches the format expected by the stream in the DCR"
 * (always an array: a bare object was answered 204 and lost, MicrosoftDocs
 * azure-docs issue 112669). Success is 204 No Content; an error is
 * `{"error":{"code","message",…}}` with an `x-ms-error-code` header.
 * Limits (service limits, "Logs Ingestion API",
 * https://learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits#logs-ingestion-api):
 * 1 MB per call, compressed and uncompressed; field values over 64 KB are
 * truncated; throttling answers 429 with `Retry-After`. A 403
 * `OperationFailed` "does not have access to ingest data for the data
 * collection rule" means the Monitoring Metrics Publisher role is missing
 * on the DCR (Azure SDK troubleshooting guides for Monitor Ingestion).
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { type BodyWriter, utf8 } from "./body_writer.ts";
import { EntraTokenCache } from "./entra_token.ts";
import {
  Exporter,
  type SignContext,
  type UnsignedRequest,
} from "./exporter.ts";
import { SIEMPlatform } from "./platform.ts";
import {
  SENTINEL_MAX_REQUEST_BYTES,
  type SentinelConfig,
} from "./sentinel_config.ts";
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

/** The api-version of the Logs Ingestion API this exporter speaks. */
export const SENTINEL_API_VERSION = "2023-01-01";

/** A column type of a DCR stream declaration and a Log Analytics table. */
export type SentinelColumnType =
  | "string"
  | "datetime"
  | "dynamic"
  | "long"
  | "real"
  | "boolean"
  | "int";

/** One column of the rows this exporter sends. */
export interface SentinelColumn {
  /** The column's name, as the row's key. */
  name: string;
  /** Its type in the stream declaration and the table. */
  type: SentinelColumnType;
}

/**
 * The columns of every row sent: `TimeGenerated` (the event's timestamp, the
 * time column every Log Analytics table has), then the SIEM event's own
 * fields under their wire names. A row leaves out the fields its event
 * lacks. `deploy/sentinel/harombe-sentinel.json` declares the same columns,
 * in the same order, for the DCR's stream and the `HarombeSecurity_CL`
 * table. None is one of the reserved names (`_ResourceId`, `id`,
 * `_SubscriptionId`, `TenantId`, `Type`, `UniqueId`, `Title`), and each is
 * under 45 characters (logs-ingestion-api-overview, "Supported tables").
 */
export const SENTINEL_COLUMNS: readonly SentinelColumn[] = Object.freeze(
  [
    { name: "TimeGenerated", type: "datetime" },
    { name: "event_id", type: "string" },
    { name: "correlation_id", type: "string" },
    { name: "session_id", type: "string" },
    { name: "timestamp", type: "datetime" },
    { name: "event_type", type: "string" },
    { name: "actor", type: "string" },
    { name: "tool_name", type: "string" },
    { name: "action", type: "string" },
    { name: "metadata", type: "dynamic" },
    { name: "duration_ms", type: "long" },
    { name: "status", type: "string" },
    { name: "error_message", type: "string" },
    { name: "source", type: "string" },
    { name: "severity", type: "string" },
    { name: "original_timestamp", type: "datetime" },
    { name: "producer", type: "string" },
  ] as const satisfies SentinelColumn[],
);

const TIME_GENERATED = utf8('{"TimeGenerated":');
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Sends batches to a DCR's stream through the Logs Ingestion API. Each row
 * is the SIEM event's JSON with `TimeGenerated` first (see
 * {@linkcode SENTINEL_COLUMNS}); the body is always a JSON array. The Entra
 * token is requested on the first post, shared by concurrent posts, and
 * renewed before it expires.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSIEMConfig } from "@harombe/siem";
 * import { SentinelExporter } from "@harombe/siem/exporters";
 *
 * const exporter = new SentinelExporter(parseSIEMConfig({
 *   platform: "sentinel",
 *   endpoint: "https://my-dce-5kyl.eastus-1.ingest.monitor.azure.com",
 *   sentinel: {
 *     tenantId: "contoso.onmicrosoft.com",
 *     clientId: "00000000-0000-0000-0000-000000000001",
 *     clientSecret: "app-secret-value",
 *     dcrImmutableId: "dcr-000a00a000a00000a000000aa000a0aa",
 *   },
 * }));
 * assert.equal(
 *   exporter.url,
 *   "https://my-dce-5kyl.eastus-1.ingest.monitor.azure.com/dataCollectionRules/dcr-000a00a000a00000a000000aa000a0aa/streams/Custom-HarombeSecurity?api-version=2023-01-01",
 * );
 * ```
 */
export class SentinelExporter extends Exporter {
  /** Always `"sentinel"`. */
  readonly platform: "sentinel" = SIEMPlatform.Sentinel;
  readonly #sentinel: SentinelConfig;
  #tokens: EntraTokenCache | undefined;

  /**
   * Creates the exporter. No token is requested until the first post.
   *
   * @param config The destination's validated configuration (with `sentinel`).
   * @throws {TypeError} When the config has no `sentinel` settings.
   */
  constructor(config: SIEMConfig) {
    super(config);
    if (config.sentinel === undefined) {
      throw new TypeError(
        "Cannot create SentinelExporter: the config has no sentinel settings",
      );
    }
    this.#sentinel = config.sentinel;
  }

  /** The token cache, made on first use. */
  get tokens(): EntraTokenCache {
    return this.#tokens ??= new EntraTokenCache(this.#sentinel);
  }

  /** `{endpoint}/dataCollectionRules/{dcr}/streams/{stream}?api-version=2023-01-01`. */
  get url(): string {
    return `${this.config.endpoint}/dataCollectionRules/${
      encodeURIComponent(this.#sentinel.dcrImmutableId)
    }/streams/${
      encodeURIComponent(this.#sentinel.streamName)
    }?api-version=${SENTINEL_API_VERSION}`;
  }

  /**
   * `Content-Type: application/json`; the `Authorization` header is added by
   * {@linkcode signRequest} once a token is at hand.
   */
  get headers(): Record<string, string> {
    return { "Content-Type": "application/json" };
  }

  /** The client secret, and the access tokens held now and lately: all redacted from every answer. */
  override get secrets(): readonly string[] {
    const tokens = this.#tokens?.recent ?? [];
    return tokens.length === 0 ? super.secrets : [...super.secrets, ...tokens];
  }

  /**
   * Adds `Authorization: Bearer <token>`, getting or renewing the token
   * first. A token request that fails throws an error whose `setup` says
   * what to fix (tenant, client id, secret), so the batch is kept.
   *
   * @param request The request.
   * @param nowMs The current time.
   * @param context The `fetch` and abort signal of the post.
   * @returns The headers to send.
   */
  override async signRequest(
    request: UnsignedRequest,
    nowMs: number,
    context?: SignContext,
  ): Promise<Record<string, string>> {
    const token = await this.tokens.get({
      fetch: context?.fetch ?? fetch,
      nowMs,
      timeoutMs: this.config.timeoutMs,
      signal: context?.signal,
    });
    return { ...request.headers, Authorization: `Bearer ${token}` };
  }

  /**
   * Writes one row: `{"TimeGenerated":<timestamp>,` then the event's JSON
   * members; a comma before it when it is not the first.
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
    writer.writeBytes(TIME_GENERATED);
    writer.writeJsonString(event.timestamp);
    writer.writeByte(COMMA);
    // The event's JSON is an object whose first member is event_id: its
    // members follow TimeGenerated's in the same object.
    writer.writeString(json.slice(1));
  }

  /** One: the comma between rows. */
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
   * Refuses a row that cannot fit in one call: with the array's brackets it
   * would be over the API's 1 MB.
   *
   * @param bytes The row's size.
   * @returns The reason, or `undefined`.
   */
  override refuseEventBytes(bytes: number): string | undefined {
    return bytes + 2 > SENTINEL_MAX_REQUEST_BYTES
      ? `row is ${bytes} bytes: with the array around it, above the Logs Ingestion API's ${SENTINEL_MAX_REQUEST_BYTES}-byte limit per call`
      : undefined;
  }

  /**
   * Reads the Logs Ingestion API's answer: 204 (or another 2xx without a
   * foreign page) is delivered; 429 and 5xx are retried, honouring
   * `Retry-After`; 413 splits the batch; 400 with Azure's error body (a row
   * that does not match the stream, malformed JSON, an Auxiliary table's
   * 30-minute window) splits it until the rows at fault are isolated and
   * dead-lettered. Setup errors are retried with a hint and keep the batch:
   * 401 (the token is refused; it is forgotten so the next attempt gets a
   * new one), 403 (the app lacks the Monitoring Metrics Publisher role on
   * the DCR), 404 (unknown DCR or stream, or a wrong endpoint), an answer
   * that is not Azure's, any other 4xx.
   *
   * @param status The HTTP status.
   * @param headers The answer's headers.
   * @param body The answer's body.
   * @param _batchSize How many rows the batch had.
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
      return jsonSuccessVerdict("Azure Monitor", status, headers, body);
    }
    const error = json ? describeError(body) : undefined;
    const code = headers.get("x-ms-error-code");
    const reason = `HTTP ${status}: ${
      error ?? (code ? `${code}: ` : "") + (excerpt(body) || "(empty body)")
    }`;
    if (status === 413) return { kind: "split", reason, status };
    const retryAfterMs = requestedDelayMs(headers, nowMs);
    if (isTransientStatus(status)) {
      return { kind: "retry", reason, status, retryAfterMs };
    }
    const setup = setupRetry(reason, status, retryAfterMs);
    if (status === 401) {
      // A token the API refuses is not asked for again: the next attempt
      // gets a new one (and a wrong audience shows as 401 again).
      this.#tokens?.invalidate();
      return setup(
        `the Entra token is refused: check sentinel.scope (${this.#sentinel.scope}) against the endpoint's cloud, and sentinel.tenantId`,
      );
    }
    if (status === 403) {
      return setup(
        `the app registration ${this.#sentinel.clientId} may not write to DCR ${this.#sentinel.dcrImmutableId}: assign it the Monitoring Metrics Publisher role on the DCR (role assignments can take up to 30 minutes to apply)`,
      );
    }
    if (status === 404) {
      return setup(
        `DCR ${this.#sentinel.dcrImmutableId} or its stream ${this.#sentinel.streamName} is not found at this endpoint: check sentinel.dcrImmutableId, sentinel.streamName (Custom-<name> as the DCR's streamDeclarations say) and that the endpoint is the DCE or DCR logs ingestion endpoint of the DCR's region`,
      );
    }
    if (error === undefined) {
      return setup(foreignAnswerHint("Azure Monitor", status, headers));
    }
    if (status === 400) return { kind: "split", reason, status };
    return setup("check the endpoint, the DCR and the stream");
  }
}

/**
 * Azure's `{"error":{"code","message"}}` body as text, or `undefined` for
 * another body.
 */
function describeError(body: string): string | undefined {
  try {
    const error = JSON.parse(body)?.error;
    if (typeof error !== "object" || error === null) return undefined;
    const code = typeof error.code === "string" ? error.code : "";
    const message = typeof error.message === "string" ? error.message : "";
    return excerpt([code, message].filter(Boolean).join(": ")) ||
      "(no error given)";
  } catch {
    return undefined;
  }
}
