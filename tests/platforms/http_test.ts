import assert from "node:assert/strict";
import { HttpExporter } from "../../src/platforms/http.ts";
import {
  parseSIEMConfig,
  type SIEMConfigInput,
} from "../../src/platforms/siem_config.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import { httpSecrets, shownEndpoint } from "../../src/platforms/http_config.ts";
import { goldenSIEMEvents } from "../fixtures/events.ts";
import { startFakeHttpReceiver } from "../fakes/fake_http_receiver.ts";

const SUMO_CODE = "ZaVnC4dhaV3a8sT0kQ1bYw==";
const SUMO_URL =
  `https://endpoint4.collection.us2.sumologic.com/receiver/v1/http/${SUMO_CODE}`;

function exporter(extra: Partial<SIEMConfigInput> = {}): HttpExporter {
  return new HttpExporter(parseSIEMConfig({
    platform: "http",
    endpoint: "https://hooks.example.com/siem?team=sec",
    ...extra,
  }));
}

// The golden events exactly as JSON.stringify writes them: the receiver
// gets the SIEM event itself, nothing wrapped around it.
const EVENT_1 =
  '{"event_id":"0b5c7e3a-1f0e-4c1e-9a53-6f2d2a7c9e01","correlation_id":"req-42","session_id":"sess-7","timestamp":"2026-01-31T12:00:00.123Z","event_type":"security_decision","actor":"policy-engine","tool_name":"shell","action":"deny_tool","metadata":{"rule":"no-rm","path":"/tmp/é\\"x","depth":{"n":1}},"duration_ms":12,"status":"error","error_message":"refusé: \u2028 line","source":"harombe","severity":"error"}';
const EVENT_2 =
  '{"event_id":"evt-2","correlation_id":"req-43","timestamp":"2026-01-31T12:00:01.000Z","event_type":"request","actor":"agent-7","action":"read_file","metadata":{},"status":"success","source":"harombe","severity":"info"}';
const GOLDEN_ARRAY = `[${EVENT_1},${EVENT_2}]`;
const GOLDEN_NDJSON = `${EVENT_1}\n${EVENT_2}\n`;

Deno.test("HttpExporter writes the golden JSON array byte for byte", async () => {
  const http = exporter();
  assert.equal(http.formatBatch(goldenSIEMEvents()), GOLDEN_ARRAY);
  const prepared = await http.prepare(goldenSIEMEvents());
  assert.deepEqual(prepared.body, new TextEncoder().encode(GOLDEN_ARRAY));
  assert.equal(prepared.uncompressedBytes, prepared.body.length);
});

Deno.test("HttpExporter writes the golden NDJSON byte for byte: one event per line, each line ended", () => {
  const http = exporter({ http: { framing: "ndjson" } });
  assert.equal(http.formatBatch(goldenSIEMEvents()), GOLDEN_NDJSON);
  assert.equal(
    http.formatBatch(goldenSIEMEvents().slice(1)),
    `${EVENT_2}\n`,
  );
});

Deno.test("HttpExporter gzips the exact bytes when compression is gzip, and says so", async () => {
  const http = exporter({ compression: "gzip" });
  const prepared = await http.prepare(goldenSIEMEvents());
  const plain = await new Response(
    new Blob([prepared.body]).stream().pipeThrough(
      new DecompressionStream("gzip"),
    ),
  ).text();
  assert.equal(plain, GOLDEN_ARRAY);
  assert.equal(
    prepared.uncompressedBytes,
    new TextEncoder().encode(GOLDEN_ARRAY).length,
  );
});

Deno.test("HttpExporter url is the whole URL, query kept; headers: content type per framing, bearer token, configured headers", () => {
  const http = exporter({
    token: "tok-0123456789",
    http: { headers: { "X-Team": "sec", "X-API-Key": "k-0123456789" } },
  });
  assert.equal(http.url, "https://hooks.example.com/siem?team=sec");
  assert.deepEqual(http.headers, {
    "Content-Type": "application/json",
    Authorization: "Bearer tok-0123456789",
    "X-Team": "sec",
    "X-API-Key": "k-0123456789",
  });
  assert.equal(
    exporter({ http: { framing: "ndjson" } }).headers["Content-Type"],
    "application/x-ndjson",
  );
});

Deno.test("the sumo_logic preset: NDJSON, gzip, 1 MB, the X-Sumo headers, the URL kept whole", () => {
  const config = parseSIEMConfig({
    platform: "http",
    endpoint: SUMO_URL,
    http: {
      preset: "sumo_logic",
      sumoCategory: "security/harombe",
      sumoName: "harombe-siem",
      sumoHost: "edge-1",
    },
  });
  assert.equal(config.compression, "gzip");
  assert.equal(config.maxBatchBytes, 1_000_000);
  assert.equal(config.http?.framing, "ndjson");
  assert.equal(config.http?.secretUrl, true);
  const sumo = createExporter(config);
  assert.equal(sumo.url, SUMO_URL);
  assert.deepEqual(sumo.headers, {
    "Content-Type": "application/x-ndjson",
    "X-Sumo-Category": "security/harombe",
    "X-Sumo-Name": "harombe-siem",
    "X-Sumo-Host": "edge-1",
  });
  assert.equal(sumo.formatBatch(goldenSIEMEvents()), GOLDEN_NDJSON);
});

Deno.test("config rules of http destinations", () => {
  const bad: [Partial<SIEMConfigInput>, RegExp][] = [
    [{ endpoint: "https://h.example.com/in#frag" }, /endpoint must have no/],
    [{ endpoint: "https://u:p@h.example.com/in" }, /endpoint must have no/],
    [
      { endpoint: "http://h.example.com/in", token: "t-0123456789" },
      /endpoint must use https/,
    ],
    [
      {
        endpoint: "http://h.example.com/in",
        http: { headers: { "X-API-Key": "k" } },
      },
      /endpoint must use https/,
    ],
    [
      {
        endpoint: "http://h.example.com/in",
        http: { headers: { "X-Hook": "k" }, secretHeaders: ["x-hook"] },
      },
      /endpoint must use https/,
    ],
    [
      { endpoint: "https://h.example.com/in", http: { preset: "sumo_logic" } },
      /must be the Sumo Logic HTTP Source URL/,
    ],
    [
      {
        endpoint: SUMO_URL,
        http: { preset: "sumo_logic" },
        maxBatchBytes: 2_000_000,
      },
      /maxBatchBytes must be at most 1000000 for Sumo Logic/,
    ],
    [
      { http: { sumoCategory: "x" } },
      /http.sumoCategory is for preset "sumo_logic" only/,
    ],
    [
      { http: { headers: { "Content-Type": "text/plain" } } },
      /must not set content-type: it is set by the exporter itself/,
    ],
    [
      { http: { headers: { "X-Evil": "a\r\nInjected: yes" } } },
      /must be 1-8192 visible ASCII/,
    ],
    [
      { token: "t-0123456789", http: { headers: { Authorization: "x" } } },
      /must not set Authorization when token is set/,
    ],
    [{ http: { framing: "xml" as "ndjson" } }, /must be json_array or ndjson/],
  ];
  for (const [extra, message] of bad) {
    assert.throws(
      () =>
        parseSIEMConfig({
          platform: "http",
          endpoint: "https://hooks.example.com/siem",
          ...extra,
        }),
      message,
      JSON.stringify(extra),
    );
  }
  assert.throws(
    () =>
      parseSIEMConfig({
        platform: "splunk",
        endpoint: "https://s:8088",
        http: { framing: "ndjson" },
      }),
    /http is for http destinations only/,
  );
  // Loopback over plain http is fine (a local Vector or Logstash input).
  assert.equal(
    parseSIEMConfig({
      platform: "http",
      endpoint: "http://127.0.0.1:8080/",
      token: "t-0123456789",
    }).endpoint,
    "http://127.0.0.1:8080/",
  );
});

Deno.test("HttpExporter.classify: 2xx delivered, an HTML page is not; 429/5xx retried with Retry-After; 413 split; 401/403/404 setup; other 4xx dead-lettered", () => {
  const http = exporter();
  const now = Date.parse("2026-01-31T12:00:00Z");
  const h = (init: Record<string, string> = {}) => new Headers(init);
  for (const status of [200, 201, 202, 204]) {
    assert.deepEqual(http.classify(status, h(), "", 2, now), {
      kind: "delivered",
    });
  }
  assert.deepEqual(
    http.classify(200, h({ "content-type": "text/plain" }), "ok", 2, now),
    { kind: "delivered" },
  );
  // Frameworks label a plain "ok" or an empty answer text/html: no page.
  for (const body of ["ok", "", "Accepted 2 events"]) {
    assert.deepEqual(
      http.classify(
        200,
        h({ "content-type": "text/html; charset=utf-8" }),
        body,
        2,
        now,
      ),
      { kind: "delivered" },
      body,
    );
  }
  const page = http.classify(
    200,
    h({ "content-type": "text/html" }),
    "<!DOCTYPE html><html><title>Sign in</title></html>",
    2,
    now,
  );
  assert.equal(page.kind, "retry");
  assert.match(
    page.kind === "retry" ? page.setup ?? "" : "",
    /HTML page, not the receiver's/,
  );
  // No content type, but an HTML document all the same.
  assert.equal(
    http.classify(200, h(), "<html><body>proxy</body></html>", 1, now).kind,
    "retry",
  );
  for (const status of [408, 429, 500, 502, 503, 504]) {
    const verdict = http.classify(
      status,
      h({ "retry-after": "7" }),
      "busy",
      2,
      now,
    );
    assert.deepEqual(verdict, {
      kind: "retry",
      reason: `HTTP ${status}: busy`,
      status,
      retryAfterMs: 7000,
    });
  }
  assert.deepEqual(
    http.classify(
      429,
      h({ "retry-after": "Sat, 31 Jan 2026 12:00:30 GMT" }),
      "",
      1,
      now,
    ),
    {
      kind: "retry",
      reason: "HTTP 429: (empty body)",
      status: 429,
      retryAfterMs: 30_000,
    },
  );
  assert.deepEqual(http.classify(413, h(), "too big", 4, now), {
    kind: "split",
    reason: "HTTP 413: too big",
    status: 413,
  });
  for (const status of [401, 403, 404, 405]) {
    const verdict = http.classify(status, h(), "no", 2, now);
    assert.equal(verdict.kind, "retry", String(status));
    assert.ok(verdict.kind === "retry" && verdict.setup, String(status));
  }
  assert.deepEqual(
    http.classify(422, h(), '{"error":"field x missing"}', 2, now),
    {
      kind: "partial",
      retry: [],
      rejected: [
        {
          index: 0,
          reason: 'HTTP 422: {"error":"field x missing"}',
          status: 422,
        },
        {
          index: 1,
          reason: 'HTTP 422: {"error":"field x missing"}',
          status: 422,
        },
      ],
      backoff: false,
    },
  );
  // A proxy's HTML 400 says nothing of the events: kept, not dead-lettered.
  const proxy400 = http.classify(
    400,
    h({ "content-type": "text/html" }),
    "<html>bad gateway config</html>",
    2,
    now,
  );
  assert.equal(proxy400.kind, "retry");
});

Deno.test("the sumo_logic preset's 401 names the HTTP Source URL; an event above 1 MB is refused before sending", () => {
  const sumo = createExporter({
    platform: "http",
    endpoint: SUMO_URL,
    http: { preset: "sumo_logic" },
  });
  const verdict = sumo.classify(401, new Headers(), "", 1, 0);
  assert.match(
    verdict.kind === "retry" ? verdict.setup ?? "" : "",
    /HTTP Source URL/,
  );
  assert.equal(sumo.refuseEventBytes(999_999), undefined);
  assert.match(
    sumo.refuseEventBytes(1_000_000) ?? "",
    /above the 1000000-byte request limit \(maxBatchBytes, Sumo Logic's limit per request\)/,
  );
  const array = exporter({ maxBatchBytes: 1024 });
  assert.equal(array.refuseEventBytes(1022), undefined);
  assert.ok(array.refuseEventBytes(1023));
});

Deno.test("HttpExporter.send() against the strict fake receiver: JSON array with an API key header, then NDJSON gzip", async () => {
  await using receiver = startFakeHttpReceiver({
    requiredHeaders: { "x-api-key": "key-0123456789" },
  });
  const http = createExporter({
    platform: "http",
    endpoint: receiver.endpoint,
    http: { headers: { "X-API-Key": "key-0123456789" } },
  });
  const { verdict, status } = await http.send(goldenSIEMEvents());
  assert.deepEqual(verdict, { kind: "delivered" });
  assert.equal(status, 200);
  assert.equal(
    new TextDecoder().decode(receiver.requests[0]!.body),
    GOLDEN_ARRAY,
  );
  assert.deepEqual(
    receiver.events.map((e) => e.event_id),
    ["0b5c7e3a-1f0e-4c1e-9a53-6f2d2a7c9e01", "evt-2"],
  );

  await using ndjson = startFakeHttpReceiver({
    framing: "ndjson",
    requiredHeaders: { authorization: "Bearer tok-0123456789" },
  });
  const lines = createExporter({
    platform: "http",
    endpoint: ndjson.endpoint,
    token: "tok-0123456789",
    compression: "gzip",
    http: { framing: "ndjson" },
  });
  assert.deepEqual((await lines.send(goldenSIEMEvents())).verdict, {
    kind: "delivered",
  });
  assert.equal(ndjson.requests[0]!.headers.get("content-encoding"), "gzip");
  assert.equal(
    new TextDecoder().decode(ndjson.requests[0]!.body),
    GOLDEN_NDJSON,
  );
});

Deno.test("the strict fake refuses what breaks its contract, and the exporter reads each refusal", async () => {
  await using receiver = startFakeHttpReceiver({
    requiredHeaders: { "x-api-key": "key-0123456789" },
    maxBodyBytes: 300,
  });
  const wrongKey = createExporter({
    platform: "http",
    endpoint: receiver.endpoint,
    http: { headers: { "X-API-Key": "key-wrong-000" } },
  });
  const refused = await wrongKey.send(goldenSIEMEvents());
  assert.equal(refused.status, 401);
  assert.equal(refused.verdict.kind, "retry");
  const framing = createExporter({
    platform: "http",
    endpoint: receiver.endpoint,
    http: {
      framing: "ndjson",
      headers: { "X-API-Key": "key-0123456789" },
    },
  });
  const wrongType = await framing.send(goldenSIEMEvents().slice(1));
  assert.equal(wrongType.status, 415);
  assert.equal(wrongType.verdict.kind, "partial");
  const big = createExporter({
    platform: "http",
    endpoint: receiver.endpoint,
    http: { headers: { "X-API-Key": "key-0123456789" } },
  });
  const tooLarge = await big.send(goldenSIEMEvents());
  assert.equal(tooLarge.status, 413);
  assert.equal(tooLarge.verdict.kind, "split");
  assert.equal(receiver.events.length, 0);
});

Deno.test("httpSecrets and shownEndpoint: credential query parameters are secrets even without secretUrl; a secret URL shows its origin only", () => {
  const hook = parseSIEMConfig({
    platform: "http",
    endpoint:
      "https://hooks.example.com/in?team=sec&api_key=qk-0123456789&sig=abcd%2Fefgh",
  });
  assert.deepEqual(
    httpSecrets(hook.endpoint, hook.http!),
    ["qk-0123456789", "abcd/efgh"],
  );
  assert.equal(shownEndpoint(hook), "https://hooks.example.com/in");
  const plain = parseSIEMConfig({
    platform: "http",
    endpoint: "https://hooks.example.com/in?team=sec",
  });
  assert.deepEqual(httpSecrets(plain.endpoint, plain.http!), []);
  assert.equal(shownEndpoint(plain), "https://hooks.example.com/in?team=sec");
  const slack = parseSIEMConfig({
    platform: "http",
    endpoint: "https://hooks.slack.test/services/T0001/B0002/XXXXyyyyZZZZ0000",
    http: { secretUrl: true },
  });
  assert.deepEqual(httpSecrets(slack.endpoint, slack.http!), [
    "/services/T0001/B0002/XXXXyyyyZZZZ0000",
    "services",
    "XXXXyyyyZZZZ0000",
  ]);
  assert.equal(shownEndpoint(slack), "https://hooks.slack.test");
  // Another platform's endpoint is shown as it is.
  assert.equal(
    shownEndpoint(
      parseSIEMConfig({ platform: "splunk", endpoint: "https://s:8088" }),
    ),
    "https://s:8088",
  );
});

Deno.test("HttpExporter.classify: a 3xx or unknown status is a setup error naming it; HTML markup under xhtml is a page; an HTML page with a 5xx is still transient", () => {
  const http = exporter();
  for (const status of [300, 304, 399]) {
    assert.deepEqual(http.classify(status, new Headers(), "", 2, 0), {
      kind: "retry",
      reason: `HTTP ${status}: (empty body)`,
      status,
      retryAfterMs: undefined,
      setup:
        `the receiver answered HTTP ${status}: check the URL and the receiver`,
    });
  }
  const xhtml = http.classify(
    200,
    new Headers({ "content-type": "application/xhtml+xml" }),
    "<div>Sign in</div>",
    2,
    0,
  );
  assert.equal(xhtml.kind, "retry");
  const busy = http.classify(
    503,
    new Headers({ "content-type": "text/html", "retry-after": "3" }),
    "<html><body>503 Service Unavailable</body></html>",
    2,
    0,
  );
  assert.deepEqual(busy, {
    kind: "retry",
    reason: "HTTP 503: <html><body>503 Service Unavailable</body></html>",
    status: 503,
    retryAfterMs: 3000,
  });
  // A 4xx dead-letters every event of the batch with the same reason.
  const refused = http.classify(422, new Headers(), "bad field", 3, 0);
  assert.deepEqual(refused, {
    kind: "partial",
    retry: [],
    rejected: [0, 1, 2].map((index) => ({
      index,
      reason: "HTTP 422: bad field",
      status: 422,
    })),
    backoff: false,
  });
});

Deno.test("HttpExporter.classify(): every status from 400 to 599 is transient, split, setup or dead-lettered as its class says", () => {
  const http = exporter();
  for (let status = 400; status <= 599; status++) {
    const verdict = http.classify(status, new Headers(), "nope", 2, 0);
    const transient = status === 408 || status === 429 ||
      (status >= 500 && status !== 501);
    const reason = `HTTP ${status}: nope`;
    if (status === 413) {
      assert.deepEqual(verdict, { kind: "split", reason, status });
    } else if (transient) {
      assert.deepEqual(verdict, {
        kind: "retry",
        reason,
        status,
        retryAfterMs: undefined,
      }, `${status}`);
    } else if ([401, 403, 404, 405].includes(status) || status >= 500) {
      assert.equal(verdict.kind, "retry", `${status}`);
      assert.equal(
        typeof (verdict.kind === "retry" && verdict.setup),
        "string",
        `${status}`,
      );
    } else {
      assert.deepEqual(verdict, {
        kind: "partial",
        retry: [],
        rejected: [0, 1].map((index) => ({ index, reason, status })),
        backoff: false,
      }, `${status}`);
    }
  }
});
