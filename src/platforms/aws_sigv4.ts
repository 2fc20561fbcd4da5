/**
 * AWS Signature Version 4 over WebCrypto, for Amazon OpenSearch Service
 * (service `es`) and OpenSearch Serverless (service `aoss`). Runs wherever
 * `crypto.subtle` does, Cloudflare Workers included.
 *
 * The algorithm follows "Create a signed AWS API request"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html);
 * the published test suite's `get-vanilla`, `post-vanilla` and
 * `post-x-www-form-urlencoded` cases are reproduced in
 * `tests/platforms/aws_sigv4_test.ts`.
 *
 * @module
 */

/** AWS credentials; `sessionToken` for temporary (STS) credentials. */
export interface AwsCredentials {
  /** The access key id, e.g. `AKIA…` or `ASIA…`. */
  accessKeyId: string;
  /** The secret access key. */
  secretAccessKey: string;
  /** The session token of temporary credentials, sent as `x-amz-security-token`. */
  sessionToken?: string | undefined;
}

/** What {@linkcode signAwsRequest} signs. */
export interface AwsSignInput {
  /** The HTTP method. */
  method: string;
  /** The full URL the request goes to. */
  url: string | URL;
  /** Headers to send and sign (`host` and the `x-amz-*` ones are added). */
  headers?: Record<string, string> | undefined;
  /**
   * The exact bytes sent: the gzipped bytes when the body is compressed, since
   * the signature covers what goes on the wire.
   */
  body?: Uint8Array | undefined;
  /** The AWS region, e.g. `eu-west-1`. */
  region: string;
  /** The service name: `es` (OpenSearch Service) or `aoss` (Serverless). */
  service: string;
  /** The credentials. */
  credentials: AwsCredentials;
  /** The signing time; default now. */
  date?: Date | undefined;
  /**
   * Send and sign `x-amz-content-sha256`: OpenSearch Serverless refuses a
   * request with a body without it (403). Default `true`.
   */
  contentSha256Header?: boolean | undefined;
}

/** The result of {@linkcode signAwsRequest}. */
export interface AwsSignedRequest {
  /** Every header to send: the input's, `host`, the `x-amz-*` ones and `authorization`. */
  headers: Record<string, string>;
  /** The `authorization` header's value. */
  authorization: string;
  /** The semicolon-separated names of the signed headers. */
  signedHeaders: string;
  /** The hex signature. */
  signature: string;
}

const ALGORITHM = "AWS4-HMAC-SHA256";
const encoder = new TextEncoder();

/**
 * Signs a request with AWS Signature Version 4.
 *
 * @example Signing a bulk request to Amazon OpenSearch Service
 * ```ts
 * import { signAwsRequest } from "./aws_sigv4.ts";
 *
 * const signed = await signAwsRequest({
 *   method: "POST",
 *   url: "https://search-audit.eu-west-1.es.amazonaws.com/_bulk",
 *   headers: { "content-type": "application/x-ndjson" },
 *   body: new TextEncoder().encode('{"create":{}}\n{"a":1}\n'),
 *   region: "eu-west-1",
 *   service: "es",
 *   credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
 *   date: new Date("2026-11-30T12:00:00Z"),
 * });
 * if (!signed.authorization.startsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/eu-west-1/es/aws4_request")) {
 *   throw new Error("unexpected scope");
 * }
 * ```
 *
 * @param input The request and the signing parameters.
 * @returns The headers to send, with the signature.
 */
export async function signAwsRequest(
  input: AwsSignInput,
): Promise<AwsSignedRequest> {
  const url = typeof input.url === "string" ? new URL(input.url) : input.url;
  const amzDate = (input.date ?? new Date()).toISOString().replace(
    /[-:]|\.\d{3}/g,
    "",
  );
  const day = amzDate.slice(0, 8);
  const payloadHash = toHex(await sha256(input.body ?? new Uint8Array()));

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    headers[name.toLowerCase()] = value;
  }
  headers.host = url.host;
  headers["x-amz-date"] = amzDate;
  if (input.contentSha256Header ?? true) {
    headers["x-amz-content-sha256"] = payloadHash;
  }
  if (input.credentials.sessionToken) {
    headers["x-amz-security-token"] = input.credentials.sessionToken;
  }
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(";");
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalPath(url.pathname),
    canonicalQuery(url.searchParams),
    names.map((name) => `${name}:${canonicalValue(headers[name]!)}\n`).join(
      "",
    ),
    signedHeaders,
    payloadHash,
  ].join("\n");
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = [
    ALGORITHM,
    amzDate,
    scope,
    toHex(await sha256(encoder.encode(canonicalRequest))),
  ].join("\n");
  let key = await hmac(
    encoder.encode(`AWS4${input.credentials.secretAccessKey}`),
    day,
  );
  for (const part of [input.region, input.service, "aws4_request"]) {
    key = await hmac(key, part);
  }
  const signature = toHex(await hmac(key, stringToSign));
  const authorization =
    `${ALGORITHM} Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  headers.authorization = authorization;
  return { headers, authorization, signedHeaders, signature };
}

// RFC 3986 unreserved characters stay; everything else is %XX, upper case.
function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

// Services other than S3 encode each path segment twice: `URL` gives the
// once-encoded path, and each segment is encoded again.
function canonicalPath(pathname: string): string {
  return pathname.split("/").map(encodeRfc3986).join("/") || "/";
}

function canonicalQuery(params: URLSearchParams): string {
  return [...params].map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)])
    .sort(([a, x], [b, y]) => a! < b! ? -1 : a! > b! ? 1 : x! < y! ? -1 : 1)
    .map(([k, v]) => `${k}=${v}`).join("&");
}

function canonicalValue(value: string): string {
  return value.trim().replace(/\s+/g, " ");
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
}

async function hmac(key: Uint8Array, text: string): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(
    await crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(text)),
  );
}

function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
