/**
 * `GET /status`: a self-contained HTML page that shows how the forwarder is
 * doing, refreshing itself from `/health` and `/stats`.
 *
 * The page is a shell without data: a browser cannot send a bearer token
 * when it navigates, so the shell is served to anyone and its script asks
 * `/stats` with `Authorization: Bearer <token>`, the token coming from the
 * URL fragment (`#token=…`, never sent to a server nor logged) or typed in
 * its form. The statistics stay as protected as `/stats` itself.
 *
 * @module
 */
import { STATUS_PAGE_SCRIPT } from "./status_page_script.ts";
import { STATUS_PAGE_STYLE } from "./status_page_style.ts";

/** A rendered status page: its HTML and the headers it is served with. */
export interface StatusPage {
  /** The HTML document. */
  body: string;
  /** The response headers, the Content-Security-Policy among them. */
  headers: Record<string, string>;
}

const encoder = new TextEncoder();

/**
 * The CSP source of an inline script or style: `'sha256-<base64>'` of its
 * UTF-8 text, as CSP Level 3 "hash-source" defines it
 * (https://www.w3.org/TR/CSP3/#grammardef-hash-source).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cspHash } from "./status_page.ts";
 *
 * assert.equal(
 *   await cspHash(""),
 *   "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
 * );
 * ```
 *
 * @param text The element's text, exactly as between its tags.
 * @returns The source expression.
 */
export async function cspHash(text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", encoder.encode(text)),
  );
  let binary = "";
  for (const byte of digest) binary += String.fromCharCode(byte);
  return `'sha256-${btoa(binary)}'`;
}

/**
 * The page's Content-Security-Policy: nothing loads but the one inline
 * script and style sheet (by hash) and same-origin `fetch`; no base, form
 * target or framing; Trusted Types required, so that no HTML sink takes a
 * string even by mistake.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusPagePolicy } from "./status_page.ts";
 *
 * const policy = await statusPagePolicy("a()", "b{}");
 * assert.match(policy, /^default-src 'none'; script-src 'sha256-/);
 * ```
 *
 * @param script The inline script's text.
 * @param style The inline style sheet's text.
 * @returns The policy.
 */
export async function statusPagePolicy(
  script: string,
  style: string,
): Promise<string> {
  return [
    "default-src 'none'",
    `script-src ${await cspHash(script)}`,
    `style-src ${await cspHash(style)}`,
    "connect-src 'self'",
    // The favicon is `data:,` (so the browser asks for no /favicon.ico).
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join("; ");
}

// Static markup only: every value is filled in by the script with
// textContent, so nothing from the server is ever parsed as HTML.
function document(script: string, style: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>harombe-siem status</title>
<link rel="icon" href="data:,">
<style>${style}</style>
</head>
<body>
<header>
<h1>harombe-siem status</h1>
<span id="overall" class="badge status-unknown">loading</span>
<span class="muted">capacity <span id="capacity">-</span> events</span>
<span id="updated"></span>
</header>
<p id="problem" class="problem" role="alert" hidden></p>
<form id="auth" hidden>
<label for="token">Ingest token</label>
<p id="auth-message" class="hint"></p>
<input id="token" type="password" autocomplete="off" spellcheck="false">
<button type="submit">Show statistics</button>
<p class="hint">The token stays in this tab's memory and is sent only as an Authorization header to this server. You can also open the page as <code>/status#token=…</code>: a URL fragment never reaches the server.</p>
</form>
<h2>Ingest</h2>
<section id="ingest" class="card"></section>
<h2>Destinations</h2>
<section id="destinations" class="grid"></section>
<h2>Recent dead letters</h2>
<p id="no-dead-letters" class="muted" hidden>None.</p>
<table id="dead-letters" hidden>
<thead><tr><th>When</th><th>Destination</th><th>Events</th><th>Status</th><th>Reason</th></tr></thead>
<tbody id="dead-letter-rows"></tbody>
</table>
<footer>Refreshes every <span id="interval">5</span> s from /health and /stats; the charts show the last 10 minutes this tab has seen.</footer>
<script>${script}</script>
</body>
</html>
`;
}

// Built on the first request (WebCrypto is asynchronous, and no work may
// happen at import time); the value, not a promise, is kept, so that no
// request waits on another's promise (Workers forbid that).
let cached: StatusPage | undefined;

/**
 * The status page: its HTML and headers (Content-Security-Policy with the
 * hashes of its inline script and style, `nosniff`, `no-store`, no
 * referrer, no framing).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusPage } from "./status_page.ts";
 *
 * const page = await statusPage();
 * assert.equal(page.headers["Cache-Control"], "no-store");
 * ```
 *
 * @returns The page.
 */
export async function statusPage(): Promise<StatusPage> {
  if (cached) return cached;
  const policy = await statusPagePolicy(STATUS_PAGE_SCRIPT, STATUS_PAGE_STYLE);
  cached = {
    body: document(STATUS_PAGE_SCRIPT, STATUS_PAGE_STYLE),
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": policy,
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "no-store",
      "Referrer-Policy": "no-referrer",
      "X-Frame-Options": "DENY",
      "Cross-Origin-Opener-Policy": "same-origin",
    },
  };
  return cached;
}
