/**
 * The Google Security Operations (Chronicle) part of a destination's
 * configuration: the service-account key, and where in Chronicle the logs
 * go (project, location, instance, log type, namespace, labels).
 *
 * Sources:
 * - The service-account JSON key's fields (`client_email`, `private_key`,
 *   `token_uri`) and the token exchange: "Using OAuth 2.0 for Server to
 *   Server Applications",
 *   https://developers.google.com/identity/protocols/oauth2/service-account
 * - The parent path and its parts: `logs.import`,
 *   https://cloud.google.com/chronicle/docs/reference/rest/v1beta/projects.locations.instances.logTypes.logs/import
 *   ("Format: projects/{project}/locations/{location}/instances/{instance}/logTypes/{logType}",
 *   `logs.list` on the same tree).
 *
 * @module
 */
import { z } from "zod";

/** Google's token endpoint, the default `token_uri` of a service-account key. */
export const GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token";

/**
 * The OAuth scope asked for: `logs.import` "Requires the following OAuth
 * scope: https://www.googleapis.com/auth/cloud-platform"
 * (https://cloud.google.com/chronicle/docs/reference/rest/v1beta/projects.locations.instances.logTypes.logs/import).
 */
export const GOOGLE_SECOPS_SCOPE =
  "https://www.googleapis.com/auth/cloud-platform";

/**
 * The largest `logs:import` request body sent, 4 MB. No reference page
 * states it: Google's own ingestion scripts (chronicle/ingestion-scripts,
 * `common/ingest_v1.py`) cap a request at "4 MB" and keep under 3.95 MB
 * (next-destinations §2.4, marked UNCONFIRMED there and here).
 */
export const GOOGLE_SECOPS_MAX_REQUEST_BYTES = 4_000_000;

/**
 * A service-account key as Google's console downloads it (the JSON file);
 * only these fields are read, the others (`type`, `project_id`,
 * `private_key_id`…) are ignored.
 */
export interface GoogleServiceAccountKey {
  /** The service account's e-mail address: the JWT's `iss`. */
  client_email: string;
  /** The PKCS#8 private key, PEM (`-----BEGIN PRIVATE KEY-----…`). */
  private_key: string;
  /** The token endpoint; default `https://oauth2.googleapis.com/token`. */
  token_uri?: string | undefined;
}

/** A Google SecOps destination's settings, as written by the caller. */
export interface GoogleSecOpsConfigInput {
  /**
   * The service-account key: the JSON key file's text, or the parsed
   * object. Its private key is a credential: it is redacted from every
   * reason, log and report.
   */
  credentials: string | GoogleServiceAccountKey;
  /** The Google Cloud project bound to the SecOps instance (id or number). */
  project: string;
  /** The instance's location (region), e.g. `us`, `europe`, `europe-west2`. */
  location: string;
  /** The SecOps instance: the customer id (a UUID) shown in SIEM Settings › Profile. */
  instance: string;
  /** The log type the logs are parsed as, e.g. a custom `HAROMBE_AUDIT`. */
  logType: string;
  /** The environment namespace tagged on every log; default: none. */
  namespace?: string | undefined;
  /** Labels added to every log; default none. */
  labels?: Record<string, string> | undefined;
}

/**
 * The validated service-account credentials: the key file's fields that
 * are used, under the key file's names (so a validated config is valid
 * input again).
 */
export interface GoogleServiceAccountCredentials {
  /** The service account's e-mail address. */
  client_email: string;
  /** The PKCS#8 PEM private key. */
  private_key: string;
  /** The token endpoint. */
  token_uri: string;
}

/** A validated Google SecOps destination's settings. */
export interface GoogleSecOpsConfig {
  /** The service-account credentials. */
  credentials: GoogleServiceAccountCredentials;
  /** The Google Cloud project. */
  project: string;
  /** The instance's location. */
  location: string;
  /** The SecOps instance (customer id). */
  instance: string;
  /** The log type. */
  logType: string;
  /** The environment namespace, if any. */
  namespace?: string | undefined;
  /** Labels added to every log. */
  labels: Record<string, string>;
}

const PEM =
  /^\s*-----BEGIN PRIVATE KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PRIVATE KEY-----\s*$/;
const EMAIL = /^[^\s@]{1,128}@[A-Za-z0-9.-]{1,255}$/;
// A project id (6-30 lowercase letters, digits, hyphens) or number.
const PROJECT = /^(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]{1,20})$/;
const LOCATION = /^[a-z][a-z0-9-]{1,62}$/;
const INSTANCE = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const LOG_TYPE = /^[A-Za-z0-9][A-Za-z0-9_]{0,127}$/;
const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const LABEL_KEY = /^[A-Za-z0-9_.-]{1,63}$/;

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * The base64 body of a PEM private key, without its armour and line
 * breaks: a form the key can leak in, redacted like the PEM itself.
 *
 * @param pem The PEM text.
 * @returns The base64 text, or `""` when it is not a PKCS#8 PEM.
 */
export function pemBody(pem: string): string {
  return PEM.exec(pem)?.[1]?.replace(/\s+/g, "") ?? "";
}

// Never quotes the key's text in a message: an error must not carry it.
const credentials = z.unknown().transform(
  (value, ctx): GoogleServiceAccountCredentials => {
    const fail = (message: string): never => {
      ctx.addIssue({ code: "custom", message });
      return z.NEVER as never;
    };
    let key: unknown = value;
    if (typeof value === "string") {
      try {
        key = JSON.parse(value);
      } catch {
        return fail(
          "must be the service-account key file's JSON (it does not parse as JSON)",
        );
      }
    }
    if (typeof key !== "object" || key === null || Array.isArray(key)) {
      return fail("must be the service-account key file's JSON object");
    }
    const { client_email, private_key, token_uri } = key as Record<
      string,
      unknown
    >;
    if (typeof client_email !== "string" || !EMAIL.test(client_email)) {
      return fail("must have client_email, the service account's e-mail");
    }
    if (typeof private_key !== "string" || pemBody(private_key) === "") {
      return fail(
        "must have private_key, a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)",
      );
    }
    const tokenUri = token_uri ?? GOOGLE_TOKEN_URI;
    if (typeof tokenUri !== "string" || !URL.canParse(tokenUri)) {
      return fail("must have token_uri as an http or https URL");
    }
    const url = new URL(tokenUri);
    if (
      url.protocol !== "https:" &&
      !(url.protocol === "http:" && isLoopback(url.hostname))
    ) {
      return fail("must have an https token_uri (http only on loopback)");
    }
    return { client_email, private_key, token_uri: tokenUri };
  },
);

/**
 * The zod schema of a destination's `googleSecOps` field.
 *
 * @example
 * ```ts ignore
 * GoogleSecOpsSchema.parse({ credentials: keyJson, project: "p", location: "us",
 *   instance: "ebdc4bb9-878b-11e7-8455-10604b7cb5c1", logType: "HAROMBE_AUDIT" });
 * ```
 */
export const GoogleSecOpsSchema: z.ZodType<
  GoogleSecOpsConfig,
  GoogleSecOpsConfigInput
> = z.strictObject({
  credentials,
  project: z.string().regex(
    PROJECT,
    "must be a Google Cloud project id (6-30 lowercase letters, digits, -) or number",
  ),
  location: z.string().regex(
    LOCATION,
    "must be a SecOps location, e.g. us, europe, europe-west2",
  ),
  instance: z.string().regex(
    INSTANCE,
    "must be the SecOps instance's customer id (a UUID)",
  ),
  logType: z.string().regex(
    LOG_TYPE,
    "must be a Chronicle log type: letters, digits and _ (e.g. HAROMBE_AUDIT)",
  ),
  namespace: z.string().regex(
    NAMESPACE,
    "must be 1-128 letters, digits, or _ . - starting with a letter or digit",
  ).optional(),
  labels: z.record(
    z.string().regex(LABEL_KEY, "must be 1-63 letters, digits, or _ . -"),
    z.string().max(1024, "must be at most 1024 characters").regex(
      /^\P{Cc}*$/u,
      "must not contain control characters",
    ),
  ).refine((labels) => Object.keys(labels).length <= 50, {
    message: "must have at most 50 labels",
  }).default({}),
}) as unknown as z.ZodType<GoogleSecOpsConfig, GoogleSecOpsConfigInput>;
