/**
 * A strict fake Azure Monitor Logs Ingestion API (what Microsoft Sentinel
 * reads from): `POST /dataCollectionRules/{dcr}/streams/{stream}?api-version=2023-01-01`
 * (https://learn.microsoft.com/azure/azure-monitor/logs/logs-ingestion-api-overview).
 *
 * It enforces what the docs say: a bearer token issued by the fake Entra
 * endpoint for the Monitor scope and not expired; `Content-Type:
 * application/json`; `Content-Encoding` only gzip; 1 MB (1,048,576 bytes) per
 * call, compressed and uncompressed (service limits, with the 413 body
 * `ContentLengthLimitExceeded` as measured in AzADServicePrincipalInsights
 * issue 30); a JSON array of objects; 204 with no body on success; errors as
 * `{"error":{"code","message"}}` with `x-ms-error-code` (REST spec
 * 2023-01-01); 403 `OperationFailed` "does not have access to ingest data"
 * without the Monitoring Metrics Publisher role (Azure SDK troubleshooting).
 *
 * Stricter than Azure, on purpose: a bare object (which Azure answers 204 and
 * drops, MicrosoftDocs azure-docs issue 112669), a property the stream does
 * not declare (which the DCR drops), a value of the wrong type, and a row
 * without `TimeGenerated` are refused with 400, so that silent loss shows
 * up as a failure. The exact codes and messages of 401, 404 (unknown DCR or
 * stream) and 400 are not documented; the ones here are shaped like the
 * documented ones (UNCONFIRMED wording).
 *
 * @module
 */
import { parseJsonText } from "../../src/events/json_text.ts";
import type { FakeEntra } from "./fake_entra.ts";
import {
  FakeReceiver,
  jsonResponse,
  type RecordedRequest,
} from "./fake_receiver.ts";
import { isIsoTimestamp } from "./_wire.ts";

/** One declared column of the stream. */
export interface FakeColumn {
  /** Its name. */
  name: string;
  /** Its type: string, datetime, dynamic, long, int, real or boolean. */
  type: string;
}

/** Options of {@linkcode startFakeSentinel}. */
export interface FakeSentinelOptions {
  /** The token endpoint whose tokens are accepted. */
  entra: FakeEntra;
  /** The DCR's immutable id. */
  dcrImmutableId: string;
  /** The stream the DCR declares. */
  streamName: string;
  /** The stream's columns (the shipped DCR's). */
  columns: readonly FakeColumn[];
  /** The audience of accepted tokens. Default `https://monitor.azure.com/.default`. */
  scope?: string;
  /** Largest call, compressed and uncompressed. Default 1_048_576. */
  maxBytes?: number;
}

const PATH = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/;
const API_VERSIONS = ["2023-01-01", "2021-11-01-preview"];
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** A running fake Logs Ingestion API; accepted rows are in `rows`. */
export class FakeSentinel extends FakeReceiver {
  /** Accepted rows, in order. */
  readonly rows: Array<Record<string, unknown>> = [];
  readonly #options: Required<FakeSentinelOptions>;
  readonly #types: Map<string, string>;
  #roleAssigned = true;

  /** Starts the fake; prefer {@linkcode startFakeSentinel}. */
  constructor(options: FakeSentinelOptions) {
    super(["gzip"]);
    this.#options = {
      scope: "https://monitor.azure.com/.default",
      maxBytes: 1_048_576,
      ...options,
    };
    this.#types = new Map(options.columns.map((c) => [c.name, c.type]));
  }

  /** Whether the app has the Monitoring Metrics Publisher role on the DCR (default true). */
  assignRole(assigned: boolean): void {
    this.#roleAssigned = assigned;
  }

  /** The API's answer: path, token, role, api-version, type, size, rows. */
  protected handle(
    request: RecordedRequest,
    encodingError: string | null,
  ): Response {
    const match = PATH.exec(request.path);
    if (request.method !== "POST" || match === null) {
      return azureError(
        404,
        "NotFound",
        "The requested resource was not found.",
      );
    }
    const token = /^Bearer (\S+)$/.exec(
      request.headers.get("authorization") ?? "",
    )?.[1];
    if (token === undefined) {
      return azureError(
        401,
        "InvalidAuthenticationToken",
        "An Authorization header with a Bearer token is required.",
      );
    }
    const state = this.#options.entra.check(token, this.#options.scope);
    if (state !== "valid") {
      return azureError(
        401,
        state === "expired"
          ? "ExpiredAuthenticationToken"
          : "InvalidAuthenticationToken",
        state === "expired"
          ? "The provided authentication token has expired."
          : "The provided authentication token is not valid for this audience.",
      );
    }
    const dcr = decodeURIComponent(match[1]!);
    const stream = decodeURIComponent(match[2]!);
    if (dcr !== this.#options.dcrImmutableId) {
      return azureError(
        404,
        "NotFound",
        `Data collection rule with immutable Id '${dcr}' not found.`,
      );
    }
    if (!this.#roleAssigned) {
      return azureError(
        403,
        "OperationFailed",
        `The authentication token provided does not have access to ingest data for the data collection rule with immutable Id '${dcr}'.`,
      );
    }
    if (stream !== this.#options.streamName) {
      return azureError(
        404,
        "InvalidStream",
        `Stream '${stream}' is not declared in data collection rule '${dcr}'.`,
      );
    }
    const version = new URLSearchParams(request.search).get("api-version");
    if (version === null || !API_VERSIONS.includes(version)) {
      return azureError(
        400,
        "InvalidApiVersion",
        `The api-version '${version}' is not supported.`,
      );
    }
    const type = request.headers.get("content-type")?.split(";")[0]?.trim()
      .toLowerCase();
    if (type !== "application/json") {
      return azureError(
        415,
        "UnsupportedMediaType",
        "Content-Type must be application/json.",
      );
    }
    const max = this.#options.maxBytes;
    for (const size of [request.rawBody.byteLength, request.body.byteLength]) {
      if (size > max) {
        return azureError(
          413,
          "ContentLengthLimitExceeded",
          `Maximum allowed content length: ${max} bytes (1 MB). Provided content length: ${size} bytes.`,
        );
      }
    }
    if (encodingError !== null) {
      return azureError(
        400,
        "InvalidContentEncoding",
        `Unsupported or corrupt Content-Encoding: ${encodingError}.`,
      );
    }
    let rows: unknown;
    try {
      rows = parseJsonText(UTF8.decode(request.body));
    } catch {
      return azureError(
        400,
        "InvalidRequestBody",
        "The request body is malformed JSON.",
      );
    }
    if (!Array.isArray(rows)) {
      return azureError(
        400,
        "InvalidRequestBody",
        "The request body must be a JSON array (fake: Azure answers 204 and drops it).",
      );
    }
    for (const [i, row] of rows.entries()) {
      const problem = this.#checkRow(row);
      if (problem !== undefined) {
        return azureError(400, "InvalidRequestBody", `Row ${i}: ${problem}`);
      }
    }
    this.rows.push(...rows as Array<Record<string, unknown>>);
    return new Response(null, { status: 204 });
  }

  /** Azure's error body for an injected status (2xx: 204). */
  protected faultResponse(status: number): Response {
    if (status < 300) return new Response(null, { status: 204 });
    const code: Record<number, string> = {
      400: "InvalidRequestBody",
      401: "InvalidAuthenticationToken",
      403: "OperationFailed",
      404: "NotFound",
      413: "ContentLengthLimitExceeded",
      429: "TooManyRequests",
    };
    return azureError(
      status,
      code[status] ?? "ServiceUnavailable",
      status === 413
        ? "Maximum allowed content length: 1048576 bytes (1 MB)."
        : `Injected fault (HTTP ${status}).`,
    );
  }

  #checkRow(row: unknown): string | undefined {
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      return "must be a JSON object";
    }
    const values = row as Record<string, unknown>;
    if (!Object.hasOwn(values, "TimeGenerated")) {
      return "TimeGenerated is missing";
    }
    for (const [name, value] of Object.entries(values)) {
      const type = this.#types.get(name);
      if (type === undefined) {
        return `column '${name}' is not declared in the stream`;
      }
      if (!hasType(value, type)) return `column '${name}' is not a ${type}`;
    }
    return undefined;
  }
}

/** Starts a fake Logs Ingestion API on 127.0.0.1 (free port). */
export function startFakeSentinel(options: FakeSentinelOptions): FakeSentinel {
  return new FakeSentinel(options);
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "datetime":
      return typeof value === "string" && isIsoTimestamp(value);
    case "dynamic":
      return true;
    case "long":
    case "int":
      return typeof value === "number" && Number.isInteger(value);
    case "real":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    default:
      return false;
  }
}

function azureError(status: number, code: string, message: string): Response {
  return jsonResponse(status, { error: { code, message } }, {
    "x-ms-error-code": code,
  });
}
