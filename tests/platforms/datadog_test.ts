import assert from "node:assert/strict";
import {
  DATADOG_MAX_LOG_BYTES,
  DatadogExporter,
} from "../../src/platforms/datadog.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import { goldenSIEMEvents } from "../fixtures/events.ts";
import { startFakeDatadog } from "../fakes/fake_datadog.ts";

const API_KEY = "0123456789abcdef0123456789abcdef";

function exporter(
  endpoint = "https://http-intake.logs.datadoghq.com",
  extra: Record<string, unknown> = {},
): DatadogExporter {
  return new DatadogExporter(parseSIEMConfig({
    platform: "datadog",
    endpoint,
    token: API_KEY,
    tags: ["env:prod", "team:sec"],
    host: "web-1",
    ...extra,
  }));
}

// The golden batch: one JSON array; each log has Datadog's reserved
// attributes first, `status` as a level name, and the whole SIEM event
// under `audit` (so its own `status` and `source` do not collide).
const GOLDEN =
  '[{"ddsource":"harombe","ddtags":"env:prod,team:sec,event_type:security_decision","hostname":"web-1","service":"harombe","message":"security_decision: policy-engine deny_tool shell -> error","status":"error","timestamp":"2026-01-31T12:00:00.123Z","audit":{"event_id":"0b5c7e3a-1f0e-4c1e-9a53-6f2d2a7c9e01","correlation_id":"req-42","session_id":"sess-7","timestamp":"2026-01-31T12:00:00.123Z","event_type":"security_decision","actor":"policy-engine","tool_name":"shell","action":"deny_tool","metadata":{"rule":"no-rm","path":"/tmp/é\\"x","depth":{"n":1}},"duration_ms":12,"status":"error","error_message":"refusé: \u2028 line","source":"harombe","severity":"error"}},' +
  '{"ddsource":"harombe","ddtags":"env:prod,team:sec,event_type:request","hostname":"web-1","service":"harombe","message":"request: agent-7 read_file -> success","status":"info","timestamp":"2026-01-31T12:00:01.000Z","audit":{"event_id":"evt-2","correlation_id":"req-43","timestamp":"2026-01-31T12:00:01.000Z","event_type":"request","actor":"agent-7","action":"read_file","metadata":{},"status":"success","source":"harombe","severity":"info"}}]';

Deno.test("DatadogExporter.formatBatch() writes the golden batch byte for byte", async () => {
  const datadog = exporter();
  assert.equal(datadog.formatBatch(goldenSIEMEvents()), GOLDEN);
  const prepared = await datadog.prepare(goldenSIEMEvents());
  assert.deepEqual(prepared.body, new TextEncoder().encode(GOLDEN));
});

Deno.test("DatadogExporter url and headers follow the logs v2 contract", () => {
  const datadog = exporter("https://http-intake.logs.datadoghq.eu/");
  assert.equal(
    datadog.url,
    "https://http-intake.logs.datadoghq.eu/api/v2/logs",
  );
  assert.deepEqual(datadog.headers, {
    "Content-Type": "application/json",
    "DD-API-KEY": API_KEY,
  });
});

Deno.test("DatadogExporter.formatEvent() leaves out hostname and extra tags when not configured", () => {
  const datadog = new DatadogExporter(parseSIEMConfig({
    platform: "datadog",
    endpoint: "https://dd",
    token: "k",
    service: "audit-svc",
  }));
  const log = JSON.parse(datadog.formatEvent(goldenSIEMEvents()[1]!));
  assert.equal("hostname" in log, false);
  assert.equal(log.ddtags, "event_type:request");
  assert.equal(log.service, "audit-svc");
});

Deno.test("DatadogExporter.refuseEventBytes() refuses a log Datadog would truncate", () => {
  const datadog = exporter();
  assert.equal(datadog.refuseEventBytes(DATADOG_MAX_LOG_BYTES), undefined);
  assert.equal(
    datadog.refuseEventBytes(DATADOG_MAX_LOG_BYTES + 1),
    "log is 1000001 bytes, above Datadog's 1000000-byte limit per log (Datadog would truncate it)",
  );
});

Deno.test("DatadogExporter.classify() reads the intake's statuses", () => {
  const datadog = exporter();
  const none = new Headers();
  assert.deepEqual(datadog.classify(202, none, "{}", 2, 0), {
    kind: "delivered",
  });
  // An empty 2xx body is the intake's too (no page in front of it).
  assert.deepEqual(datadog.classify(202, none, "", 2, 0), {
    kind: "delivered",
  });
  for (const status of [408, 429, 500, 503, 401, 403]) {
    assert.equal(datadog.classify(status, none, "{}", 2, 0).kind, "retry");
  }
  assert.deepEqual(
    datadog.classify(
      413,
      none,
      JSON.stringify({
        errors: [{
          status: "413",
          title: "Request Entity Too Large",
          detail: "batch above 5MB uncompressed",
        }],
      }),
      2,
      0,
    ),
    {
      kind: "split",
      status: 413,
      reason:
        "HTTP 413: Request Entity Too Large: batch above 5MB uncompressed",
    },
  );
  // 400 splits only with Datadog's own error body (wire-specs §3.5).
  assert.equal(
    datadog.classify(
      400,
      none,
      JSON.stringify({ errors: [{ status: "400", title: "Bad Request" }] }),
      2,
      0,
    ).kind,
    "split",
  );
  assert.equal(datadog.classify(400, none, "{}", 2, 0).kind, "retry");
  // Every error of the answer is in the reason, one after another.
  assert.deepEqual(
    datadog.classify(
      400,
      none,
      JSON.stringify({
        errors: [{ title: "Bad Request", detail: "no message" }, "bad tags"],
      }),
      2,
      0,
    ),
    {
      kind: "split",
      status: 400,
      reason: "HTTP 400: Bad Request: no message; bad tags",
    },
  );
  const limited = datadog.classify(
    429,
    new Headers({ "X-RateLimit-Reset": "12" }),
    "{}",
    2,
    0,
  );
  assert.equal(limited.kind === "retry" && limited.retryAfterMs, 12_000);
});

Deno.test("DatadogExporter.send() is accepted by the strict fake intake, plain and gzip", async () => {
  await using intake = startFakeDatadog({ apiKey: API_KEY });
  for (const compression of ["none", "gzip"] as const) {
    const outcome = await exporter(intake.url, { compression }).send(
      goldenSIEMEvents(),
    );
    assert.equal(outcome.status, 202);
    assert.deepEqual(outcome.verdict, { kind: "delivered" });
    assert.equal(
      new TextDecoder().decode(intake.requests.at(-1)!.body),
      GOLDEN,
    );
  }
  assert.equal(intake.logs.length, 4);
  assert.equal(intake.logs[0]!.status, "error");
  assert.equal(
    (intake.logs[0]!.audit as Record<string, unknown>).status,
    "error",
  );
  assert.equal(intake.truncatedLogs, 0);
});

Deno.test("DatadogExporter.send() with a wrong key keeps the batch for a retry", async () => {
  await using intake = startFakeDatadog({ apiKey: API_KEY });
  const outcome = await exporter(intake.url, { token: "wrong" }).send(
    goldenSIEMEvents(),
  );
  assert.equal(outcome.status, 403);
  assert.deepEqual(outcome.verdict, {
    kind: "retry",
    status: 403,
    reason: "HTTP 403: Forbidden: API key is invalid",
    retryAfterMs: undefined,
    setup:
      "check the API key (DD-API-KEY) and that the endpoint is its Datadog site",
  });
  assert.equal(intake.logs.length, 0);
});

Deno.test("DatadogExporter.classify() splits only on a 400 with Datadog's body; a wrong path or a proxy's page is a setup error", () => {
  const datadog = exporter();
  const json = new Headers({ "content-type": "application/json" });
  const html = new Headers({ "content-type": "text/html" });
  const page = "<html><head><title>400 Bad Request</title></head></html>";
  const errors = (status: number) =>
    JSON.stringify({ errors: [{ status: String(status), title: "t" }] });
  assert.equal(datadog.classify(400, json, errors(400), 2, 0).kind, "split");
  assert.equal(datadog.classify(202, json, "{}", 2, 0).kind, "delivered");
  const cases: Array<[number, Headers, string, RegExp]> = [
    [400, html, page, /not Datadog's: check the endpoint, and any proxy/],
    [200, html, page, /not Datadog's/],
    [404, json, errors(404), /check the endpoint/],
    [405, html, page, /check the endpoint/],
    [415, json, errors(415), /check the endpoint and the request headers/],
  ];
  for (const [status, headers, body, check] of cases) {
    const verdict = datadog.classify(status, headers, body, 2, 0);
    assert.equal(verdict.kind, "retry", `${status} ${body}`);
    assert.match(verdict.kind === "retry" ? verdict.setup ?? "" : "", check);
  }
});

Deno.test("DatadogExporter writes a producer's stamp as the attribute producer and the tag producer:<name>, per producer", () => {
  const datadog = exporter();
  const [, second] = goldenSIEMEvents();
  const logs = JSON.parse(datadog.formatBatch([
    { ...second!, producer: "billing" },
    { ...second!, producer: "auth" },
    second!,
  ]));
  assert.deepEqual(logs.map((l: Record<string, unknown>) => l.ddtags), [
    "env:prod,team:sec,event_type:request,producer:billing",
    "env:prod,team:sec,event_type:request,producer:auth",
    "env:prod,team:sec,event_type:request",
  ]);
  assert.deepEqual(
    logs.map((l: Record<string, unknown>) => l.producer),
    ["billing", "auth", undefined],
  );
  // Right after the reserved attributes, before the event.
  assert.match(
    datadog.formatEvent({ ...second!, producer: "billing" }),
    /"timestamp":"2026-01-31T12:00:01\.000Z","producer":"billing","audit":\{/,
  );
});

Deno.test("DatadogExporter: schema datadog puts the standard attributes at the top level; schema ocsf nests the event under ocsf", () => {
  const [first] = goldenSIEMEvents();
  const standard = JSON.parse(
    exporter(undefined, { schema: "datadog" }).formatEvent(first!),
  );
  assert.equal(standard.status, "error");
  assert.equal(standard.ddsource, "harombe");
  assert.equal(standard.usr.id, "policy-engine");
  assert.equal(standard.evt.name, "deny_tool");
  assert.equal(standard.duration, 12_000_000);
  assert.equal("audit" in standard, true);
  assert.equal("ocsf" in standard, false);
  const ocsf = JSON.parse(
    exporter(undefined, { schema: "ocsf" }).formatEvent(first!),
  );
  assert.deepEqual(Object.keys(ocsf), [
    "ddsource",
    "ddtags",
    "hostname",
    "service",
    "message",
    "status",
    "timestamp",
    "ocsf",
  ]);
  assert.equal(ocsf.ocsf.time, Date.parse(first!.timestamp));
});

Deno.test("DatadogExporter: a severity that is no Datadog level is refused, not written", () => {
  const [first] = goldenSIEMEvents();
  assert.throws(
    () =>
      exporter().formatEvent({
        ...first!,
        severity: "critical" as "error",
      }),
    /severity must be info, warning or error/,
  );
});

Deno.test("DatadogExporter.classify(): Datadog's errors as objects give title: detail; blank errors say none was given", () => {
  const datadog = exporter();
  const json = new Headers({ "content-type": "application/json" });
  const at = (status: number, body: unknown) =>
    datadog.classify(status, json, JSON.stringify(body), 2, 0);
  assert.deepEqual(
    at(400, {
      errors: [
        { status: "400", title: "Bad Request", detail: "invalid JSON" },
        " ",
      ],
    }),
    {
      kind: "split",
      reason: "HTTP 400: Bad Request: invalid JSON",
      status: 400,
    },
  );
  assert.deepEqual(at(400, { errors: ["", "  "] }), {
    kind: "split",
    reason: "HTTP 400: (no error given)",
    status: 400,
  });
  const forbidden = at(403, { errors: ["Forbidden"] });
  assert.equal(forbidden.kind, "retry");
  assert.equal(
    forbidden.kind === "retry" && forbidden.reason,
    "HTTP 403: Forbidden",
  );
  assert.match(
    forbidden.kind === "retry" && forbidden.setup || "",
    /DD-API-KEY/,
  );
  const conflict = at(409, { errors: ["Conflict"] });
  assert.equal(conflict.kind, "retry");
  assert.equal(
    conflict.kind === "retry" && conflict.setup,
    "check the endpoint and the request headers",
  );
});

Deno.test("DatadogExporter writes each severity as Datadog's level name: info, warning, error", () => {
  const datadog = exporter();
  const [, second] = goldenSIEMEvents();
  for (const severity of ["info", "warning", "error"] as const) {
    const text = datadog.formatEvent({ ...second!, severity });
    assert.match(
      text,
      new RegExp(
        `"message":"request: agent-7 read_file -> success","status":"${severity}","timestamp":"2026-01-31T12:00:01\\.000Z"`,
      ),
    );
    assert.equal(JSON.parse(text).audit.severity, severity);
  }
});
