import assert from "node:assert/strict";
import { Hono } from "hono";
import type { AuditEvent } from "../../src/events/audit_event.ts";
import type { DeliveryStats } from "../../src/delivery/stats.ts";
import { createIngestApp, type IngestApp } from "../../src/ingest/app.ts";
import type { IngestSink } from "../../src/ingest/sink.ts";
import { STATUS_PAGE_SCRIPT } from "../../src/ingest/status_page_script.ts";
import { STATUS_PAGE_STYLE } from "../../src/ingest/status_page_style.ts";
import { realisticEvents } from "../fixtures/events.ts";

const TOKEN = "status-token-0123456789abcdef";
// Data the page must not carry: only /stats gives it, with the token.
const DESTINATION = "secret-destination-name";
const LAST_ERROR = "<script>alert('last error')</script>";

/** A sink with fixed statistics; `room` sets its capacity, `broken` makes accept throw. */
function fixedSink(state = { room: 1000, broken: false }): IngestSink {
  const counters = {
    eventsReceived: 0,
    eventsExported: 0,
    eventsFailed: 0,
    exportsTotal: 0,
    exportsSuccessful: 0,
    exportsFailed: 0,
    totalRetries: 0,
    avgLatencyMs: 0,
    eventsAged: 0,
  };
  const counted = {
    ...counters,
    eventsAccepted: 0,
    buffered: 0,
    perDestination: {
      [DESTINATION]: {
        ...counters,
        name: DESTINATION,
        platform: "splunk",
        enabled: true,
        state: "idle",
        buffered: 0,
        consecutiveFailures: 0,
        lastError: LAST_ERROR,
      },
    },
  } satisfies Omit<DeliveryStats, "perPlatform">;
  const stats: DeliveryStats = {
    ...counted,
    perPlatform: counted.perDestination,
  };
  return {
    accept(_events: readonly AuditEvent[]): Promise<void> {
      if (state.broken) throw new Error("disk on fire");
      return Promise.resolve();
    },
    capacity: () => state.room,
    getStats: () => stats,
    flush: () => Promise.resolve(),
  };
}

function ingestApp(sink = fixedSink()): IngestApp {
  return createIngestApp({
    sink,
    tokens: [TOKEN],
    logger: { warn(): void {}, error(): void {} },
  });
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  let binary = "";
  for (const byte of new Uint8Array(digest)) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary);
}

/** The text of every `<tag>…</tag>` element of a document. */
function elements(html: string, tag: string): string[] {
  return [
    ...html.matchAll(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, "g")),
  ]
    .map((match) => match[1]!);
}

Deno.test("GET /status serves the page shell without a token, with no data in it; /stats still needs the token", async () => {
  const ingest = ingestApp();
  const page = await ingest.request("/status");
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
  const html = await page.text();
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<title>harombe-siem status<\/title>/);
  // The statistics are fetched by the page's script, with the token.
  assert.ok(!html.includes(DESTINATION));
  assert.ok(!html.includes("alert('last error')"));
  assert.ok(!html.includes(TOKEN));
  assert.equal((await ingest.request("/stats")).status, 401);
  const withToken = await ingest.request("/status", {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  // The same shell, whoever asks.
  assert.equal(await withToken.text(), html);
});

Deno.test("GET /status is served with a strict CSP, nosniff, no-store, no referrer and no framing", async () => {
  const page = await ingestApp().request("/status");
  await page.body?.cancel();
  const directives = (page.headers.get("content-security-policy") ?? "")
    .split("; ");
  assert.deepEqual(
    directives.map((directive) => directive.split(" ")[0]),
    [
      "default-src",
      "script-src",
      "style-src",
      "connect-src",
      "img-src",
      "base-uri",
      "form-action",
      "frame-ancestors",
      "require-trusted-types-for",
      "trusted-types",
    ],
  );
  assert.equal(directives[0], "default-src 'none'");
  assert.match(directives[1]!, /^script-src 'sha256-[A-Za-z0-9+/]{43}='$/);
  assert.match(directives[2]!, /^style-src 'sha256-[A-Za-z0-9+/]{43}='$/);
  assert.deepEqual(directives.slice(3), [
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ]);
  assert.equal(page.headers.get("x-content-type-options"), "nosniff");
  assert.equal(page.headers.get("cache-control"), "no-store");
  assert.equal(page.headers.get("referrer-policy"), "no-referrer");
  assert.equal(page.headers.get("x-frame-options"), "DENY");
});

Deno.test("the CSP hashes are those of the page's one inline script and one style sheet, and nothing else loads", async () => {
  const page = await ingestApp().request("/status");
  const html = await page.text();
  const policy = page.headers.get("content-security-policy") ?? "";
  const scripts = elements(html, "script");
  const styles = elements(html, "style");
  assert.deepEqual(scripts, [STATUS_PAGE_SCRIPT]);
  assert.deepEqual(styles, [STATUS_PAGE_STYLE]);
  assert.ok(
    policy.includes(`script-src 'sha256-${await sha256(scripts[0]!)}'`),
    policy,
  );
  assert.ok(
    policy.includes(`style-src 'sha256-${await sha256(styles[0]!)}'`),
    policy,
  );
  // No attribute a CSP hash does not cover: no event handler, no style
  // attribute, no URL but the empty data: favicon.
  const markup = html.replace(/<script>[\s\S]*<\/script>/, "")
    .replace(/<style>[\s\S]*<\/style>/, "");
  assert.doesNotMatch(markup, /\son[a-z]+\s*=/i);
  assert.doesNotMatch(markup, /\sstyle\s*=/i);
  assert.deepEqual(
    [...markup.matchAll(/\s(?:src|href|action)\s*=\s*"([^"]*)"/g)].map((m) =>
      m[1]
    ),
    ["data:,"],
  );
});

Deno.test("the page's script renders text only: no HTML sink, no eval, no URL built into the page", () => {
  for (
    const sink of [
      "innerHTML",
      "outerHTML",
      "insertAdjacentHTML",
      "document.write",
      "createContextualFragment",
      "DOMParser",
      "eval(",
      "Function(",
      "srcdoc",
    ]
  ) {
    assert.ok(!STATUS_PAGE_SCRIPT.includes(sink), sink);
  }
  // Markup from the server only ever reaches textContent.
  assert.match(STATUS_PAGE_SCRIPT, /node\.textContent = String\(text\)/);
  // Attributes are set by name from the script's own list, never "on…".
  assert.doesNotMatch(STATUS_PAGE_SCRIPT, /setAttribute\("on/);
  // The JSON endpoints are asked relative to the page, so that a mounted
  // app (`/siem/status`) asks its own `/siem/stats`.
  assert.match(STATUS_PAGE_SCRIPT, /getJson\("health", false\)/);
  assert.match(STATUS_PAGE_SCRIPT, /getJson\("stats", true\)/);
  // The token goes in a header, never in a URL.
  assert.match(
    STATUS_PAGE_SCRIPT,
    /headers\.Authorization = "Bearer " \+ token/,
  );
  assert.doesNotMatch(STATUS_PAGE_SCRIPT, /[?&]token=/);
});

Deno.test("the status page works mounted under a prefix of a host app", async () => {
  const host = new Hono();
  host.mount("/siem", ingestApp().fetch);
  const page = await host.request("/siem/status");
  assert.equal(page.status, 200);
  assert.match(await page.text(), /harombe-siem status/);
});

Deno.test("/status takes GET only", async () => {
  const ingest = ingestApp();
  const post = await ingest.request("/status", { method: "POST" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET");
  assert.equal((await post.json()).error.code, "method_not_allowed");
});

Deno.test("GET /stats counts the POST /events requests the ingest answered, by outcome", async () => {
  const state = { room: 1000, broken: false };
  const ingest = ingestApp(fixedSink(state));
  const send = async (body: string, token = TOKEN): Promise<number> => {
    const response = await ingest.request("/events", {
      method: "POST",
      body,
      headers: {
        Authorization: `Bearer ${token}`,
        "Content-Type": "application/json",
      },
    });
    await response.body?.cancel();
    return response.status;
  };
  const events = JSON.stringify(realisticEvents(2));
  assert.equal(await send(events), 202);
  assert.equal(await send(events), 202);
  assert.equal(await send("[{}]"), 400);
  assert.equal(await send(events, "not-the-token-0123456789"), 403);
  state.room = 0;
  assert.equal(await send(events), 503);
  state.room = 1000;
  state.broken = true;
  assert.equal(await send(events), 500);
  // Other routes are not requests to the ingest.
  await (await ingest.request("/health")).body?.cancel();
  await (await ingest.request("/events")).body?.cancel();

  const stats = await (await ingest.request("/stats", {
    headers: { Authorization: `Bearer ${TOKEN}` },
  })).json();
  assert.deepEqual(stats.ingest, {
    requests: 6,
    accepted: 2,
    refused: 2,
    overloaded: 1,
    failed: 1,
  });
  // The delivery statistics are still there beside it.
  assert.equal(stats.perPlatform[DESTINATION].lastError, LAST_ERROR);
});

/**
 * The page script's own functions, taken from its text and run on samples
 * the test gives (the browser test checks the page draws them; this one
 * checks the numbers: per minute, from seconds between samples).
 */
function pageFunctions(samples: Record<string, unknown>[]): {
  rate(value: number | undefined): string;
  series(pick: (s: Record<string, unknown>) => unknown): [number, number][];
  recentRate(pick: (s: Record<string, unknown>) => unknown): number | undefined;
} {
  const source = (name: string): string => {
    const start = STATUS_PAGE_SCRIPT.indexOf(`  function ${name}(`);
    assert.ok(start >= 0, `the page script has no function ${name}`);
    const end = STATUS_PAGE_SCRIPT.indexOf("\n  }\n", start);
    return STATUS_PAGE_SCRIPT.slice(start, end + 4);
  };
  const body = ["rate", "series", "recentRate"].map(source).join("\n") +
    "\nreturn { rate: rate, series: series, recentRate: recentRate };";
  return new Function("samples", body)(samples);
}

Deno.test("the status page's rates are per minute over the seconds between samples, over the last minute, and never negative", () => {
  const accepted = (s: Record<string, unknown>) => s.accepted;
  const steady = pageFunctions([
    { t: 0, accepted: 0 },
    { t: 30_000, accepted: 60 },
    { t: 60_000, accepted: 120 },
  ]);
  assert.deepEqual(steady.series(accepted), [[30_000, 120], [60_000, 120]]);
  assert.equal(steady.recentRate(accepted), 120);
  // Only the last minute counts: 100 events in the last 50 s, not 110
  // over 100 s.
  const recent = pageFunctions([
    { t: 0, accepted: 0 },
    { t: 50_000, accepted: 10 },
    { t: 100_000, accepted: 110 },
  ]);
  assert.equal(recent.recentRate(accepted), 120);
  // A sample exactly a minute before the last one is still in the minute.
  const minute = pageFunctions([
    { t: 0, accepted: 0 },
    { t: 40_000, accepted: 30 },
    { t: 60_000, accepted: 30 },
  ]);
  assert.equal(minute.recentRate(accepted), 30);
  // A restart (the counter went down) counts 0, not a negative rate.
  const restarted = pageFunctions([
    { t: 0, accepted: 500 },
    { t: 5_000, accepted: 3 },
  ]);
  assert.deepEqual(restarted.series(accepted), [[5_000, 0]]);
  assert.equal(restarted.recentRate(accepted), 0);
  assert.equal(
    pageFunctions([{ t: 0, accepted: 1 }]).recentRate(accepted),
    undefined,
  );
  assert.equal(steady.rate(undefined), "collecting");
  assert.equal(steady.rate(2.25), "2.3/min");
  assert.equal(steady.rate(99.94), "99.9/min");
  assert.equal(steady.rate(100), "100/min");
  assert.equal(steady.rate(1234.5), "1235/min");
});
