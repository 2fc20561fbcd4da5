/**
 * A strict fake Google OAuth 2.0 token endpoint for service accounts
 * (https://developers.google.com/identity/protocols/oauth2/service-account):
 * it verifies the JWT's RS256 signature with the public half of a key made
 * at test time, checks every claim, and issues tokens that expire on its
 * own clock.
 *
 * @module
 */
import {
  FakeReceiver,
  jsonResponse,
  type RecordedRequest,
} from "./fake_receiver.ts";
import type { GoogleServiceAccountKey } from "../../src/platforms/google_secops_config.ts";

/** The path the fake takes token requests at. */
export const TOKEN_PATH = "/token";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const SCOPE = "https://www.googleapis.com/auth/cloud-platform";

/** A service-account key made for one test, and its public half. */
export interface TestServiceAccount {
  /** The JSON key file's fields, `token_uri` pointing at the fake. */
  key: GoogleServiceAccountKey;
  /** The public key the fake verifies signatures with. */
  publicKey: CryptoKey;
}

function pem(der: ArrayBuffer): string {
  const base64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  return `-----BEGIN PRIVATE KEY-----\n${
    base64.match(/.{1,64}/g)!.join("\n")
  }\n-----END PRIVATE KEY-----\n`;
}

/**
 * Makes an RSA key pair (2048 bits) and a key file for it.
 *
 * @param tokenUri The fake's token URL.
 * @param email The service account's e-mail.
 * @returns The key file and the public key.
 */
export async function makeServiceAccount(
  tokenUri: string,
  email = "siem-writer@test-project.iam.gserviceaccount.com",
): Promise<TestServiceAccount> {
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const der = await crypto.subtle.exportKey("pkcs8", pair.privateKey);
  return {
    key: {
      type: "service_account",
      project_id: "test-project",
      private_key_id: "0123456789abcdef",
      client_email: email,
      private_key: pem(der),
      token_uri: tokenUri,
    } as GoogleServiceAccountKey,
    publicKey: pair.publicKey,
  };
}

function decodeSegment(segment: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) throw new Error("not base64url");
  const base64 = segment.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - base64.length % 4) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** Options of {@linkcode FakeGoogleToken}. */
export interface FakeGoogleTokenOptions {
  /** The service account's e-mail (`iss`). */
  email: string;
  /** Verifies signatures; replaced by {@linkcode FakeGoogleToken.trust}. */
  publicKey?: CryptoKey | undefined;
  /** Token lifetime in seconds (`expires_in`). Default 3600. */
  lifetimeS?: number | undefined;
  /** The clock tokens expire on. Default `Date.now`. */
  now?: (() => number) | undefined;
  /**
   * How much earlier than `expires_in` says tokens really expire (clock
   * skew, time in transit), in ms. Default 0.
   */
  skewMs?: number | undefined;
}

/** A running fake token endpoint. */
export class FakeGoogleToken extends FakeReceiver {
  /** Every token issued, with its expiry (ms on the fake's clock). */
  readonly issued = new Map<string, number>();
  /** Token requests refused, with the reason given. */
  readonly refusals: string[] = [];
  readonly #email: string;
  #publicKey: CryptoKey | undefined;
  #lifetimeS: number;
  readonly #now: () => number;
  readonly #skewMs: number;
  #count = 0;

  /** Starts the fake. */
  constructor(options: FakeGoogleTokenOptions) {
    super([]);
    this.#email = options.email;
    this.#publicKey = options.publicKey;
    this.#lifetimeS = options.lifetimeS ?? 3600;
    this.#now = options.now ?? Date.now;
    this.#skewMs = options.skewMs ?? 0;
  }

  /** The token URL (`token_uri`). */
  get tokenUri(): string {
    return `${this.url}${TOKEN_PATH}`;
  }

  /** Trusts this public key from now on (a rotated or revoked key). */
  trust(publicKey: CryptoKey): void {
    this.#publicKey = publicKey;
  }

  /** Sets the lifetime of the next tokens. */
  set lifetimeS(seconds: number) {
    this.#lifetimeS = seconds;
  }

  /** Whether `token` was issued here and has not expired. */
  isValid(token: string): boolean {
    const expiry = this.issued.get(token);
    return expiry !== undefined && this.#now() < expiry;
  }

  /** The endpoint's checks, in the order Google documents the request. */
  protected async handle(request: RecordedRequest): Promise<Response> {
    if (request.method !== "POST" || request.path !== TOKEN_PATH) {
      return jsonResponse(404, { error: "not_found" });
    }
    const type = request.headers.get("content-type")?.split(";")[0];
    if (type !== "application/x-www-form-urlencoded") {
      return this.#refuse("invalid_request", "Bad Request");
    }
    const form = new URLSearchParams(new TextDecoder().decode(request.body));
    if ([...form.keys()].sort().join() !== "assertion,grant_type") {
      return this.#refuse("invalid_request", "Unexpected form fields");
    }
    if (form.get("grant_type") !== JWT_BEARER) {
      return this.#refuse("unsupported_grant_type", "Invalid grant_type");
    }
    const parts = (form.get("assertion") ?? "").split(".");
    if (parts.length !== 3) {
      return this.#refuse(
        "invalid_grant",
        "Invalid JWT: Token must be a short-lived token",
      );
    }
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    let signature: Uint8Array<ArrayBuffer>;
    try {
      header = JSON.parse(new TextDecoder().decode(decodeSegment(parts[0]!)));
      claims = JSON.parse(new TextDecoder().decode(decodeSegment(parts[1]!)));
      signature = decodeSegment(parts[2]!);
    } catch {
      return this.#refuse("invalid_grant", "Invalid JWT");
    }
    if (header.alg !== "RS256" || header.typ !== "JWT") {
      return this.#refuse("invalid_grant", "Invalid JWT header");
    }
    const valid = this.#publicKey !== undefined &&
      await crypto.subtle.verify(
        "RSASSA-PKCS1-v1_5",
        this.#publicKey,
        signature,
        new TextEncoder().encode(`${parts[0]}.${parts[1]}`),
      );
    if (!valid) return this.#refuse("invalid_grant", "Invalid JWT Signature.");
    const nowS = Math.floor(this.#now() / 1000);
    const { iss, scope, aud, iat, exp } = claims;
    if (
      Object.keys(claims).sort().join() !== "aud,exp,iat,iss,scope"
    ) return this.#refuse("invalid_grant", "Unexpected claims");
    if (iss !== this.#email) {
      return this.#refuse("invalid_grant", "Invalid email or User ID");
    }
    if (aud !== this.tokenUri) {
      return this.#refuse("invalid_grant", "Invalid JWT: aud");
    }
    if (typeof scope !== "string" || !scope.split(" ").includes(SCOPE)) {
      return this.#refuse("invalid_scope", "Invalid OAuth scope");
    }
    if (
      typeof iat !== "number" || typeof exp !== "number" || exp <= iat ||
      exp - iat > 3600 || Math.abs(iat - nowS) > 300 || exp <= nowS
    ) {
      return this.#refuse(
        "invalid_grant",
        "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
      );
    }
    const token = `ya29.fake-${++this.#count}-${crypto.randomUUID()}`;
    this.issued.set(
      token,
      this.#now() + this.#lifetimeS * 1000 - this.#skewMs,
    );
    return jsonResponse(200, {
      access_token: token,
      expires_in: this.#lifetimeS,
      token_type: "Bearer",
    });
  }

  #refuse(error: string, description: string): Response {
    this.refusals.push(`${error}: ${description}`);
    return jsonResponse(400, { error, error_description: description });
  }

  /** Google's OAuth error body for an injected status. */
  protected faultResponse(status: number): Response {
    return jsonResponse(status, {
      error: status >= 500 ? "internal_failure" : "invalid_grant",
      error_description: `injected HTTP ${status}`,
    });
  }
}

/** Starts a fake token endpoint. */
export function startFakeGoogleToken(
  options: FakeGoogleTokenOptions,
): FakeGoogleToken {
  return new FakeGoogleToken(options);
}
