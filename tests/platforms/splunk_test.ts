import assert from "node:assert/strict";
import { SplunkExporter } from "../../src/platforms/splunk.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import { goldenSIEMEvents } from "../fixtures/events.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";

const TOKEN = "11111111-2222-3333-4444-555555555555";

function exporter(
  endpoint = "https://hec.example.com:8088",
  extra: Record<string, unknown> = {},
): SplunkExporter {
  return new SplunkExporter(parseSIEMConfig({
    platform: "splunk",
    endpoint,
    token: TOKEN,
    host: "web-1",
    ...extra,
  }));
}

// The golden batch: two HEC envelopes back to back, no array, no commas;
// `time` in epoch seconds with milliseconds as decimals.
const GOLDEN =
  '{"time":1769860800.123,"host":"web-1","source":"harombe","sourcetype":"harombe:security","index":"harombe-security","event":{"event_id":"0b5c7e3a-1f0e-4c1e-9a53-6f2d2a7c9e01","correlation_id":"req-42","session_id":"sess-7","timestamp":"2026-01-31T12:00:00.123Z","event_type":"security_decision","actor":"policy-engine","tool_name":"shell","action":"deny_tool","metadata":{"rule":"no-rm","path":"/tmp/é\\"x","depth":{"n":1}},"duration_ms":12,"status":"error","error_message":"refusé: \u2028 line","source":"harombe","severity":"error"}}' +
  '{"time":1769860801,"host":"web-1","source":"harombe","sourcetype":"harombe:security","index":"harombe-security","event":{"event_id":"evt-2","correlation_id":"req-43","timestamp":"2026-01-31T12:00:01.000Z","event_type":"request","actor":"agent-7","action":"read_file","metadata":{},"status":"success","source":"harombe","severity":"info"}}';

Deno.test("SplunkExporter.formatBatch() writes the golden batch byte for byte", async () => {
  const splunk = exporter();
  assert.equal(splunk.formatBatch(goldenSIEMEvents()), GOLDEN);
  const prepared = await splunk.prepare(goldenSIEMEvents());
  assert.deepEqual(prepared.body, new TextEncoder().encode(GOLDEN));
  assert.equal(prepared.uncompressedBytes, prepared.body.length);
});

Deno.test("SplunkExporter.formatEvent() leaves out host when none is configured", () => {
  const splunk = new SplunkExporter(parseSIEMConfig({
    platform: "splunk",
    endpoint: "https://hec:8088",
    sourcetype: "custom:type",
    index: "main",
  }));
  const [first] = goldenSIEMEvents();
  const envelope = JSON.parse(splunk.formatEvent(first!));
  assert.deepEqual(Object.keys(envelope), [
    "time",
    "source",
    "sourcetype",
    "index",
    "event",
  ]);
  assert.equal(envelope.sourcetype, "custom:type");
  assert.equal(envelope.index, "main");
  assert.equal(envelope.time, 1769860800.123);
});

Deno.test("SplunkExporter url and headers follow the HEC contract", () => {
  const splunk = exporter("https://hec.example.com:8088/");
  assert.equal(
    splunk.url,
    "https://hec.example.com:8088/services/collector/event",
  );
  assert.deepEqual(splunk.headers, {
    "Content-Type": "application/json",
    "Authorization": `Splunk ${TOKEN}`,
  });
  const noToken = new SplunkExporter(
    parseSIEMConfig({ platform: "splunk", endpoint: "http://127.0.0.1:1" }),
  );
  assert.equal(noToken.headers["Authorization"], undefined);
});

Deno.test("SplunkExporter.classify() reads HEC's codes", () => {
  const splunk = exporter();
  const none = new Headers();
  const at = (status: number, body: unknown, size = 3, headers = none) =>
    splunk.classify(status, headers, JSON.stringify(body), size, 0);
  assert.deepEqual(at(200, { text: "Success", code: 0 }), {
    kind: "delivered",
  });
  // Busy, internal error and unhealthy queues are transient.
  for (const [status, code] of [[503, 9], [500, 8], [503, 18], [503, 20]]) {
    assert.equal(at(status!, { text: "x", code }).kind, "retry");
  }
  // Token problems keep the batch so that fixing the token loses nothing.
  for (const [status, code] of [[401, 2], [401, 3], [403, 4], [403, 1]]) {
    const verdict = at(status!, { text: "Invalid token", code });
    assert.equal(verdict.kind, "retry");
  }
  assert.equal(
    at(400, { text: "Incorrect index", code: 7, "invalid-event-number": 0 })
      .kind,
    "retry",
  );
  // One bad event: rejected alone, the others resent at once.
  assert.deepEqual(
    at(400, {
      text: "Invalid data format",
      code: 6,
      "invalid-event-number": 1,
    }),
    {
      kind: "partial",
      rejected: [{
        index: 1,
        reason: "HEC code 6: Invalid data format (HTTP 400)",
      }],
      retry: [0, 2].map((index) => ({
        index,
        reason: "HEC code 6: Invalid data format (HTTP 400)",
      })),
      backoff: false,
    },
  );
  // A payload error that names no event splits the batch; so does 413.
  assert.equal(at(400, { text: "Invalid data format", code: 6 }).kind, "split");
  assert.equal(splunk.classify(413, none, "", 3, 0).kind, "split");
  // A 200 without code 0 is not a success.
  assert.equal(splunk.classify(200, none, "<html>", 3, 0).kind, "retry");
  const limited = at(
    429,
    { text: "HEC queue at capacity", code: 26 },
    3,
    new Headers({ "Retry-After": "4" }),
  );
  assert.equal(limited.kind, "retry");
  assert.equal(limited.kind === "retry" && limited.retryAfterMs, 4000);
});

Deno.test("SplunkExporter.send() is accepted by the strict fake HEC, plain and gzip", async () => {
  await using hec = startFakeSplunk({ token: TOKEN });
  for (const compression of ["none", "gzip"] as const) {
    const splunk = exporter(hec.url, { compression });
    const outcome = await splunk.send(goldenSIEMEvents());
    assert.equal(outcome.status, 200);
    assert.deepEqual(outcome.verdict, { kind: "delivered" });
    const request = hec.requests.at(-1)!;
    assert.equal(request.path, "/services/collector/event");
    assert.equal(request.headers.get("authorization"), `Splunk ${TOKEN}`);
    assert.equal(
      request.headers.get("content-encoding"),
      compression === "gzip" ? "gzip" : null,
    );
    assert.equal(new TextDecoder().decode(request.body), GOLDEN);
  }
  assert.equal(hec.events.length, 4);
  assert.equal(
    (hec.events[0]!.event as Record<string, unknown>).event_id,
    "0b5c7e3a-1f0e-4c1e-9a53-6f2d2a7c9e01",
  );
});

Deno.test("SplunkExporter.send() turns a wrong token into a retry with HEC's reason", async () => {
  await using hec = startFakeSplunk({ token: TOKEN });
  const wrong = new SplunkExporter(parseSIEMConfig({
    platform: "splunk",
    endpoint: hec.url,
    token: "not-the-token",
  }));
  const outcome = await wrong.send(goldenSIEMEvents());
  assert.equal(outcome.status, 403);
  assert.deepEqual(outcome.verdict, {
    kind: "retry",
    reason: "HEC code 4: Invalid token (HTTP 403)",
    status: 403,
    retryAfterMs: undefined,
    setup:
      "check the HEC token (enabled, allowed to write the configured index) and the collector's settings",
  });
  assert.equal(hec.events.length, 0);
});

Deno.test("SplunkExporter.send() reports a network error and a timeout as retries", async () => {
  const hec = startFakeSplunk({ token: TOKEN });
  const url = hec.url;
  await hec.close();
  const closed = await exporter(url).send(goldenSIEMEvents());
  assert.equal(closed.verdict.kind, "retry");
  assert.match(
    closed.verdict.kind === "retry" ? closed.verdict.reason : "",
    /^network error/,
  );
  await using slow = startFakeSplunk({ token: TOKEN });
  slow.failNext({ hang: true });
  const hung = await exporter(slow.url, { timeoutMs: 1000 }).send(
    goldenSIEMEvents(),
  );
  assert.deepEqual(hung.verdict, {
    kind: "retry",
    reason: "request timed out after 1000 ms",
  });
});

Deno.test("SplunkExporter.classify() never names an event outside the batch", () => {
  const splunk = exporter();
  const none = new Headers();
  // HEC's invalid-event-number is 0-based (wire-specs §1.8): in a batch of 3
  // only 0, 1 and 2 exist. Any other number must not become a partial
  // verdict, whose out-of-range index would make the batch disappear.
  for (const bad of [3, 4, -1, 1.5, "1", null]) {
    const verdict = splunk.classify(
      400,
      none,
      JSON.stringify({
        text: "Invalid data format",
        code: 6,
        "invalid-event-number": bad,
      }),
      3,
      0,
    );
    assert.equal(verdict.kind, "split", `invalid-event-number ${bad}`);
  }
  // The last event is still in range.
  const last = splunk.classify(
    400,
    none,
    JSON.stringify({ text: "x", code: 6, "invalid-event-number": 2 }),
    3,
    0,
  );
  assert.equal(last.kind, "partial");
  assert.deepEqual(
    last.kind === "partial" && last.rejected.map((f) => f.index),
    [2],
  );
});

Deno.test("SplunkExporter.classify() splits only on payload errors; a wrong path or a proxy's page is a setup error", () => {
  const splunk = exporter();
  const json = new Headers({ "content-type": "application/json" });
  const html = new Headers({ "content-type": "text/html" });
  const page = "<html><head><title>400 Bad Request</title></head></html>";
  for (const code of [5, 6, 12, 13, 15]) {
    const body = JSON.stringify({ text: "x", code });
    assert.equal(splunk.classify(400, json, body, 3, 0).kind, "split");
  }
  const cases: Array<[number, Headers, string, RegExp]> = [
    [400, html, page, /not HEC's: check the endpoint, and any proxy/],
    [403, html, page, /not HEC's/],
    [200, html, page, /not HEC's/],
    [
      404,
      json,
      '{"text":"The requested URL was not found","code":404}',
      /check the endpoint/,
    ],
    [405, html, page, /check the endpoint/],
    [400, json, '{"text":"Incorrect index","code":7}', /check the HEC token/],
    [
      400,
      json,
      '{"text":"Data channel is missing","code":10}',
      /check the HEC token/,
    ],
    [400, json, '{"text":"Something new","code":99}', /code 99/],
  ];
  for (const [status, headers, body, check] of cases) {
    const verdict = splunk.classify(status, headers, body, 3, 0);
    assert.equal(verdict.kind, "retry", `${status} ${body}`);
    assert.match(verdict.kind === "retry" ? verdict.setup ?? "" : "", check);
  }
  // A transient status stays an ordinary retry, even from a proxy.
  const busy = splunk.classify(502, html, page, 3, 0);
  assert.equal(busy.kind === "retry" && busy.setup, undefined);
});

Deno.test("SplunkExporter writes a producer's stamp as the indexed field fields.producer, beside the event, byte for byte", () => {
  const splunk = exporter();
  const [first, second] = goldenSIEMEvents();
  const stamped = { ...second!, producer: 'bill"ing' };
  const batch = splunk.formatBatch([stamped, second!, {
    ...first!,
    producer: "auth",
  }]);
  const envelope =
    '{"time":1769860801,"host":"web-1","source":"harombe","sourcetype":"harombe:security","index":"harombe-security",';
  const [a, b, c] = batch.split(/(?<=\}\})(?=\{"time")/);
  assert.equal(
    a,
    `${envelope}"fields":{"producer":"bill\\"ing"},"event":${
      JSON.stringify(stamped)
    }}`,
  );
  assert.equal(b, `${envelope}"event":${JSON.stringify(second)}}`);
  assert.deepEqual(JSON.parse(c!).fields, { producer: "auth" });
  assert.equal(JSON.parse(c!).event.producer, "auth");
});

Deno.test("SplunkExporter re-encodes the envelope when the source changes, and keeps host, sourcetype and index", () => {
  const splunk = exporter();
  const [first, second] = goldenSIEMEvents();
  const batch = splunk.formatBatch([
    first!,
    { ...second!, source: "other-app" },
    first!,
  ]);
  const sources = [...batch.matchAll(/"source":"([^"]*)","sourcetype"/g)].map(
    (m) => m[1],
  );
  assert.deepEqual(sources, ["harombe", "other-app", "harombe"]);
  assert.equal(batch.match(/"host":"web-1"/g)?.length, 3);
  assert.equal(batch.match(/"index":"harombe-security"/g)?.length, 3);
});

Deno.test("SplunkExporter.classify(): each setup code points at the token and collector; any other code at HEC's table; a 2xx without code 0 too", () => {
  const splunk = exporter();
  const json = new Headers({ "content-type": "application/json" });
  const setupOf = (status: number, code: number) => {
    const verdict = splunk.classify(
      status,
      json,
      JSON.stringify({ text: "t", code }),
      2,
      0,
    );
    assert.equal(verdict.kind, "retry", `${status}/${code}`);
    return verdict.kind === "retry" ? verdict.setup : undefined;
  };
  const token =
    "check the HEC token (enabled, allowed to write the configured index) and the collector's settings";
  for (const code of [1, 2, 3, 4, 7, 10, 11, 14, 16, 21, 22]) {
    assert.equal(setupOf(400, code), token, `code ${code}`);
  }
  assert.equal(setupOf(200, 6), token);
  assert.equal(setupOf(201, 0), token);
  for (const code of [17, 24, 27]) {
    assert.equal(
      setupOf(400, code),
      `HEC answered code ${code}: check HEC's troubleshooting table`,
    );
  }
  // 404 and 405 are a wrong path, whatever HEC's code.
  assert.match(
    setupOf(404, 404) ?? "",
    /does not take batches at this URL.*\/services\/collector\/event/,
  );
  assert.match(setupOf(405, 4) ?? "", /does not take batches at this URL/);
  // A blank text still says something.
  const blank = splunk.classify(503, json, '{"text":"","code":9}', 2, 0);
  assert.equal(
    blank.kind === "retry" && blank.reason,
    "HEC code 9: (no text given) (HTTP 503)",
  );
});
