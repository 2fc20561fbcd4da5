/**
 * One request of the doctor with its own time limit, and what a failed
 * connection means, in words.
 *
 * @module
 */
import { redactSecrets } from "../platforms/redact.ts";
import { networkErrorText, networkSetupHint } from "../platforms/verdict.ts";

/** What a doctor's request needs. */
export interface ProbeContext {
  /** The `fetch` to use. */
  fetch: typeof fetch;
  /** Time limit of the request, body included, in ms. */
  stepTimeoutMs: number;
  /** The destination's secrets (see `configSecrets`), taken out of any text shown. */
  secrets: readonly string[];
}

/** An answer, read whole. */
export interface ProbeAnswer {
  /** Always true: the server answered. */
  ok: true;
  /** The HTTP status. */
  status: number;
  /** The answer's headers. */
  headers: Headers;
  /** The body as text, the credential taken out. */
  text: string;
  /** The body parsed, when it is JSON with a JSON content type (or none). */
  json: unknown;
}

/** No answer, and why, in words. */
export interface ProbeFailure {
  /** Always false: no answer came. */
  ok: false;
  /** What happened and what to check. */
  message: string;
}

// nginx and Go answer plain HTTP on a TLS port with a 400 page saying so.
const PLAIN_TO_TLS =
  /plain HTTP request was sent to HTTPS port|HTTP request to an HTTPS server/i;
const CERTIFICATE =
  /certificate|UnknownIssuer|NotValidForName|self[- ]signed|expired/i;
const REFUSED = /refused|ECONNREFUSED|os error 111/i;
const DNS =
  /dns error|failed to lookup|name or service not known|ENOTFOUND|getaddrinfo|nodename nor servname|no address associated/i;

/**
 * Sends one request with a time limit and reads the whole answer; a
 * network error, a timeout or a redirect comes back as a sentence.
 *
 * @param ctx The `fetch`, time limit and credential.
 * @param url The URL.
 * @param init The request (method, headers, body).
 * @returns The answer, or why there is none.
 */
export async function probe(
  ctx: ProbeContext,
  url: string,
  init: RequestInit,
): Promise<ProbeAnswer | ProbeFailure> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, ctx.stepTimeoutMs);
  try {
    // Called unbound: workerd's fetch throws "Illegal invocation" when
    // called as a method of another object.
    const doFetch = ctx.fetch;
    // A redirect could carry the credential to another host: report it.
    const response = await doFetch(url, {
      ...init,
      redirect: "manual",
      signal: controller.signal,
    });
    const text = redactSecrets(await response.text(), ctx.secrets);
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get("location") ?? "(no location)";
      return {
        ok: false,
        message: `${where(url)} redirects (HTTP ${response.status}) to ${
          redactSecrets(location, ctx.secrets)
        }: set the endpoint to the URL it redirects to.`,
      };
    }
    if (response.status === 400 && PLAIN_TO_TLS.test(text)) {
      return {
        ok: false,
        message: `${
          where(url)
        } serves HTTPS, and the endpoint says http: use https:// in the endpoint.`,
      };
    }
    return {
      ok: true,
      status: response.status,
      headers: response.headers,
      text,
      json: readJson(response.headers, text),
    };
  } catch (error) {
    if (timedOut) {
      return {
        ok: false,
        message: `${
          where(url)
        } did not answer within ${ctx.stepTimeoutMs} ms: check the host and port, and any firewall or proxy on the way (a dropped connection looks like this).`,
      };
    }
    return {
      ok: false,
      message: connectionMessage(
        url,
        redactSecrets(networkErrorText(error), ctx.secrets),
      ),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A network error in words: DNS, a refused connection, an untrusted
 * certificate, or TLS against plain HTTP (and the reverse), as
 * `networkSetupHint` reads them for deliveries.
 *
 * @param url The URL the request went to.
 * @param detail The error's text with its causes.
 * @returns What happened and what to check.
 */
export function connectionMessage(url: string, detail: string): string {
  const { hostname } = new URL(url);
  if (DNS.test(detail)) {
    return `Cannot resolve the host name ${hostname} (${detail}): check the host name in the endpoint, and DNS on this machine.`;
  }
  if (REFUSED.test(detail)) {
    return `${
      where(url)
    } refused the connection (${detail}): nothing listens on that port; check the port in the endpoint and that the service runs.`;
  }
  const https = url.startsWith("https:");
  if (https && CERTIFICATE.test(detail) && !/corrupt|version/i.test(detail)) {
    return `${
      where(url)
    } has a TLS certificate this machine does not trust (${detail}): check the certificate's host name and issuer, or add the issuing CA to the trust store.`;
  }
  if (networkSetupHint(`network error: ${detail}`, url) !== undefined) {
    return https
      ? `TLS with ${
        where(url)
      } failed (${detail}): the port seems to serve plain HTTP; use http:// in the endpoint, or the port that serves HTTPS.`
      : `${
        where(url)
      } did not answer plain HTTP (${detail}): the port seems to serve HTTPS; use https:// in the endpoint.`;
  }
  return `Cannot reach ${where(url)} (${detail}).`;
}

/**
 * The answer's origin and status with its content type, for messages.
 *
 * @param url The URL asked.
 * @param answer The answer.
 * @returns For example `127.0.0.1:8088 (HTTP 400, text/html)`.
 */
export function describeAnswer(url: string, answer: ProbeAnswer): string {
  const type = answer.headers.get("content-type") ?? "no content type";
  return `${where(url)} (HTTP ${answer.status}, ${type})`;
}

/**
 * The sentence for an answer that is not the platform's: a proxy's or load
 * balancer's page, or another service on that port.
 *
 * @param platform The platform's name.
 * @param url The URL asked.
 * @param answer The answer.
 * @returns What is wrong and what to check.
 */
export function foreignAnswer(
  platform: string,
  url: string,
  answer: ProbeAnswer,
): string {
  const title = /<title>([^<]{1,120})<\/title>/i.exec(answer.text)?.[1];
  const page = title ? ` a page titled "${title.trim()}"` : "";
  return `The answer from ${
    describeAnswer(url, answer)
  } is not ${platform}'s but${
    page || " another service's"
  }: a proxy, load balancer or another service answers at this URL. Check the endpoint (host, port and path) and the proxy's routing to ${platform}.`;
}

/** `host:port` of a URL, for messages. */
export function where(url: string): string {
  return new URL(url).host;
}

function readJson(headers: Headers, text: string): unknown {
  const type = headers.get("content-type")?.split(";")[0]?.trim()
    .toLowerCase();
  if (type && type !== "application/json" && !type.endsWith("+json")) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A JSON object's member, if the value is an object. */
export function member(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}
