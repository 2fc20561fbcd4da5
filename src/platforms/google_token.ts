/**
 * Google OAuth 2.0 access tokens for a service account, with `fetch` and
 * WebCrypto only (so it runs on Workers, Deno, Bun and Node alike).
 *
 * The flow, from "Using OAuth 2.0 for Server to Server Applications"
 * (https://developers.google.com/identity/protocols/oauth2/service-account,
 * "Preparing to make an authorized API call" › "HTTP/REST"):
 * 1. a JWT with header `{"alg":"RS256","typ":"JWT"}` and claims `iss` (the
 *    service account's e-mail), `scope` (space-delimited), `aud` (the token
 *    endpoint, "always https://oauth2.googleapis.com/token" for Google's),
 *    `iat` and `exp` ("a maximum of 1 hour after the issued time"), signed
 *    "using SHA256withRSA (also known as RSASSA-PKCS1-V1_5-SIGN with the
 *    SHA-256 hash function)" with the key's `private_key`;
 * 2. `POST` to the token endpoint, form-encoded:
 *    `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>`;
 * 3. the answer `{"access_token","token_type":"Bearer","expires_in"}`;
 *    errors are `{"error","error_description"}` (e.g. 400 `invalid_grant`).
 * "Access tokens expire": a new one is fetched before that.
 *
 * @module
 */
import type { GoogleServiceAccountCredentials } from "./google_secops_config.ts";
import { pemBody } from "./google_secops_config.ts";
import { excerpt, isTransientStatus, networkErrorText } from "./verdict.ts";
import { redactSecrets } from "./redact.ts";

/** The JWT assertion's lifetime: Google takes at most one hour. */
const ASSERTION_LIFETIME_S = 3600;
/** Refresh a token this long before it expires, at most (a fifth of its life for short ones). */
const REFRESH_MARGIN_MS = 5 * 60_000;
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/**
 * A token could not be obtained. `setup` says what an operator must fix
 * (a key that does not parse, a key or account the endpoint refuses); it is
 * `undefined` for a transient failure (a network error, 429, 5xx).
 */
export class GoogleTokenError extends Error {
  /** What to check, when the failure needs an operator. */
  readonly setup: string | undefined;
  /** The token endpoint's HTTP status, or 0 when none answered. */
  readonly status: number;

  /**
   * Creates the error.
   *
   * @param message What happened (never the key or a token).
   * @param setup What to check, if an operator must act.
   * @param status The token endpoint's status, or 0.
   */
  constructor(message: string, setup: string | undefined, status = 0) {
    super(message);
    this.name = "GoogleTokenError";
    this.setup = setup;
    this.status = status;
  }
}

interface CachedToken {
  value: string;
  refreshAtMs: number;
}

const encoder = new TextEncoder();

function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) {
    binary += String.fromCharCode(bytes[i] as number);
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Signs an RS256 JWT with a PKCS#8 PEM key through WebCrypto.
 *
 * @param claims The claim set.
 * @param privateKeyPem The PEM private key.
 * @returns The compact JWT.
 * @throws {GoogleTokenError} When the key cannot be imported.
 */
export async function signGoogleJwt(
  claims: Record<string, unknown>,
  privateKeyPem: string,
): Promise<string> {
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey(
      "pkcs8",
      decodeBase64(pemBody(privateKeyPem)),
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["sign"],
    );
  } catch {
    // The runtime's message may quote part of the key: say what, not how.
    throw new GoogleTokenError(
      "cannot read the service account's private key (not an RSA PKCS#8 key)",
      "check the service-account key: private_key must be the RSA key of the JSON key file, unchanged",
    );
  }
  const input = `${
    base64Url(encoder.encode(JSON.stringify({ alg: "RS256", typ: "JWT" })))
  }.${base64Url(encoder.encode(JSON.stringify(claims)))}`;
  const signature = await crypto.subtle.sign(
    "RSASSA-PKCS1-v1_5",
    key,
    encoder.encode(input),
  );
  return `${input}.${base64Url(new Uint8Array(signature))}`;
}

/**
 * A service account's access tokens: one cached at a time, refreshed before
 * it expires, and fetched once for any number of concurrent callers.
 */
export class GoogleTokenSource {
  readonly #credentials: GoogleServiceAccountCredentials;
  readonly #scope: string;
  #cached: CachedToken | undefined;
  #pending: Promise<string> | undefined;
  // The last tokens and assertion: credentials while they live, so they are
  // redacted from whatever Google or a proxy answers.
  #issued: string[] = [];

  /**
   * Creates the source; nothing is fetched until {@linkcode token}.
   *
   * @param credentials The service account.
   * @param scope The OAuth scope.
   */
  constructor(credentials: GoogleServiceAccountCredentials, scope: string) {
    this.#credentials = credentials;
    this.#scope = scope;
  }

  /** The latest tokens and assertion issued (to redact). */
  get issued(): readonly string[] {
    return this.#issued;
  }

  /** The cached token, if any, whether or not it is due for refresh. */
  get current(): string | undefined {
    return this.#cached?.value;
  }

  /**
   * A valid access token: the cached one, or a new one when there is none
   * or it is due for refresh; concurrent calls share one request.
   *
   * @param nowMs The current time.
   * @param doFetch The `fetch` to use.
   * @param signal Aborts the token request.
   * @param timeoutMs The token request's time limit.
   * @returns The access token.
   * @throws {GoogleTokenError} When no token can be obtained.
   */
  token(
    nowMs: number,
    doFetch: typeof fetch,
    signal: AbortSignal | undefined,
    timeoutMs: number,
  ): Promise<string> {
    const cached = this.#cached;
    if (cached && nowMs < cached.refreshAtMs) {
      return Promise.resolve(cached.value);
    }
    this.#pending ??= this.#fetchToken(nowMs, doFetch, signal, timeoutMs)
      .finally(() => {
        this.#pending = undefined;
      });
    return this.#pending;
  }

  /**
   * Forgets the cached token if it is `token` (the API refused it), so the
   * next call fetches a new one.
   *
   * @param token The refused token; default: whichever is cached.
   */
  invalidate(token?: string): void {
    if (token === undefined || this.#cached?.value === token) {
      this.#cached = undefined;
    }
  }

  async #fetchToken(
    nowMs: number,
    doFetch: typeof fetch,
    signal: AbortSignal | undefined,
    timeoutMs: number,
  ): Promise<string> {
    const {
      client_email: clientEmail,
      private_key: privateKey,
      token_uri: tokenUri,
    } = this.#credentials;
    const iat = Math.floor(nowMs / 1000);
    const assertion = await signGoogleJwt({
      iss: clientEmail,
      scope: this.#scope,
      aud: tokenUri,
      iat,
      exp: iat + ASSERTION_LIFETIME_S,
    }, privateKey);
    this.#remember(assertion);
    const secrets = [privateKey, pemBody(privateKey), ...this.#issued];
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await doFetch(tokenUri, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: JWT_BEARER, assertion })
          .toString(),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        redirect: "manual",
      });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new GoogleTokenError(
        timeout.aborted
          ? `token request timed out after ${timeoutMs} ms`
          : `token request failed: network error: ${
            excerpt(redactSecrets(networkErrorText(error), secrets))
          }`,
        undefined,
      );
    }
    const clean = redactSecrets(text, secrets);
    let body: Record<string, unknown> | undefined;
    try {
      const parsed = JSON.parse(text);
      if (typeof parsed === "object" && parsed !== null) body = parsed;
    } catch {
      body = undefined;
    }
    const status = response.status;
    if (status === 200 && typeof body?.access_token === "string") {
      const value = body.access_token;
      const lifetimeMs = typeof body.expires_in === "number" &&
          body.expires_in > 0
        ? body.expires_in * 1000
        : ASSERTION_LIFETIME_S * 1000;
      this.#remember(value);
      this.#cached = {
        value,
        refreshAtMs: nowMs + lifetimeMs -
          Math.min(REFRESH_MARGIN_MS, lifetimeMs / 5),
      };
      return value;
    }
    const error = typeof body?.error === "string"
      ? redactSecrets(
        [body.error, body.error_description].filter((part) =>
          typeof part === "string" && part !== ""
        ).join(": "),
        secrets,
      )
      : excerpt(clean) || "(empty body)";
    const reason = `token endpoint answered HTTP ${status}: ${excerpt(error)}`;
    if (isTransientStatus(status)) {
      throw new GoogleTokenError(reason, undefined, status);
    }
    throw new GoogleTokenError(
      reason,
      status === 200
        ? "the token endpoint answered without an access_token: check token_uri in the service-account key"
        : `Google refused the service-account key (${
          typeof body?.error === "string" ? body.error : `HTTP ${status}`
        }): check that the key is current (not deleted or disabled), that the service account exists, and the machine's clock`,
      status,
    );
  }

  #remember(secret: string): void {
    // Two of each kind is enough: the one in use and the one before it.
    this.#issued = [secret, ...this.#issued].slice(0, 4);
  }
}
