/**
 * A strict fake Microsoft Entra token endpoint for the OAuth 2.0
 * client-credentials grant with a shared secret,
 * `POST /{tenant}/oauth2/v2.0/token`
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow).
 * It checks the form fields and issues tokens that expire quickly, on its
 * own clock, so that a test can expire them; the fake Logs Ingestion
 * receiver asks it whether a bearer token is valid.
 *
 * Error answers follow the page's error shape (`error`,
 * `error_description` starting with the AADSTS code, `error_codes`,
 * `timestamp`, `trace_id`, `correlation_id`) with the codes Microsoft's
 * troubleshooting pages give for a client secret credential: 7000215
 * invalid secret and 7000222 expired secret (401 `invalid_client`), 700016
 * unknown application, 90002 unknown tenant (400).
 *
 * @module
 */
import {
  FakeReceiver,
  jsonResponse,
  type RecordedRequest,
} from "./fake_receiver.ts";

/** Options of {@linkcode startFakeEntra}. */
export interface FakeEntraOptions {
  /** The tenant accepted (GUID or domain). */
  tenantId: string;
  /** The application (client) id accepted. */
  clientId: string;
  /** The only client secret accepted. */
  clientSecret: string;
  /** The scope accepted. Default `https://monitor.azure.com/.default`. */
  scope?: string;
  /** Lifetime of issued tokens, in seconds (`expires_in`). Default 60. */
  tokenLifetimeSeconds?: number;
  /** The fake's clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** What a bearer token is, for the fake receiver. */
export type TokenState = "valid" | "expired" | "unknown";

interface Issued {
  expiresAt: number;
  scope: string;
}

const TOKEN_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/token$/;
const FIELDS = ["client_id", "scope", "client_secret", "grant_type"];

/** A running fake Entra token endpoint; issued tokens are in `issued`. */
export class FakeEntra extends FakeReceiver {
  readonly #options: Required<FakeEntraOptions>;
  readonly #tokens = new Map<string, Issued>();
  #secretExpired = false;
  #count = 0;

  /** Starts the fake; prefer {@linkcode startFakeEntra}. */
  constructor(options: FakeEntraOptions) {
    super([]);
    this.#options = {
      scope: "https://monitor.azure.com/.default",
      tokenLifetimeSeconds: 60,
      now: Date.now,
      ...options,
    };
  }

  /** How many tokens were issued. */
  get issuedTokens(): number {
    return this.#count;
  }

  /** Every token issued, in order. */
  get tokens(): string[] {
    return [...this.#tokens.keys()];
  }

  /** The fake's current time. */
  now(): number {
    return this.#options.now();
  }

  /** While true, the right secret is answered as expired (AADSTS7000222). */
  expireSecret(expired: boolean): void {
    this.#secretExpired = expired;
  }

  /** Revokes every token issued so far (the receiver then answers 401). */
  revokeAll(): void {
    this.#tokens.clear();
  }

  /**
   * Whether `token` was issued here for `scope` and has not expired.
   *
   * @param token The bearer token.
   * @param scope The audience the receiver belongs to.
   * @returns Its state.
   */
  check(token: string, scope: string): TokenState {
    const issued = this.#tokens.get(token);
    if (issued === undefined || issued.scope !== scope) return "unknown";
    return this.#options.now() < issued.expiresAt ? "valid" : "expired";
  }

  /** The endpoint's answer: path and tenant, form, client, secret, scope. */
  protected handle(request: RecordedRequest): Response {
    const match = TOKEN_PATH.exec(request.path);
    if (request.method !== "POST" || match === null) {
      return jsonResponse(404, { error: "not_found" });
    }
    const tenant = decodeURIComponent(match[1]!);
    if (tenant !== this.#options.tenantId) {
      return entraError(
        400,
        "invalid_request",
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    const type = request.headers.get("content-type")?.split(";")[0]?.trim();
    if (type !== "application/x-www-form-urlencoded") {
      return entraError(
        400,
        "invalid_request",
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
      );
    }
    const form = new URLSearchParams(new TextDecoder().decode(request.body));
    for (const field of FIELDS) {
      if (form.getAll(field).length !== 1) {
        return entraError(
          400,
          "invalid_request",
          900144,
          `The request body must contain the following parameter: '${field}'.`,
        );
      }
    }
    const unknown = [...form.keys()].find((key) => !FIELDS.includes(key));
    if (unknown !== undefined) {
      return entraError(
        400,
        "invalid_request",
        90014,
        `The fake does not take the field '${unknown}'.`,
      );
    }
    if (form.get("grant_type") !== "client_credentials") {
      return entraError(
        400,
        "unsupported_grant_type",
        70003,
        "The app requested an unsupported grant type.",
      );
    }
    if (form.get("client_id") !== this.#options.clientId) {
      return entraError(
        400,
        "unauthorized_client",
        700016,
        `Application with identifier '${
          form.get("client_id")
        }' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    if (form.get("client_secret") !== this.#options.clientSecret) {
      return entraError(
        401,
        "invalid_client",
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${this.#options.clientId}'.`,
      );
    }
    if (this.#secretExpired) {
      return entraError(
        401,
        "invalid_client",
        7000222,
        `The provided client secret keys for app '${this.#options.clientId}' are expired. Visit the Azure portal to create new keys for your app.`,
      );
    }
    const scope = form.get("scope")!;
    if (scope !== this.#options.scope) {
      return entraError(
        400,
        "invalid_scope",
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    this.#count++;
    const token = `eyJ0eXAiOiJKV1Qi.fake-${this.#count}-${crypto.randomUUID()}`;
    this.#tokens.set(token, {
      expiresAt: this.#options.now() +
        this.#options.tokenLifetimeSeconds * 1000,
      scope,
    });
    return jsonResponse(200, {
      token_type: "Bearer",
      expires_in: this.#options.tokenLifetimeSeconds,
      ext_expires_in: this.#options.tokenLifetimeSeconds,
      access_token: token,
    });
  }

  /** Entra's error body for an injected status. */
  protected faultResponse(status: number): Response {
    if (status < 300) return jsonResponse(status, {});
    return entraError(
      status,
      status === 429 ? "temporarily_unavailable" : "server_error",
      status === 429 ? 50196 : 90033,
      "A transient error has occurred. Please try again.",
    );
  }
}

/** Starts a fake Entra token endpoint on 127.0.0.1 (free port). */
export function startFakeEntra(options: FakeEntraOptions): FakeEntra {
  return new FakeEntra(options);
}

function entraError(
  status: number,
  error: string,
  code: number,
  text: string,
): Response {
  const trace = crypto.randomUUID();
  return jsonResponse(status, {
    error,
    error_description:
      `AADSTS${code}: ${text} Trace ID: ${trace} Correlation ID: ${crypto.randomUUID()} Timestamp: ${
        new Date().toISOString().replace("T", " ").slice(0, 19)
      }Z`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: trace,
    correlation_id: crypto.randomUUID(),
  });
}
