/**
 * Microsoft Entra access tokens by the OAuth 2.0 client-credentials grant,
 * with `fetch` only: requested once, shared by concurrent batches, and
 * renewed before they expire.
 *
 * Wire contract ("Microsoft identity platform and the OAuth 2.0 client
 * credentials flow", "First case: Access token request with a shared
 * secret",
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow):
 * `POST {authority}/{tenant}/oauth2/v2.0/token` with
 * `Content-Type: application/x-www-form-urlencoded` and the form fields
 * `client_id`, `scope`, `client_secret` and `grant_type=client_credentials`.
 * Success is 200 `{"token_type":"Bearer","expires_in":3599,"access_token":…}`;
 * an error is `{"error","error_description","error_codes",…}` (400 for a bad
 * request, 401 for `invalid_client`). The AADSTS codes read below are the
 * ones Microsoft's troubleshooting pages name for a client secret
 * credential (https://learn.microsoft.com/azure/developer/java/sdk/troubleshooting-authentication-service-principal):
 * 7000215 invalid secret, 7000222 expired secret, 700016 application not
 * found in the tenant; and the tenant errors of
 * https://learn.microsoft.com/entra/identity-platform/reference-error-codes
 * (90002 tenant not found, 900023 tenant identifier not valid).
 *
 * @module
 */
import type { SentinelConfig } from "./sentinel_config.ts";
import { redactSecrets } from "./redact.ts";
import { excerpt, isTransientStatus, networkErrorText } from "./verdict.ts";

/**
 * The most time before its expiry at which a token is renewed: 5 minutes,
 * as Microsoft's client libraries refresh. A token that lives less than
 * twice this is renewed at half its life.
 */
export const TOKEN_REFRESH_MARGIN_MS = 300_000;

// Tokens kept for redaction after they are replaced: requests made with
// one may still be answered after the next is issued.
const RETIRED_KEPT = 4;

/**
 * A token request that failed. `setup` is set when the answer shows a
 * setup error an operator must fix (tenant, client id or secret), and left
 * out for a failure that may pass on its own (a network error, 429, 5xx).
 * The message never holds the client secret or a token.
 */
export class EntraTokenError extends Error {
  /** What an operator should check, for a setup error. */
  readonly setup: string | undefined;
  /** The token endpoint's HTTP status, or 0 when no answer came. */
  readonly status: number;

  /**
   * Creates the error.
   *
   * @param message What happened.
   * @param status The HTTP status, or 0.
   * @param setup What to check, for a setup error.
   */
  constructor(message: string, status: number, setup?: string) {
    super(message);
    this.name = "EntraTokenError";
    this.status = status;
    this.setup = setup;
  }
}

interface CachedToken {
  value: string;
  /** When it is renewed, in epoch ms. */
  renewAt: number;
  /** When it expires, in epoch ms. */
  expiresAt: number;
}

/** How one token request is made. */
export interface TokenRequestOptions {
  /** The `fetch` to use. */
  fetch: typeof fetch;
  /** The current time, in epoch ms. */
  nowMs: number;
  /** Time limit of the request, in ms. */
  timeoutMs: number;
  /** Aborts the request. */
  signal?: AbortSignal | undefined;
}

/**
 * The token endpoint's URL for a tenant.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { entraTokenUrl } from "./entra_token.ts";
 *
 * assert.equal(
 *   entraTokenUrl("https://login.microsoftonline.com", "contoso.onmicrosoft.com"),
 *   "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
 * );
 * ```
 *
 * @param authorityHost The login host, e.g. `https://login.microsoftonline.com`.
 * @param tenantId The tenant's GUID or domain.
 * @returns The URL.
 */
export function entraTokenUrl(authorityHost: string, tenantId: string): string {
  return `${authorityHost.replace(/\/+$/, "")}/${
    encodeURIComponent(tenantId)
  }/oauth2/v2.0/token`;
}

/**
 * The client-credentials form of a token request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { entraTokenForm } from "./entra_token.ts";
 *
 * assert.equal(
 *   entraTokenForm({
 *     clientId: "00000000-0000-0000-0000-000000000001",
 *     clientSecret: "s~3cret",
 *     scope: "https://monitor.azure.com/.default",
 *   }),
 *   "client_id=00000000-0000-0000-0000-000000000001&scope=https%3A%2F%2Fmonitor.azure.com%2F.default&client_secret=s%7E3cret&grant_type=client_credentials",
 * );
 * ```
 *
 * @param credentials The client id, secret and scope.
 * @returns The form, URL-encoded.
 */
export function entraTokenForm(
  credentials: Pick<SentinelConfig, "clientId" | "clientSecret" | "scope">,
): string {
  return new URLSearchParams({
    client_id: credentials.clientId,
    scope: credentials.scope,
    client_secret: credentials.clientSecret,
    grant_type: "client_credentials",
  }).toString();
}

/**
 * Gets and caches the access token of one app registration. Concurrent
 * callers share one request (single flight); a cached token is renewed
 * {@linkcode TOKEN_REFRESH_MARGIN_MS} before it expires (half its life for
 * short-lived tokens). The token is never logged; {@linkcode current} exists
 * only so that it can be redacted from answers.
 *
 * @example A token is asked for once, then served from the cache
 * ```ts
 * import assert from "node:assert/strict";
 * import { EntraTokenCache } from "@harombe/siem/exporters";
 *
 * let requests = 0;
 * const fakeFetch: typeof fetch = () => {
 *   requests++;
 *   return Promise.resolve(Response.json({
 *     token_type: "Bearer",
 *     expires_in: 3599,
 *     access_token: "token-1",
 *   }));
 * };
 * const cache = new EntraTokenCache({
 *   tenantId: "contoso.onmicrosoft.com",
 *   clientId: "00000000-0000-0000-0000-000000000001",
 *   clientSecret: "secret",
 *   dcrImmutableId: "dcr-00000000000000000000000000000000",
 *   streamName: "Custom-HarombeSecurity",
 *   authorityHost: "https://login.microsoftonline.com",
 *   scope: "https://monitor.azure.com/.default",
 * });
 * const options = { fetch: fakeFetch, nowMs: 0, timeoutMs: 10_000 };
 * const [a, b] = await Promise.all([cache.get(options), cache.get(options)]);
 * assert.equal(a, "token-1");
 * assert.equal(b, "token-1");
 * assert.equal(requests, 1);
 * ```
 */
export class EntraTokenCache {
  readonly #config: SentinelConfig;
  #token: CachedToken | undefined;
  #retired: readonly string[] = [];
  #pending: Promise<CachedToken> | undefined;

  /**
   * Creates the cache; nothing is requested until {@linkcode get}.
   *
   * @param config The Sentinel settings (tenant, client, secret, scope, login host).
   */
  constructor(config: SentinelConfig) {
    this.#config = config;
  }

  /** The URL tokens are requested from. */
  get url(): string {
    return entraTokenUrl(this.#config.authorityHost, this.#config.tenantId);
  }

  /** The token held now, if any, for redaction only. */
  get current(): string | undefined {
    return this.#token?.value;
  }

  /**
   * The token held now and the last ones dropped or replaced, for redaction
   * only: an answer to a request made with a token that was refused (401)
   * and forgotten meanwhile still has it taken out.
   */
  get recent(): readonly string[] {
    const current = this.#token?.value;
    return current === undefined ? this.#retired : [current, ...this.#retired];
  }

  #retire(token: CachedToken | undefined): void {
    if (token === undefined) return;
    this.#retired = [token.value, ...this.#retired].slice(0, RETIRED_KEPT);
  }

  /**
   * A valid token: the cached one, or a new one when there is none or it is
   * due for renewal. Callers that ask while a request is on its way share it.
   *
   * @param options The `fetch`, the current time and the time limit.
   * @returns The access token.
   * @throws {EntraTokenError} When no token can be had.
   */
  async get(options: TokenRequestOptions): Promise<string> {
    const cached = this.#token;
    if (cached !== undefined && options.nowMs < cached.renewAt) {
      return cached.value;
    }
    this.#pending ??= this.#request(options).finally(() => {
      this.#pending = undefined;
    });
    try {
      return (await this.#pending).value;
    } catch (error) {
      // A token due for renewal but not yet expired still serves when its
      // renewal fails: the failure is met again at the next renewal.
      const still = this.#token;
      if (
        still !== undefined && still === cached &&
        options.nowMs < still.expiresAt && !options.signal?.aborted
      ) {
        return still.value;
      }
      throw error;
    }
  }

  /**
   * Forgets a token the API refused (401), so that the next request gets a
   * new one. A newer token than `value` is kept.
   *
   * @param value The refused token; default: whatever is cached.
   */
  invalidate(value?: string): void {
    if (value === undefined || this.#token?.value === value) {
      this.#retire(this.#token);
      this.#token = undefined;
    }
  }

  async #request(options: TokenRequestOptions): Promise<CachedToken> {
    const secrets = [this.#config.clientSecret];
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal
      ? AbortSignal.any([options.signal, timeout])
      : timeout;
    // Called unbound: workerd's fetch throws "Illegal invocation" when
    // called as a method of another object.
    const doFetch = options.fetch;
    let response: Response;
    let text: string;
    try {
      response = await doFetch(this.url, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/json",
        },
        body: entraTokenForm(this.#config),
        signal,
        // A redirect would carry the client secret to another host.
        redirect: "manual",
      });
      text = redactSecrets(await response.text(), secrets);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw new EntraTokenError(
        timeout.aborted
          ? `Entra token request timed out after ${options.timeoutMs} ms`
          : `Entra token request failed: network error: ${
            excerpt(redactSecrets(networkErrorText(error), secrets))
          }`,
        0,
      );
    }
    const json = parseObject(text);
    if (response.status === 200 && json !== undefined) {
      const value = json.access_token;
      const expiresIn = Number(json.expires_in);
      if (
        typeof value === "string" && /^[\x21-\x7E]+$/.test(value) &&
        Number.isFinite(expiresIn) && expiresIn > 0
      ) {
        const lifeMs = expiresIn * 1000;
        const token = {
          value,
          expiresAt: options.nowMs + lifeMs,
          renewAt: options.nowMs + lifeMs -
            Math.min(TOKEN_REFRESH_MARGIN_MS, lifeMs / 2),
        };
        if (this.#token?.value !== value) this.#retire(this.#token);
        this.#token = token;
        return token;
      }
    }
    throw entraTokenFailure(response.status, text, this.#config);
  }
}

/**
 * The error for a token endpoint's answer that holds no token: a setup
 * error naming what to fix for Entra's own error answers (tenant, client
 * id, secret, scope) and for an answer that is not Entra's; a plain error
 * for 408, 429 and 5xx, which may pass on their own.
 *
 * @example An invalid secret
 * ```ts
 * import assert from "node:assert/strict";
 * import { entraTokenFailure } from "./entra_token.ts";
 *
 * const error = entraTokenFailure(
 *   401,
 *   JSON.stringify({
 *     error: "invalid_client",
 *     error_description: "AADSTS7000215: Invalid client secret provided.",
 *     error_codes: [7000215],
 *   }),
 *   {
 *     tenantId: "contoso.onmicrosoft.com",
 *     clientId: "00000000-0000-0000-0000-000000000001",
 *     authorityHost: "https://login.microsoftonline.com",
 *     scope: "https://monitor.azure.com/.default",
 *   },
 * );
 * assert.match(error.setup ?? "", /client secret is wrong/);
 * ```
 *
 * @param status The HTTP status.
 * @param text The answer's body, the secret already taken out.
 * @param config The tenant, client id, login host and scope, for the hint.
 * @returns The error.
 */
export function entraTokenFailure(
  status: number,
  text: string,
  config: Pick<
    SentinelConfig,
    "tenantId" | "clientId" | "authorityHost" | "scope"
  >,
): EntraTokenError {
  const json = parseObject(text);
  const described = json === undefined ? undefined : describeError(json);
  const said = described ?? (excerpt(text) || "(empty body)");
  const message = `Entra token request failed (HTTP ${status}): ${said}`;
  if (status >= 300 && status < 400) {
    return new EntraTokenError(
      message,
      status,
      `the token endpoint redirects: check sentinel.authorityHost (${config.authorityHost})`,
    );
  }
  if (isTransientStatus(status)) return new EntraTokenError(message, status);
  if (json === undefined || described === undefined) {
    return new EntraTokenError(
      message,
      status,
      `the answer is not Microsoft Entra's: check sentinel.authorityHost (${config.authorityHost}) and any proxy in front of it`,
    );
  }
  return new EntraTokenError(message, status, credentialHint(json, config));
}

// What to fix for an Entra error answer, by its AADSTS code.
function credentialHint(
  json: Record<string, unknown>,
  config: Pick<
    SentinelConfig,
    "tenantId" | "clientId" | "authorityHost" | "scope"
  >,
): string {
  const codes = Array.isArray(json.error_codes)
    ? json.error_codes.map(Number)
    : [];
  const description = typeof json.error_description === "string"
    ? json.error_description
    : "";
  const has = (code: number): boolean =>
    codes.includes(code) || description.includes(`AADSTS${code}:`);
  if (has(7000222)) {
    return "the client secret has expired: add a new secret to the app registration (Certificates & secrets) and set sentinel.clientSecret (SIEM_SENTINEL_CLIENT_SECRET) to its Value";
  }
  if (has(7000215)) {
    return "the client secret is wrong: set sentinel.clientSecret (SIEM_SENTINEL_CLIENT_SECRET) to the secret's Value, not its Secret ID";
  }
  if (has(700016)) {
    return `no application with client id ${config.clientId} in tenant ${config.tenantId}: check sentinel.clientId (the Application (client) ID) and sentinel.tenantId (the Directory (tenant) ID)`;
  }
  if (has(90002) || has(900023) || has(90013)) {
    return `tenant ${config.tenantId} is not known to ${config.authorityHost}: check sentinel.tenantId (the Directory (tenant) ID) and, for a national cloud, sentinel.authorityHost`;
  }
  if (json.error === "invalid_scope" || has(1002012) || has(70011)) {
    return `the scope ${config.scope} is refused: check sentinel.scope (https://monitor.azure.com/.default in Azure's public cloud)`;
  }
  return "check sentinel.tenantId, sentinel.clientId and sentinel.clientSecret (the app registration's Directory (tenant) ID, Application (client) ID and a secret's Value)";
}

function describeError(json: Record<string, unknown>): string | undefined {
  if (typeof json.error !== "string") return undefined;
  const description = typeof json.error_description === "string"
    ? json.error_description.split(/\r?\n/)[0]?.trim() ?? ""
    : "";
  return excerpt(description ? `${json.error}: ${description}` : json.error);
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? value as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}
