/**
 * The options of a generic HTTP destination (`platform: "http"`) and its
 * Sumo Logic preset: how they are validated, their defaults, their secrets,
 * and the part of the URL that may be shown.
 *
 * Sumo Logic HTTP Source facts, from Sumo's documentation:
 * - The upload URL is `https://[SumoEndpoint]/receiver/v1/http/[UniqueHTTPCollectorCode]`,
 *   the code being "the string that follows the last forward slash"; the URL
 *   "securely encodes the Collector and Source information", so it is the
 *   credential
 *   (https://help.sumologic.com/docs/send-data/hosted-collectors/http-source/logs-metrics/upload-logs/,
 *   https://help.sumologic.com/docs/send-data/hosted-collectors/http-source/logs-metrics/).
 * - A POST's body is the log lines; "You may send batched requests up to but
 *   not exceeding 1MB of uncompressed data", and 100 KB to 1 MB before
 *   compression is recommended (same pages).
 * - gzip and deflate are the compressions taken; data must be UTF-8
 *   (https://help.sumologic.com/docs/send-data/hosted-collectors/http-source/troubleshooting/).
 * - `X-Sumo-Category`, `X-Sumo-Name` and `X-Sumo-Host` override the Source's
 *   category, name and host (upload-logs page above; Sumo's own clients,
 *   e.g. SumoLogic/sumologic-aws-lambda, send these names).
 *
 * @module
 */
import { z } from "zod";

/** How events are framed in a body: a JSON array, or one JSON object per line. */
export type HttpFraming = "json_array" | "ndjson";

/** A ready-made set of defaults for a known receiver. */
export type HttpPreset = "sumo_logic";

/** The `http` options of a `platform: "http"` destination, as written by the caller. */
export interface HttpOptionsInput {
  /**
   * `"sumo_logic"`: the endpoint is a Sumo Logic HTTP Source URL; its whole
   * path is a secret, bodies are NDJSON, gzip-compressed, at most 1 MB
   * before compression.
   */
  preset?: HttpPreset | undefined;
  /** Body framing; default `"json_array"` (`"ndjson"` with the Sumo Logic preset). */
  framing?: HttpFraming | undefined;
  /**
   * Extra request headers. `Authorization`, `Proxy-Authorization`, `Cookie`
   * and the usual API-key headers (see {@linkcode WELL_KNOWN_SECRET_HEADERS})
   * are secrets: their values are redacted like tokens.
   */
  headers?: Record<string, string> | undefined;
  /** More header names whose values are secrets (case-insensitive). */
  secretHeaders?: string[] | undefined;
  /**
   * Whether the endpoint's path and query are a secret (a URL-embedded
   * token, as in Slack or Sumo Logic URLs): only its scheme and host are
   * shown. Default false (true with the Sumo Logic preset).
   */
  secretUrl?: boolean | undefined;
  /** Sumo Logic: `X-Sumo-Category` (the Source Category); default: the Source's own. */
  sumoCategory?: string | undefined;
  /** Sumo Logic: `X-Sumo-Name` (the Source Name); default: the Source's own. */
  sumoName?: string | undefined;
  /** Sumo Logic: `X-Sumo-Host` (the Source Host); default: the Source's own. */
  sumoHost?: string | undefined;
}

/** The validated `http` options, every default filled. */
export interface HttpOptions {
  /** The preset, if any. */
  preset?: HttpPreset | undefined;
  /** Body framing. */
  framing: HttpFraming;
  /** Extra request headers, as given. */
  headers: Record<string, string>;
  /** Header names (lowercase) whose values are secrets. */
  secretHeaders: string[];
  /** Whether the endpoint's path and query are a secret. */
  secretUrl: boolean;
  /** Sumo Logic `X-Sumo-Category`, if set. */
  sumoCategory?: string | undefined;
  /** Sumo Logic `X-Sumo-Name`, if set. */
  sumoName?: string | undefined;
  /** Sumo Logic `X-Sumo-Host`, if set. */
  sumoHost?: string | undefined;
}

/**
 * Header names whose values are always secrets (lowercase): credentials
 * that webhook receivers, Cribl, Logstash and Vector HTTP inputs and SOAR
 * tools take in headers.
 */
export const WELL_KNOWN_SECRET_HEADERS: readonly string[] = Object.freeze([
  "authorization",
  "proxy-authorization",
  "cookie",
  "x-api-key",
  "api-key",
  "x-auth-token",
  "x-access-token",
  "x-sumo-token",
  "dd-api-key",
  "x-splunk-token",
]);

// Query parameters whose values are credentials whatever `secretUrl` says
// (`?token=`, `?api_key=`, `?sig=`, Azure's `?sv=…&sig=`, `?code=` of
// Azure Functions).
const SECRET_PARAM =
  /token|key|secret|sig|signature|code|auth|password|passwd|credential/i;

/**
 * Sumo Logic takes at most 1 MB of uncompressed data per request
 * (https://help.sumologic.com/docs/send-data/hosted-collectors/http-source/logs-metrics/).
 */
export const SUMO_MAX_REQUEST_BYTES = 1_000_000;

/** The default `maxBatchBytes` of an http destination: 1 MB, as Sumo Logic's limit. */
export const HTTP_DEFAULT_MAX_BATCH_BYTES = 1_000_000;

// RFC 9110 §5.6.2 token characters.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
// Visible ASCII and spaces inside (RFC 9110 §5.5 field-value, no obs-text):
// no CR or LF can split a header.
const HEADER_VALUE = /^[\x21-\x7E](?:[\x20-\x7E]{0,8190}[\x21-\x7E])?$/;
// Headers the exporter sets itself, or fetch forbids.
const RESERVED_HEADERS = new Set([
  "content-type",
  "content-encoding",
  "content-length",
  "host",
  "transfer-encoding",
  "connection",
]);
const SUMO_VALUE = /^[\x20-\x7E]{1,256}$/;
// The code is base64-like ("a long string of letters and numbers");
// `+` and `%` are let through in case a code is base64 or percent-encoded.
const SUMO_PATH = /^\/receiver\/v1\/http\/[A-Za-z0-9_=+%.-]{8,}$/;

/** The `http` options as parsed, before {@linkcode resolveHttpOptions} fills the rest. */
export type ParsedHttpOptions = Omit<HttpOptions, "framing" | "secretUrl"> & {
  framing?: HttpFraming | undefined;
  secretUrl?: boolean | undefined;
};

/**
 * The zod schema of the `http` options, used inside `SIEMConfigSchema`.
 * Cross-field rules (the endpoint, the preset's limits) are in
 * {@linkcode checkHttpConfig}.
 */
export const HttpOptionsSchema: z.ZodType<
  ParsedHttpOptions,
  HttpOptionsInput
> = z.strictObject({
  preset: z.enum(["sumo_logic"], { error: "must be sumo_logic" }).optional(),
  framing: z.enum(["json_array", "ndjson"], {
    error: "must be json_array or ndjson",
  }).optional(),
  headers: z.record(
    z.string().regex(HEADER_NAME, "must be an HTTP header name"),
    z.string().regex(
      HEADER_VALUE,
      "must be 1-8192 visible ASCII characters (spaces inside only)",
    ),
  ).default({}),
  secretHeaders: z.array(
    z.string().regex(HEADER_NAME, "must be an HTTP header name"),
  ).max(50, "must name at most 50 headers").default([]),
  secretUrl: z.boolean().optional(),
  sumoCategory: z.string().regex(SUMO_VALUE, "must be 1-256 ASCII characters")
    .optional(),
  sumoName: z.string().regex(SUMO_VALUE, "must be 1-256 ASCII characters")
    .optional(),
  sumoHost: z.string().regex(SUMO_VALUE, "must be 1-256 ASCII characters")
    .optional(),
}).transform((o) => ({
  ...o,
  secretHeaders: o.secretHeaders.map((name) => name.toLowerCase()),
}));

/** What {@linkcode checkHttpConfig} reads of a destination config. */
export interface HttpConfigView {
  /** The destination's platform. */
  platform: string;
  /** Its URL. */
  endpoint: string;
  /** Its bearer token, `""` for none. */
  token: string;
  /** Its body encoding. */
  compression: string;
  /** Its largest body, if set. */
  maxBatchBytes?: number | undefined;
  /** Whether secrets may go over plain http. */
  allowInsecureHttp: boolean;
  /** Its `http` options as parsed. */
  http?: ParsedHttpOptions | undefined;
}

/**
 * The cross-field rules of an http destination: the endpoint is an http(s)
 * URL without credentials or fragment (its query is kept); the Sumo Logic
 * preset's URL is a Source URL and its body at most 1 MB; Sumo headers only
 * with the preset; no secret goes over plain http to a host that is not
 * loopback unless `allowInsecureHttp` is set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkHttpConfig } from "./http_config.ts";
 *
 * const issues: string[] = [];
 * checkHttpConfig({
 *   platform: "http",
 *   endpoint: "https://hooks.example.com/in#x",
 *   token: "",
 *   compression: "none",
 *   allowInsecureHttp: false,
 * }, (path, message) => issues.push(`${path} ${message}`));
 * assert.deepEqual(issues, ["endpoint must have no credentials or fragment"]);
 * ```
 *
 * @param c The config, defaults filled.
 * @param issue Records one problem with one field.
 */
export function checkHttpConfig(
  c: HttpConfigView,
  issue: (path: string, message: string) => void,
): void {
  if (!URL.canParse(c.endpoint)) return;
  const url = new URL(c.endpoint);
  if (!/^https?:$/.test(url.protocol)) return;
  if (url.username || url.password || url.hash || c.endpoint.includes("#")) {
    issue("endpoint", "must have no credentials or fragment");
  }
  const http = c.http;
  const sumo = http?.preset === "sumo_logic";
  if (sumo) {
    if (!SUMO_PATH.test(url.pathname) || url.search !== "") {
      issue(
        "endpoint",
        "must be the Sumo Logic HTTP Source URL, https://<endpoint>/receiver/v1/http/<code>",
      );
    }
    if (
      c.maxBatchBytes !== undefined && c.maxBatchBytes > SUMO_MAX_REQUEST_BYTES
    ) {
      issue(
        "maxBatchBytes",
        `must be at most ${SUMO_MAX_REQUEST_BYTES} for Sumo Logic (its limit per request, before compression)`,
      );
    }
  } else if (http) {
    for (const key of ["sumoCategory", "sumoName", "sumoHost"] as const) {
      if (http[key] !== undefined) {
        issue(`http.${key}`, 'is for preset "sumo_logic" only');
      }
    }
  }
  const secretHeaders = new Set([
    ...WELL_KNOWN_SECRET_HEADERS,
    ...(http?.secretHeaders ?? []),
  ]);
  const headerNames = Object.keys(http?.headers ?? {}).map((name) =>
    name.toLowerCase()
  );
  if (c.token !== "" && headerNames.includes("authorization")) {
    issue(
      "http.headers",
      "must not set Authorization when token is set (token is sent as Authorization: Bearer)",
    );
  }
  for (const name of headerNames) {
    if (RESERVED_HEADERS.has(name)) {
      issue(
        "http.headers",
        `must not set ${name}: it is set by the exporter itself`,
      );
    }
  }
  if (new Set(headerNames).size !== headerNames.length) {
    issue("http.headers", "must not name a header twice");
  }
  const hasSecret = c.token !== "" || sumo || http?.secretUrl === true ||
    headerNames.some((name) => secretHeaders.has(name));
  if (
    url.protocol === "http:" && hasSecret && !c.allowInsecureHttp &&
    !isLoopback(url.hostname)
  ) {
    issue(
      "endpoint",
      "must use https when a token, a secret header or a secret URL is set (set allowInsecureHttp to send it over plain http)",
    );
  }
}

/**
 * Fills the `http` options' defaults: the framing, and what the Sumo Logic
 * preset implies (NDJSON, a secret URL).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveHttpOptions } from "./http_config.ts";
 *
 * const options = resolveHttpOptions({ preset: "sumo_logic", headers: {}, secretHeaders: [] });
 * assert.equal(options.framing, "ndjson");
 * assert.equal(options.secretUrl, true);
 * ```
 *
 * @param http The parsed options, if any.
 * @returns The options, every default filled.
 */
export function resolveHttpOptions(
  http: ParsedHttpOptions | undefined,
): HttpOptions {
  const given = http ?? { headers: {}, secretHeaders: [] };
  const sumo = given.preset === "sumo_logic";
  return {
    ...given,
    framing: given.framing ?? (sumo ? "ndjson" : "json_array"),
    secretUrl: given.secretUrl ?? sumo,
  };
}

/**
 * The secrets an http destination's options hold: the value of every
 * secret header, and, when the URL is secret, its path and query and each
 * of their parts (a Sumo Logic collector code, a token parameter).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { httpSecrets } from "./http_config.ts";
 *
 * assert.deepEqual(
 *   httpSecrets("https://hooks.example.com/in", {
 *     framing: "json_array",
 *     headers: { "X-API-Key": "k-123456", "X-Team": "sec" },
 *     secretHeaders: [],
 *     secretUrl: false,
 *   }),
 *   ["k-123456"],
 * );
 * ```
 *
 * @param endpoint The destination's URL.
 * @param http The validated options.
 * @returns The non-empty secrets.
 */
export function httpSecrets(endpoint: string, http: HttpOptions): string[] {
  const secretNames = new Set([
    ...WELL_KNOWN_SECRET_HEADERS,
    ...http.secretHeaders,
  ]);
  const secrets = Object.entries(http.headers)
    .filter(([name]) => secretNames.has(name.toLowerCase()))
    .map(([, value]) => value);
  // A value with a scheme ("Bearer x", "Basic x") is redacted whole and by
  // its credential, so that the credential alone is found too.
  for (const value of [...secrets]) {
    const space = value.lastIndexOf(" ");
    if (space > 0) secrets.push(value.slice(space + 1));
  }
  if (URL.canParse(endpoint)) {
    for (const [name, value] of new URL(endpoint).searchParams) {
      if (SECRET_PARAM.test(name) && value.length >= 4) secrets.push(value);
    }
  }
  if (http.secretUrl && URL.canParse(endpoint)) {
    const url = new URL(endpoint);
    const rest = `${url.pathname}${url.search}`;
    if (rest !== "/") secrets.push(rest);
    const parts = [
      ...url.pathname.split("/"),
      ...[...url.searchParams.values()],
    ];
    for (const part of parts) if (part.length >= 8) secrets.push(part);
  }
  return [...new Set(secrets.filter((secret) => secret !== ""))];
}

/**
 * The URL of a destination as it may be shown: for an http destination
 * whose URL is secret, its scheme and host only; for one whose query holds
 * a credential parameter (`token`, `key`, `sig`…), its URL without the
 * query.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shownEndpoint } from "./http_config.ts";
 *
 * assert.equal(
 *   shownEndpoint({
 *     endpoint: "https://endpoint1.collection.sumologic.com/receiver/v1/http/ZaVnC4dhaV",
 *     http: { framing: "ndjson", headers: {}, secretHeaders: [], secretUrl: true },
 *   }),
 *   "https://endpoint1.collection.sumologic.com",
 * );
 * ```
 *
 * @param config The destination's endpoint and http options.
 * @returns The URL to show.
 */
export function shownEndpoint(
  config: { endpoint: string; http?: HttpOptions | undefined },
): string {
  if (config.http === undefined || !URL.canParse(config.endpoint)) {
    return config.endpoint;
  }
  const url = new URL(config.endpoint);
  if (config.http.secretUrl) return url.origin;
  const secretQuery = [...url.searchParams.keys()].some((name) =>
    SECRET_PARAM.test(name)
  );
  return secretQuery ? `${url.origin}${url.pathname}` : config.endpoint;
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
