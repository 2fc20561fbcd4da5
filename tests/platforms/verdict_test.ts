import assert from "node:assert/strict";
import {
  excerpt,
  isTransientStatus,
  looksLikeJsonObject,
  networkErrorText,
  networkSetupHint,
  requestedDelayMs,
} from "../../src/platforms/verdict.ts";

const NOW = Date.parse("2026-01-31T12:00:00.000Z");

Deno.test("requestedDelayMs() reads Retry-After in seconds", () => {
  assert.equal(
    requestedDelayMs(new Headers({ "Retry-After": "7" }), NOW),
    7000,
  );
  assert.equal(
    requestedDelayMs(new Headers({ "retry-after": " 0 " }), NOW),
    0,
  );
});

Deno.test("requestedDelayMs() reads a Retry-After HTTP-date", () => {
  const date = new Date(NOW + 5000).toUTCString();
  assert.equal(date, "Sat, 31 Jan 2026 12:00:05 GMT");
  assert.equal(
    requestedDelayMs(new Headers({ "Retry-After": date }), NOW),
    5000,
  );
});

Deno.test("requestedDelayMs() gives 0 for a Retry-After date in the past", () => {
  const date = new Date(NOW - 60_000).toUTCString();
  assert.equal(requestedDelayMs(new Headers({ "Retry-After": date }), NOW), 0);
});

Deno.test("requestedDelayMs() ignores a Retry-After that is neither seconds nor a date", () => {
  for (const value of ["soon", "", "   ", "in 3 seconds", "0x10"]) {
    assert.equal(
      requestedDelayMs(new Headers({ "Retry-After": value }), NOW),
      undefined,
      JSON.stringify(value),
    );
  }
});

// Fails: requestedDelayMs() in src/platforms/verdict.ts falls back to the
// lenient Date.parse(), which reads such values as dates in 2001 and so
// returns 0: a malformed Retry-After makes the retry immediate instead of
// leaving the exponential backoff in place.
Deno.test("requestedDelayMs() ignores a Retry-After with digits that is not an HTTP-date", () => {
  for (const value of ["1.5", "-1", "later 2"]) {
    assert.equal(
      requestedDelayMs(new Headers({ "Retry-After": value }), NOW),
      undefined,
      JSON.stringify(value),
    );
  }
});

Deno.test("requestedDelayMs() gives undefined without a delay header", () => {
  assert.equal(requestedDelayMs(new Headers(), NOW), undefined);
  assert.equal(
    requestedDelayMs(new Headers({ "Content-Type": "text/plain" }), NOW),
    undefined,
  );
});

Deno.test("requestedDelayMs() reads X-RateLimit-Reset in seconds", () => {
  assert.equal(
    requestedDelayMs(new Headers({ "X-RateLimit-Reset": "3" }), NOW),
    3000,
  );
  assert.equal(
    requestedDelayMs(new Headers({ "x-ratelimit-reset": "2.5" }), NOW),
    2500,
  );
});

Deno.test("requestedDelayMs() ignores an X-RateLimit-Reset that is not a number", () => {
  for (const value of ["soon", "-3", "3s"]) {
    assert.equal(
      requestedDelayMs(new Headers({ "X-RateLimit-Reset": value }), NOW),
      undefined,
      value,
    );
  }
});

Deno.test("requestedDelayMs() prefers Retry-After over X-RateLimit-Reset", () => {
  assert.equal(
    requestedDelayMs(
      new Headers({ "Retry-After": "7", "X-RateLimit-Reset": "3" }),
      NOW,
    ),
    7000,
  );
});

Deno.test("requestedDelayMs() falls back to X-RateLimit-Reset when Retry-After is garbage", () => {
  assert.equal(
    requestedDelayMs(
      new Headers({ "Retry-After": "soon", "X-RateLimit-Reset": "3" }),
      NOW,
    ),
    3000,
  );
});

Deno.test("isTransientStatus() is true for 408, 429 and 5xx but 501", () => {
  for (const status of [408, 429, 500, 502, 503, 504]) {
    assert.equal(isTransientStatus(status), true, String(status));
  }
});

Deno.test("isTransientStatus() is false for other 4xx and 501", () => {
  for (const status of [400, 401, 403, 404, 413, 501]) {
    assert.equal(isTransientStatus(status), false, String(status));
  }
});

Deno.test("isTransientStatus() is false for success statuses", () => {
  for (const status of [200, 201, 204, 207, 301]) {
    assert.equal(isTransientStatus(status), false, String(status));
  }
});

Deno.test("excerpt() flattens whitespace", () => {
  assert.equal(excerpt("  bad\n\trequest \r\n  body  "), "bad request body");
});

Deno.test("excerpt() keeps a text of at most max characters", () => {
  assert.equal(excerpt("x".repeat(300)), "x".repeat(300));
  assert.equal(excerpt("abcde", 5), "abcde");
});

Deno.test("excerpt() shortens a longer text with an ellipsis", () => {
  assert.equal(excerpt("x".repeat(301)), "x".repeat(300) + "…");
  assert.equal(excerpt("abcdef", 5), "abcde…");
  assert.equal(excerpt("a   b   c   d", 3), "a b…");
});

Deno.test("looksLikeJsonObject() tells a platform's JSON from a proxy's page", () => {
  const json = new Headers({
    "content-type": "application/json; charset=UTF-8",
  });
  const html = new Headers({ "content-type": "text/html" });
  assert.equal(looksLikeJsonObject(json, '{"code":6}'), true);
  assert.equal(looksLikeJsonObject(new Headers(), ' {"errors":[]}'), true);
  assert.equal(looksLikeJsonObject(html, '{"code":6}'), false);
  assert.equal(
    looksLikeJsonObject(json, "<html><title>400</title></html>"),
    false,
  );
  assert.equal(looksLikeJsonObject(json, "[]"), false);
  // Structured JSON types (RFC 6839 "+json", as Datadog's JSON:API errors
  // and RFC 9457 problem details) are JSON too.
  for (const type of ["application/vnd.api+json", "application/problem+json"]) {
    const headers = new Headers({ "content-type": type });
    assert.equal(looksLikeJsonObject(headers, '{"errors":[]}'), true, type);
  }
});

Deno.test("networkSetupHint() names a TLS / plain-HTTP mix-up, and only that", () => {
  const url = "https://hec.example.com:8088/services/collector/event";
  assert.match(
    networkSetupHint(
      "network error: fetch failed: client error (Connect): received corrupt message of type InvalidContentType",
      url,
    )!,
    /mix-up: the endpoint uses https; check whether the port serves http/,
  );
  assert.match(
    networkSetupHint(
      "network error: fetch failed: invalid peer certificate: UnknownIssuer",
      "http://x",
    )!,
    /the endpoint uses http;/,
  );
  assert.equal(
    networkSetupHint("network error: fetch failed: Connection refused", url),
    undefined,
  );
  assert.equal(
    networkSetupHint("request timed out after 1000 ms", url),
    undefined,
  );
});

Deno.test('networkErrorText() keeps the causes fetch hides behind "fetch failed"', () => {
  const error = new TypeError("fetch failed", {
    cause: new Error("error sending request: received corrupt message"),
  });
  assert.equal(
    networkErrorText(error),
    "fetch failed: error sending request: received corrupt message",
  );
  assert.equal(networkErrorText("plain"), "plain");
});
