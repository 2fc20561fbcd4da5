/**
 * A strict fake of the Chronicle API's `logs:import`
 * (https://cloud.google.com/chronicle/docs/reference/rest/v1beta/projects.locations.instances.logTypes.logs/import)
 * and `logTypes.get`, with bearer tokens checked against a
 * {@linkcode FakeGoogleToken}.
 *
 * @module
 */
import {
  FakeReceiver,
  jsonResponse,
  type RecordedRequest,
} from "./fake_receiver.ts";
import type { FakeGoogleToken } from "./fake_google_token.ts";
import { isIsoTimestamp } from "./_wire.ts";

/** Where the fake's instance lives. */
export interface FakeChronicleInstance {
  /** Project id. */
  project: string;
  /** Location. */
  location: string;
  /** Instance (customer id). */
  instance: string;
  /** Log types the instance knows. */
  logTypes: readonly string[];
}

/** Options of {@linkcode FakeGoogleSecOps}. */
export interface FakeGoogleSecOpsOptions extends FakeChronicleInstance {
  /** Checks bearer tokens. */
  tokens: FakeGoogleToken;
  /** Largest body in bytes. Default 4_000_000. */
  maxPayloadBytes?: number | undefined;
}

/** One log as the fake stored it, its `data` decoded. */
export interface StoredLog {
  /** The log type it was imported under. */
  logType: string;
  /** `data`, base64-decoded and parsed. */
  event: Record<string, unknown>;
  /** `logEntryTime`. */
  logEntryTime: string;
  /** `collectionTime`. */
  collectionTime: string;
  /** `environmentNamespace`, if sent. */
  environmentNamespace?: string;
  /** `labels`, if sent. */
  labels?: Record<string, { value: string; rbacEnabled?: boolean }>;
}

const IMPORT =
  /^\/v1beta\/projects\/([^/]+)\/locations\/([^/]+)\/instances\/([^/]+)\/logTypes\/([^/]+)\/logs:import$/;
const LOG_TYPE =
  /^\/v1beta\/projects\/([^/]+)\/locations\/([^/]+)\/instances\/([^/]+)\/logTypes\/([^/]+)$/;
const LOG_FIELDS = new Set([
  "data",
  "logEntryTime",
  "collectionTime",
  "environmentNamespace",
  "labels",
]);
const STRICT_BASE64 =
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UTF8 = new TextDecoder("utf-8", { fatal: true });

function googleError(status: number, code: string, message: string): Response {
  return jsonResponse(status, {
    error: { code: status, message, status: code },
  });
}

/** A running fake Chronicle API; accepted logs are in `logs`. */
export class FakeGoogleSecOps extends FakeReceiver {
  /** Accepted logs, in order. */
  readonly logs: StoredLog[] = [];
  /** Tokens that authenticate but lack `chronicle.logs.import`. */
  readonly denied = new Set<string>();
  readonly #options: FakeGoogleSecOpsOptions;
  /** Requests refused with 401 because the token was unknown or expired. */
  unauthenticated = 0;
  /** Whether the service account holds `chronicle.logs.import`; default true. */
  permitted = true;

  /** Starts the fake. */
  constructor(options: FakeGoogleSecOpsOptions) {
    super(["gzip"]);
    this.#options = options;
  }

  /** Route, token, permission, resource, then the body, field by field. */
  protected handle(
    request: RecordedRequest,
    encodingError: string | null,
  ): Response {
    const o = this.#options;
    const importMatch = IMPORT.exec(request.path);
    const getMatch = LOG_TYPE.exec(request.path);
    const match = importMatch ?? getMatch;
    if (!match || request.search !== "") {
      return googleError(404, "NOT_FOUND", "Method not found.");
    }
    if (
      (importMatch && request.method !== "POST") ||
      (getMatch && request.method !== "GET")
    ) {
      return googleError(405, "METHOD_NOT_ALLOWED", "Method not allowed.");
    }
    const auth = request.headers.get("authorization") ?? "";
    const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
    if (!o.tokens.isValid(token)) {
      this.unauthenticated++;
      return googleError(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
      );
    }
    if (!this.permitted || this.denied.has(token)) {
      return googleError(
        403,
        "PERMISSION_DENIED",
        "Permission 'chronicle.logs.import' denied on resource (or it may not exist).",
      );
    }
    const [, project, location, instance, logType] = match.map(
      decodeURIComponent,
    );
    if (
      project !== o.project || location !== o.location ||
      instance !== o.instance || !o.logTypes.includes(logType!)
    ) {
      return googleError(404, "NOT_FOUND", "Requested entity was not found.");
    }
    if (getMatch) {
      return jsonResponse(200, {
        name: request.path.slice(8),
        displayName: logType,
      });
    }
    if (encodingError !== null) {
      return googleError(
        400,
        "INVALID_ARGUMENT",
        `Unsupported encoding ${encodingError}`,
      );
    }
    if (
      request.headers.get("content-type")?.split(";")[0] !== "application/json"
    ) {
      return googleError(400, "INVALID_ARGUMENT", "Invalid content type.");
    }
    if (request.body.length > (o.maxPayloadBytes ?? 4_000_000)) {
      return googleError(
        413,
        "INVALID_ARGUMENT",
        "Request payload size exceeds the limit.",
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(UTF8.decode(request.body));
    } catch {
      return googleError(
        400,
        "INVALID_ARGUMENT",
        "Invalid JSON payload received.",
      );
    }
    const logs = this.#readLogs(parsed, logType!);
    if (typeof logs === "string") {
      return googleError(400, "INVALID_ARGUMENT", logs);
    }
    this.logs.push(...logs);
    return jsonResponse(200, {});
  }

  // The whole request or nothing: one bad log refuses every log of it.
  #readLogs(body: unknown, logType: string): StoredLog[] | string {
    if (!isObject(body)) return "Invalid JSON payload: not an object.";
    for (const key of Object.keys(body)) {
      if (key !== "inlineSource" && key !== "hint") {
        return `Invalid JSON payload received. Unknown name "${key}".`;
      }
    }
    const source = body.inlineSource;
    if (!isObject(source) || !Array.isArray(source.logs)) {
      return "inlineSource.logs is required.";
    }
    for (const key of Object.keys(source)) {
      if (!["logs", "forwarder", "sourceFilename"].includes(key)) {
        return `Invalid JSON payload received. Unknown name "${key}" at 'inline_source'.`;
      }
    }
    if (source.logs.length === 0) return "inlineSource.logs must not be empty.";
    const stored: StoredLog[] = [];
    for (const [i, log] of source.logs.entries()) {
      const where = `inline_source.logs[${i}]`;
      if (!isObject(log)) return `${where}: not an object.`;
      for (const key of Object.keys(log)) {
        if (!LOG_FIELDS.has(key)) {
          return `Invalid JSON payload received. Unknown name "${key}" at '${where}'.`;
        }
      }
      const {
        data,
        logEntryTime,
        collectionTime,
        environmentNamespace,
        labels,
      } = log;
      if (
        typeof data !== "string" || data === "" || !STRICT_BASE64.test(data)
      ) {
        return `${where}.data: invalid base64.`;
      }
      let event: unknown;
      try {
        event = JSON.parse(
          UTF8.decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0))),
        );
      } catch {
        return `${where}.data: not a JSON log.`;
      }
      if (!isObject(event)) return `${where}.data: not a JSON object.`;
      if (typeof logEntryTime !== "string" || !isIsoTimestamp(logEntryTime)) {
        return `${where}.log_entry_time is required (RFC 3339).`;
      }
      if (
        typeof collectionTime !== "string" || !isIsoTimestamp(collectionTime)
      ) {
        return `${where}.collection_time is required (RFC 3339).`;
      }
      if (Date.parse(collectionTime) < Date.parse(logEntryTime)) {
        return `${where}.collection_time must be after log_entry_time.`;
      }
      if (
        environmentNamespace !== undefined &&
        typeof environmentNamespace !== "string"
      ) {
        return `${where}.environment_namespace: not a string.`;
      }
      if (labels !== undefined) {
        if (!isObject(labels)) return `${where}.labels: not a map.`;
        for (const value of Object.values(labels)) {
          if (
            !isObject(value) || typeof value.value !== "string" ||
            Object.keys(value).some((k) => k !== "value" && k !== "rbacEnabled")
          ) return `${where}.labels: each label must be a LogLabel.`;
        }
      }
      stored.push({
        logType,
        event,
        logEntryTime,
        collectionTime,
        ...(environmentNamespace !== undefined
          ? { environmentNamespace: environmentNamespace as string }
          : {}),
        ...(labels !== undefined
          ? { labels: labels as StoredLog["labels"] & object }
          : {}),
      });
    }
    return stored;
  }

  /** Google's error body for an injected status. */
  protected faultResponse(status: number): Response {
    const code = status === 429
      ? "RESOURCE_EXHAUSTED"
      : status === 400
      ? "INVALID_ARGUMENT"
      : status === 403
      ? "PERMISSION_DENIED"
      : status >= 500
      ? "UNAVAILABLE"
      : "FAILED_PRECONDITION";
    return googleError(status, code, `injected HTTP ${status}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Starts a fake Chronicle API. */
export function startFakeGoogleSecOps(
  options: FakeGoogleSecOpsOptions,
): FakeGoogleSecOps {
  return new FakeGoogleSecOps(options);
}
