/**
 * The Microsoft Sentinel part of a destination's configuration: the app
 * registration that gets Entra tokens, and the data collection rule (DCR)
 * and stream the Logs Ingestion API writes through.
 *
 * Sources (Microsoft Learn):
 * - Logs Ingestion API overview (URI, headers, body, column names,
 *   the Monitoring Metrics Publisher role):
 *   https://learn.microsoft.com/azure/azure-monitor/logs/logs-ingestion-api-overview
 * - Service limits, "Logs Ingestion API" (1 MB per call, compressed and
 *   uncompressed; 64 KB per field value; `Retry-After` on throttling):
 *   https://learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits#logs-ingestion-api
 * - Client-credentials grant (token request and answer):
 *   https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 * - National clouds (the login host per cloud: login.microsoftonline.us,
 *   login.partner.microsoftonline.cn):
 *   https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud
 *
 * @module
 */
import { z } from "zod";

/** The Entra login host of Azure's public cloud. */
export const DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com";

/**
 * The token scope of the Logs Ingestion API in Azure's public cloud
 * (`https://monitor.azure.us/.default` for US Government,
 * `https://monitor.azure.cn/.default` for Azure operated by 21Vianet).
 */
export const DEFAULT_SENTINEL_SCOPE = "https://monitor.azure.com/.default";

/**
 * The stream the shipped DCR (`deploy/sentinel/harombe-sentinel.json`)
 * declares; its rows land in the `HarombeSecurity_CL` table.
 */
export const DEFAULT_SENTINEL_STREAM = "Custom-HarombeSecurity";

/**
 * The largest request the Logs Ingestion API takes: 1 MB, "both compressed
 * and uncompressed data" (service limits, Logs Ingestion API). Its 413 says
 * "Maximum allowed content length: 1048576 bytes (1 MB)".
 */
export const SENTINEL_MAX_REQUEST_BYTES = 1_048_576;

/**
 * The default `maxBatchBytes` of a Sentinel destination: 1,000,000 bytes of
 * JSON before compression, as Microsoft's JS client library splits its
 * uploads (`@azure/monitor-ingestion`), under the 1 MB cap.
 */
export const SENTINEL_DEFAULT_MAX_BATCH_BYTES = 1_000_000;

/** A Sentinel destination's Entra app registration, DCR and stream, as written by the caller. */
export interface SentinelConfigInput {
  /** The Directory (tenant) ID of the app registration (a GUID, or the tenant's domain). */
  tenantId: string;
  /** The Application (client) ID of the app registration (a GUID). */
  clientId: string;
  /** The Value of one of the app registration's client secrets (not its Secret ID). */
  clientSecret: string;
  /** The DCR's immutable ID, `dcr-` and 32 hex digits (the DCR's Overview page or JSON view). */
  dcrImmutableId: string;
  /** The DCR's input stream; default {@linkcode DEFAULT_SENTINEL_STREAM}. */
  streamName?: string | undefined;
  /**
   * The Entra login host; default {@linkcode DEFAULT_AUTHORITY_HOST}. For a
   * national cloud, `https://login.microsoftonline.us` or
   * `https://login.partner.microsoftonline.cn`.
   */
  authorityHost?: string | undefined;
  /** The token scope; default {@linkcode DEFAULT_SENTINEL_SCOPE}. */
  scope?: string | undefined;
}

/** A Sentinel destination's validated Entra and DCR settings, every default filled. */
export interface SentinelConfig {
  /** The Directory (tenant) ID. */
  tenantId: string;
  /** The Application (client) ID. */
  clientId: string;
  /** The client secret's Value: a credential, redacted like a token. */
  clientSecret: string;
  /** The DCR's immutable ID. */
  dcrImmutableId: string;
  /** The DCR's input stream. */
  streamName: string;
  /** The Entra login host, without a trailing slash. */
  authorityHost: string;
  /** The token scope. */
  scope: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A tenant is named by its GUID or one of its verified domains
// (contoso.onmicrosoft.com); either goes into the token URL's path.
const TENANT =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63})$/i;
const DCR_ID = /^dcr-[0-9a-f]{32}$/i;
// Stream names are `Custom-<name>` for custom streams and `Microsoft-<Table>`
// for Azure tables (logs-ingestion-api-overview, "Data collection rule").
const STREAM = /^(?:Custom|Microsoft)-[A-Za-z][A-Za-z0-9_]{0,99}$/;
const SCOPE = /^https:\/\/[A-Za-z0-9.-]+\/{1,2}\.default$/;

/**
 * The zod schema of {@linkcode SentinelConfigInput}; the SIEM config schema
 * takes it as its `sentinel` field.
 */
export const SentinelConfigSchema: z.ZodType<
  SentinelConfig,
  SentinelConfigInput
> = z.strictObject({
  tenantId: z.string().regex(
    TENANT,
    "must be the Directory (tenant) ID: a GUID, or the tenant's domain",
  ),
  clientId: z.string().regex(
    GUID,
    "must be the Application (client) ID: a GUID",
  ),
  // Sent URL-encoded in a form: any visible ASCII works; a secret Value is
  // about 40 characters.
  clientSecret: z.string().min(1, "must not be empty").max(
    1024,
    "must be at most 1024 characters",
  ).regex(
    /^[\x21-\x7E]+$/,
    "must be visible ASCII characters without spaces (the secret's Value)",
  ),
  dcrImmutableId: z.string().regex(
    DCR_ID,
    "must be the DCR's immutable ID: dcr- and 32 hex digits",
  ),
  streamName: z.string().regex(
    STREAM,
    "must be the DCR's stream: Custom-<name> (or Microsoft-<Table>), letters, digits and _",
  ).default(DEFAULT_SENTINEL_STREAM),
  authorityHost: z.url({
    protocol: /^https?$/,
    error: "must be an http or https URL",
  }).default(DEFAULT_AUTHORITY_HOST),
  scope: z.string().regex(
    SCOPE,
    "must be a token scope ending in /.default, e.g. https://monitor.azure.com/.default",
  ).default(DEFAULT_SENTINEL_SCOPE),
});

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** The part of a destination config {@linkcode refineSentinel} reads. */
export interface SentinelRefinable {
  /** The destination's platform. */
  platform: string;
  /** Its token (none for Sentinel). */
  token: string;
  /** Its Sentinel settings, if any. */
  sentinel?: SentinelConfig | undefined;
  /** Its `maxBatchBytes`, if set. */
  maxBatchBytes?: number | undefined;
  /** Whether credentials may go over plain http. */
  allowInsecureHttp: boolean;
}

/**
 * The cross-field rules of a Sentinel destination: `sentinel` is set for it
 * and only for it, no `token` beside it, `maxBatchBytes` under the API's
 * 1 MB, and an https login host (plain http only for loopback or with
 * `allowInsecureHttp`, as for endpoints).
 *
 * @param c The config being validated.
 * @param issue Reports a problem with a field.
 */
export function refineSentinel(
  c: SentinelRefinable,
  issue: (path: string, message: string) => void,
): void {
  if (c.platform !== "sentinel") {
    if (c.sentinel !== undefined) {
      issue("sentinel", "is for Sentinel destinations only");
    }
    return;
  }
  if (c.sentinel === undefined) {
    issue(
      "sentinel",
      "must be set: tenantId, clientId, clientSecret and dcrImmutableId",
    );
    return;
  }
  if (c.token !== "") {
    issue(
      "token",
      "must not be set for Sentinel: the client secret goes in sentinel.clientSecret",
    );
  }
  if (
    c.maxBatchBytes !== undefined &&
    c.maxBatchBytes > SENTINEL_MAX_REQUEST_BYTES
  ) {
    issue(
      "maxBatchBytes",
      `must be at most ${SENTINEL_MAX_REQUEST_BYTES} for Sentinel (the Logs Ingestion API's 1 MB per call)`,
    );
  }
  const authority = URL.canParse(c.sentinel.authorityHost)
    ? new URL(c.sentinel.authorityHost)
    : undefined;
  if (authority === undefined) return;
  if (
    authority.search !== "" || authority.hash !== "" ||
    authority.username !== "" || authority.password !== "" ||
    authority.pathname.replace(/\/+$/, "") !== ""
  ) {
    issue(
      "sentinel.authorityHost",
      `must be the login host only, e.g. "${DEFAULT_AUTHORITY_HOST}" (the tenant and /oauth2/v2.0/token are added)`,
    );
  }
  if (
    authority.protocol === "http:" && !c.allowInsecureHttp &&
    !isLoopback(authority.hostname)
  ) {
    issue(
      "sentinel.authorityHost",
      "must use https: the client secret is sent there (set allowInsecureHttp to send it over plain http)",
    );
  }
}

/**
 * The Sentinel settings with the login host written as `URL` writes its
 * origin (no trailing slash), for building the token URL.
 *
 * @param sentinel The validated settings.
 * @returns The same settings, the login host normalized.
 */
export function normalizeSentinel(sentinel: SentinelConfig): SentinelConfig {
  return { ...sentinel, authorityHost: new URL(sentinel.authorityHost).origin };
}

/**
 * Sentinel settings from `SIEM_SENTINEL_*` environment variables, over those
 * of a JSON destination; left to the config's validation to name what is
 * missing or wrong (never quoting the secret).
 *
 * | variable | field |
 * | --- | --- |
 * | `SIEM_SENTINEL_TENANT_ID` | `tenantId` |
 * | `SIEM_SENTINEL_CLIENT_ID` | `clientId` |
 * | `SIEM_SENTINEL_CLIENT_SECRET` | `clientSecret` |
 * | `SIEM_SENTINEL_DCR_ID` | `dcrImmutableId` |
 * | `SIEM_SENTINEL_STREAM` | `streamName` |
 * | `SIEM_SENTINEL_AUTHORITY_HOST` | `authorityHost` |
 * | `SIEM_SENTINEL_SCOPE` | `scope` |
 *
 * @param env The environment variables.
 * @param from The JSON destination's settings, if any.
 * @returns The settings, or `undefined` when no variable is set and there were none.
 */
export function sentinelFromEnv(
  env: Record<string, string | undefined>,
  from: SentinelConfigInput | undefined,
): SentinelConfigInput | undefined {
  const value = (name: string): string | undefined =>
    env[`SIEM_SENTINEL_${name}`] || undefined;
  const names = [
    "TENANT_ID",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "DCR_ID",
    "STREAM",
    "AUTHORITY_HOST",
    "SCOPE",
  ];
  if (from === undefined && names.every((name) => !value(name))) {
    return undefined;
  }
  const config: SentinelConfigInput = {
    tenantId: value("TENANT_ID") ?? from?.tenantId ?? "",
    clientId: value("CLIENT_ID") ?? from?.clientId ?? "",
    clientSecret: value("CLIENT_SECRET") ?? from?.clientSecret ?? "",
    dcrImmutableId: value("DCR_ID") ?? from?.dcrImmutableId ?? "",
  };
  const stream = value("STREAM") ?? from?.streamName;
  if (stream !== undefined) config.streamName = stream;
  const authority = value("AUTHORITY_HOST") ?? from?.authorityHost;
  if (authority !== undefined) config.authorityHost = authority;
  const scope = value("SCOPE") ?? from?.scope;
  if (scope !== undefined) config.scope = scope;
  return config;
}

/**
 * Whether any `SIEM_SENTINEL_*` variable but the URL is set.
 *
 * @param env The environment variables.
 * @returns True when one is.
 */
export function hasSentinelEnv(
  env: Record<string, string | undefined>,
): boolean {
  return Object.entries(env).some(([name, value]) =>
    name.startsWith("SIEM_SENTINEL_") && name !== "SIEM_SENTINEL_URL" &&
    value !== undefined && value !== ""
  );
}
