import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import {
  SENTINEL_COLUMNS,
  SentinelExporter,
} from "../../src/platforms/sentinel.ts";
import {
  SENTINEL_MAX_REQUEST_BYTES,
} from "../../src/platforms/sentinel_config.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import {
  goldenEvents,
  goldenSIEMEvents,
  realisticEvents,
} from "../fixtures/events.ts";
import { clockTest as test, FakeClock } from "../support/fake_clock.ts";
import { MemoryLogger } from "../support/receivers.ts";
import {
  SENTINEL,
  shippedColumns,
  startSentinelFakes,
} from "../support/sentinel.ts";

const quiet = new MemoryLogger();

function exporter(extra: Record<string, unknown> = {}): SentinelExporter {
  return new SentinelExporter(parseSIEMConfig({
    platform: "sentinel",
    endpoint: "https://harombe-dce-a1b2.westeurope-1.ingest.monitor.azure.com",
    sentinel: {
      tenantId: SENTINEL.tenantId,
      clientId: SENTINEL.clientId,
      clientSecret: SENTINEL.clientSecret,
      dcrImmutableId: SENTINEL.dcrImmutableId,
    },
    ...extra,
  }));
}

// The golden batch: a JSON array of rows, each TimeGenerated (the event's
// timestamp) then the SIEM event's own members, snake_case as on the wire.
const GOLDEN =
  '[{"TimeGenerated":"2026-01-31T12:00:00.123Z","event_id":"0b5c7e3a-1f0e-4c1e-9a53-6f2d2a7c9e01","correlation_id":"req-42","session_id":"sess-7","timestamp":"2026-01-31T12:00:00.123Z","event_type":"security_decision","actor":"policy-engine","tool_name":"shell","action":"deny_tool","metadata":{"rule":"no-rm","path":"/tmp/é\\"x","depth":{"n":1}},"duration_ms":12,"status":"error","error_message":"refusé: \u2028 line","source":"harombe","severity":"error"},' +
  '{"TimeGenerated":"2026-01-31T12:00:01.000Z","event_id":"evt-2","correlation_id":"req-43","timestamp":"2026-01-31T12:00:01.000Z","event_type":"request","actor":"agent-7","action":"read_file","metadata":{},"status":"success","source":"harombe","severity":"info"}]';

/** Runs fake-clock timers until `work` settles. */
async function drive<T>(clock: FakeClock, work: Promise<T>): Promise<T> {
  let done = false;
  const watched = work.finally(() => {
    done = true;
  });
  while (!done) {
    try {
      await clock.advance(await clock.nextTimer(50));
    } catch {
      // No timer yet: the work is on the network.
    }
  }
  return await watched;
}

function ids(rows: Array<Record<string, unknown>>): string[] {
  return rows.map((row) => row.event_id as string);
}

Deno.test("SentinelExporter.formatBatch() writes the golden batch byte for byte", async () => {
  const sentinel = exporter();
  assert.equal(sentinel.formatBatch(goldenSIEMEvents()), GOLDEN);
  const prepared = await sentinel.prepare(goldenSIEMEvents());
  assert.deepEqual(prepared.body, new TextEncoder().encode(GOLDEN));
  // One event is still an array (a bare object is answered 204 and lost).
  assert.match(
    sentinel.formatBatch(goldenSIEMEvents().slice(1)),
    /^\[\{.*\}\]$/,
  );
});

Deno.test("SentinelExporter url and headers follow the Logs Ingestion API", () => {
  const sentinel = exporter({
    sentinel: {
      tenantId: SENTINEL.tenantId,
      clientId: SENTINEL.clientId,
      clientSecret: SENTINEL.clientSecret,
      dcrImmutableId: SENTINEL.dcrImmutableId,
      streamName: "Custom-Audit_2",
    },
  });
  assert.equal(
    sentinel.url,
    `https://harombe-dce-a1b2.westeurope-1.ingest.monitor.azure.com/dataCollectionRules/${SENTINEL.dcrImmutableId}/streams/Custom-Audit_2?api-version=2023-01-01`,
  );
  // The bearer token is added when the request is signed, never here.
  assert.deepEqual(sentinel.headers, { "Content-Type": "application/json" });
  assert.deepEqual(sentinel.secrets, [SENTINEL.clientSecret]);
});

Deno.test("the shipped DCR's stream and table declare exactly the columns the exporter writes", () => {
  const shipped = shippedColumns();
  const columns = SENTINEL_COLUMNS.map(({ name, type }) => ({ name, type }));
  assert.deepEqual(shipped.stream, columns);
  assert.deepEqual(shipped.table, columns);
  assert.equal(shipped.streamName, SENTINEL.streamName);
  assert.equal(shipped.outputStream, `Custom-${shipped.tableName}`);
  assert.match(shipped.tableName, /_CL$/);
  // Every member of every row written is a declared column, and the golden
  // rows use them in the declared order.
  const names = columns.map((c) => c.name);
  for (const row of JSON.parse(GOLDEN) as Array<Record<string, unknown>>) {
    const keys = Object.keys(row);
    assert.deepEqual(keys, names.filter((name) => keys.includes(name)));
  }
  for (const name of names) {
    assert.ok(name.length <= 45 && /^[A-Za-z][A-Za-z0-9_]*$/.test(name));
    assert.ok(
      ![
        "_ResourceId",
        "id",
        "_SubscriptionId",
        "TenantId",
        "Type",
        "UniqueId",
        "Title",
      ].includes(name),
    );
  }
});

Deno.test("Sentinel config: the 1 MB cap, the stream and DCR forms, no token beside the secret", () => {
  const base = {
    platform: "sentinel" as const,
    endpoint: "https://dce.westeurope-1.ingest.monitor.azure.com",
    sentinel: {
      tenantId: SENTINEL.tenantId,
      clientId: SENTINEL.clientId,
      clientSecret: SENTINEL.clientSecret,
      dcrImmutableId: SENTINEL.dcrImmutableId,
    },
  };
  const valid = parseSIEMConfig(base);
  assert.equal(valid.maxBatchBytes, 1_000_000);
  assert.equal(valid.sentinel?.streamName, "Custom-HarombeSecurity");
  assert.equal(
    valid.sentinel?.authorityHost,
    "https://login.microsoftonline.com",
  );
  assert.equal(valid.sentinel?.scope, "https://monitor.azure.com/.default");
  assert.throws(
    () =>
      parseSIEMConfig({
        ...base,
        maxBatchBytes: SENTINEL_MAX_REQUEST_BYTES + 1,
      }),
    /maxBatchBytes must be at most 1048576 for Sentinel/,
  );
  assert.throws(
    () => parseSIEMConfig({ ...base, token: "x" }),
    /token must not be set for Sentinel/,
  );
  assert.throws(
    () => parseSIEMConfig({ platform: "sentinel", endpoint: base.endpoint }),
    /sentinel must be set/,
  );
  assert.throws(
    () =>
      parseSIEMConfig({
        ...base,
        sentinel: { ...base.sentinel, dcrImmutableId: "my-dcr" },
      }),
    /sentinel\.dcrImmutableId must be the DCR's immutable ID/,
  );
  assert.throws(
    () =>
      parseSIEMConfig({
        ...base,
        sentinel: { ...base.sentinel, streamName: "HarombeSecurity_CL" },
      }),
    /sentinel\.streamName must be the DCR's stream/,
  );
  assert.throws(
    () =>
      parseSIEMConfig({
        ...base,
        sentinel: {
          ...base.sentinel,
          authorityHost: "http://login.example.com",
        },
      }),
    /sentinel\.authorityHost must use https/,
  );
  assert.throws(
    () =>
      parseSIEMConfig({
        ...base,
        endpoint:
          `${base.endpoint}/dataCollectionRules/${SENTINEL.dcrImmutableId}/streams/Custom-HarombeSecurity`,
      }),
    /endpoint must be the data collection endpoint/,
  );
  assert.throws(
    () =>
      parseSIEMConfig({
        platform: "splunk",
        endpoint: "https://hec:8088",
        sentinel: base.sentinel,
      }),
    /sentinel is for Sentinel destinations only/,
  );
});

Deno.test("SentinelExporter.classify() reads the API's statuses", () => {
  const sentinel = exporter();
  const none = new Headers();
  const azure = (code: string, message: string) =>
    JSON.stringify({ error: { code, message } });
  assert.deepEqual(sentinel.classify(204, none, "", 2, 0), {
    kind: "delivered",
  });
  const throttled = sentinel.classify(
    429,
    new Headers({ "Retry-After": "12" }),
    azure("TooManyRequests", "slow down"),
    2,
    0,
  );
  assert.deepEqual(throttled, {
    kind: "retry",
    status: 429,
    reason: "HTTP 429: TooManyRequests: slow down",
    retryAfterMs: 12_000,
  });
  for (const status of [500, 502, 503, 504]) {
    const verdict = sentinel.classify(status, none, "{}", 2, 0);
    assert.equal(verdict.kind, "retry");
    assert.equal(verdict.kind === "retry" && verdict.setup, undefined);
  }
  assert.deepEqual(
    sentinel.classify(
      413,
      none,
      azure("ContentLengthLimitExceeded", "Maximum allowed content length"),
      2,
      0,
    ),
    {
      kind: "split",
      status: 413,
      reason:
        "HTTP 413: ContentLengthLimitExceeded: Maximum allowed content length",
    },
  );
  assert.equal(
    sentinel.classify(400, none, azure("InvalidRequestBody", "bad row"), 2, 0)
      .kind,
    "split",
  );
  for (
    const [status, hint] of [
      [401, /Entra token is refused/],
      [403, /Monitoring Metrics Publisher role on the DCR/],
      [404, /sentinel\.dcrImmutableId, sentinel\.streamName/],
    ] as const
  ) {
    const verdict = sentinel.classify(status, none, azure("X", "y"), 2, 0);
    assert.equal(verdict.kind, "retry", `HTTP ${status}`);
    assert.match(verdict.kind === "retry" ? verdict.setup ?? "" : "", hint);
  }
  // A proxy's page is a setup error, not a payload problem to split.
  const page = sentinel.classify(
    400,
    new Headers({ "content-type": "text/html" }),
    "<html>bad gateway</html>",
    2,
    0,
  );
  assert.equal(page.kind, "retry");
  assert.match(page.kind === "retry" ? page.setup ?? "" : "", /not Azure/);
});

Deno.test("SentinelExporter sends a batch to the strict fake with a token from the fake Entra endpoint", async () => {
  await using fakes = startSentinelFakes();
  const sentinel = new SentinelExporter(parseSIEMConfig(fakes.config()));
  const { verdict, status } = await sentinel.send(goldenSIEMEvents());
  assert.deepEqual(verdict, { kind: "delivered" });
  assert.equal(status, 204);
  assert.deepEqual(fakes.sentinel.rows, JSON.parse(GOLDEN));
  const [request] = fakes.sentinel.requests;
  assert.equal(request!.search, "?api-version=2023-01-01");
  assert.equal(
    request!.headers.get("authorization"),
    `Bearer ${fakes.entra.tokens[0]}`,
  );
  assert.equal(new TextDecoder().decode(request!.rawBody), GOLDEN);
  // The token was asked for with the documented form.
  const form = new URLSearchParams(
    new TextDecoder().decode(fakes.entra.requests[0]!.body),
  );
  assert.equal(
    fakes.entra.requests[0]!.path,
    `/${SENTINEL.tenantId}/oauth2/v2.0/token`,
  );
  assert.deepEqual(Object.fromEntries(form), {
    client_id: SENTINEL.clientId,
    scope: "https://monitor.azure.com/.default",
    client_secret: SENTINEL.clientSecret,
    grant_type: "client_credentials",
  });
});

Deno.test("SentinelExporter gzips the body when configured: Content-Encoding gzip, same rows", async () => {
  await using fakes = startSentinelFakes();
  const sentinel = new SentinelExporter(
    parseSIEMConfig(fakes.config({ compression: "gzip" })),
  );
  const { verdict } = await sentinel.send(goldenSIEMEvents());
  assert.deepEqual(verdict, { kind: "delivered" });
  const [request] = fakes.sentinel.requests;
  assert.equal(request!.headers.get("content-encoding"), "gzip");
  assert.deepEqual([...request!.rawBody.slice(0, 2)], [0x1f, 0x8b]);
  assert.equal(new TextDecoder().decode(request!.body), GOLDEN);
  assert.deepEqual(fakes.sentinel.rows, JSON.parse(GOLDEN));
});

Deno.test("concurrent batches share one token request (single flight)", async () => {
  await using fakes = startSentinelFakes();
  const sentinel = new SentinelExporter(parseSIEMConfig(fakes.config()));
  const events = goldenSIEMEvents();
  const outcomes = await Promise.all(
    Array.from({ length: 5 }, (_, i) => sentinel.send([events[i % 2]!])),
  );
  assert.ok(outcomes.every((o) => o.verdict.kind === "delivered"));
  assert.equal(fakes.entra.issuedTokens, 1);
  assert.equal(fakes.entra.requests.length, 1);
  assert.equal(fakes.sentinel.rows.length, 5);
});

test("batches are split before sending so that no call is above 1 MB before compression", async () => {
  await using fakes = startSentinelFakes();
  await using integrator = new SIEMIntegrator(
    [fakes.config({ batchSize: 1000, compression: "gzip" })],
    { logger: quiet, autoFlush: false },
  );
  // 600 events of ~4 KB: ~2.4 MB in all, compressible far under 1 MB, so
  // only measuring before compression keeps each call under the cap.
  const events = realisticEvents(600).map((event, i) => ({
    ...event,
    event_id: `big-${i}`,
    metadata: { blob: "x".repeat(4000) },
  }));
  for (const event of events) integrator.exportEvent(event);
  const [result] = await integrator.flushAll();
  assert.equal(result!.success, true);
  assert.equal(result!.eventsSent, 600);
  assert.ok(fakes.sentinel.requests.length >= 3);
  for (const request of fakes.sentinel.requests) {
    assert.equal(request.status, 204);
    assert.ok(
      request.body.byteLength <= 1_000_000,
      `${request.body.byteLength}`,
    );
  }
  assert.deepEqual(ids(fakes.sentinel.rows), events.map((e) => e.event_id));
});

test("a 413 splits the batch and every row is delivered once", async () => {
  await using fakes = startSentinelFakes();
  fakes.sentinel.failNext({ status: 413 });
  await using integrator = new SIEMIntegrator([fakes.config()], {
    logger: quiet,
    autoFlush: false,
  });
  const events = realisticEvents(8);
  for (const event of events) integrator.exportEvent(event);
  const [result] = await integrator.flushAll();
  assert.equal(result!.success, true);
  assert.deepEqual(
    fakes.sentinel.requests.map((r) => r.status),
    [413, 204, 204],
  );
  assert.deepEqual(
    ids(fakes.sentinel.rows).sort(),
    events.map((e) => e.event_id!).sort(),
  );
});

test("a 429 is retried after its Retry-After", async () => {
  await using fakes = startSentinelFakes();
  fakes.sentinel.failNext({ status: 429, headers: { "Retry-After": "9" } });
  const clock = new FakeClock();
  await using integrator = new SIEMIntegrator(
    [fakes.config({ retryDelayMs: 100 })],
    { clock, random: () => 0, logger: quiet, autoFlush: false },
  );
  integrator.exportEvent(goldenEvents()[0]!);
  const flushing = integrator.flushAll();
  assert.equal(await clock.nextTimer(), 9000);
  await clock.advance(9000);
  const [result] = await flushing;
  assert.equal(result!.success, true);
  assert.equal(result!.retries, 1);
  assert.equal(fakes.sentinel.rows.length, 1);
});

for (
  const [status, hint] of [
    [401, /Entra token is refused/],
    [403, /Monitoring Metrics Publisher/],
  ] as const
) {
  test(`a ${status} is a setup error: the backlog is kept, then delivered once it is fixed`, async () => {
    await using fakes = startSentinelFakes();
    fakes.sentinel.down({ status });
    const clock = new FakeClock();
    await using integrator = new SIEMIntegrator(
      [fakes.config({ maxRetries: 0 })],
      { clock, random: () => 0, logger: quiet, autoFlush: false },
    );
    const events = realisticEvents(5);
    for (const event of events) integrator.exportEvent(event);
    const [result] = await integrator.flushAll();
    assert.equal(result!.success, false);
    assert.equal(result!.eventsQueued, 5);
    assert.equal(result!.eventsFailed, 0);
    const stats = integrator.getStats().perPlatform.sentinel!;
    assert.equal(stats.state, "backing_off");
    assert.equal(stats.buffered, 5);
    assert.match(stats.setupError ?? "", hint);
    fakes.sentinel.down(null);
    const [again] = await integrator.flushAll();
    assert.equal(again!.success, true);
    assert.deepEqual(ids(fakes.sentinel.rows), events.map((e) => e.event_id));
    assert.equal(
      integrator.getStats().perPlatform.sentinel!.setupError,
      undefined,
    );
  });
}

test("a token is renewed before it expires, mid-stream, without losing or duplicating a batch", async () => {
  const clock = new FakeClock();
  await using fakes = startSentinelFakes({
    now: () => clock.now(),
    tokenLifetimeSeconds: 60,
  });
  await using integrator = new SIEMIntegrator(
    [fakes.config({ batchSize: 4 })],
    { clock, random: () => 0, logger: quiet, autoFlush: false },
  );
  const events = realisticEvents(12);
  const sent: string[] = [];
  for (let round = 0; round < 3; round++) {
    const batch = events.slice(round * 4, round * 4 + 4);
    for (const event of batch) integrator.exportEvent(event);
    sent.push(...batch.map((e) => e.event_id!));
    const [result] = await integrator.flushAll();
    assert.equal(result!.success, true, `round ${round}`);
    // 40 s later the token is past its renewal time (half of 60 s) but not
    // expired; 80 s later it would be expired.
    await clock.advance(40_000);
  }
  assert.equal(fakes.entra.issuedTokens, 3);
  assert.deepEqual(
    fakes.sentinel.requests.map((r) => r.status),
    [204, 204, 204],
  );
  assert.deepEqual(ids(fakes.sentinel.rows), sent);
});

test("a token revoked mid-stream (401) is replaced, the batch resent once, nothing lost or duplicated", async () => {
  const clock = new FakeClock();
  await using fakes = startSentinelFakes({ now: () => clock.now() });
  await using integrator = new SIEMIntegrator(
    [fakes.config({ batchSize: 5, retryDelayMs: 100 })],
    { clock, random: () => 0, logger: quiet, autoFlush: false },
  );
  const first = realisticEvents(5);
  const second = realisticEvents(5, 7);
  for (const event of first) integrator.exportEvent(event);
  await integrator.flushAll();
  fakes.entra.revokeAll();
  for (const event of second) integrator.exportEvent(event);
  const [result] = await drive(clock, integrator.flushAll());
  assert.equal(result!.success, true);
  assert.deepEqual(
    fakes.sentinel.requests.map((r) => r.status),
    [204, 401, 204],
  );
  assert.equal(fakes.entra.issuedTokens, 2);
  assert.deepEqual(
    ids(fakes.sentinel.rows),
    [...first, ...second].map((e) => e.event_id),
  );
});

test("an expired client secret backs off with the backlog kept, and delivers once the secret is renewed", async () => {
  const clock = new FakeClock();
  await using fakes = startSentinelFakes({ now: () => clock.now() });
  fakes.entra.expireSecret(true);
  const logger = new MemoryLogger();
  await using integrator = new SIEMIntegrator(
    [fakes.config({ maxRetries: 0 })],
    { clock, random: () => 0, logger, autoFlush: false },
  );
  const events = realisticEvents(6);
  for (const event of events) integrator.exportEvent(event);
  const [result] = await integrator.flushAll();
  assert.equal(result!.success, false);
  assert.equal(result!.eventsQueued, 6);
  assert.equal(result!.eventsFailed, 0);
  assert.match(result!.error ?? "", /AADSTS7000222/);
  const stats = integrator.getStats().perPlatform.sentinel!;
  assert.equal(stats.state, "backing_off");
  assert.equal(stats.buffered, 6);
  assert.match(stats.setupError ?? "", /client secret has expired/);
  // Nothing reached the Logs Ingestion API without a token.
  assert.equal(fakes.sentinel.requests.length, 0);
  assert.ok(logger.lines.some((line) => line.includes("setup error")));
  fakes.entra.expireSecret(false);
  const [again] = await integrator.flushAll();
  assert.equal(again!.success, true);
  assert.deepEqual(ids(fakes.sentinel.rows), events.map((e) => e.event_id));
});

test("a wrong client secret is a setup error naming the secret, never quoting it", async () => {
  await using fakes = startSentinelFakes();
  const config = fakes.config({ maxRetries: 0 });
  const wrong = "wrong-SECRET~value.0123456789";
  config.sentinel = { ...config.sentinel!, clientSecret: wrong };
  await using integrator = new SIEMIntegrator([config], {
    clock: new FakeClock(),
    logger: quiet,
    autoFlush: false,
  });
  for (const event of realisticEvents(2)) integrator.exportEvent(event);
  const [result] = await integrator.flushAll();
  assert.equal(result!.eventsQueued, 2);
  const stats = integrator.getStats().perPlatform.sentinel!;
  assert.match(stats.setupError ?? "", /client secret is wrong/);
  const text = JSON.stringify([result, integrator.getStats()]);
  assert.equal(text.includes(wrong), false);
});

test("a row that cannot fit in one call is dead-lettered with the reason; the others are delivered", async () => {
  await using fakes = startSentinelFakes();
  assert.equal(exporter().refuseEventBytes(1_048_574), undefined);
  assert.match(
    exporter().refuseEventBytes(1_048_575) ?? "",
    /row is 1048575 bytes: with the array around it, above the Logs Ingestion API's 1048576-byte limit per call/,
  );
  const letters: string[] = [];
  await using integrator = new SIEMIntegrator([fakes.config()], {
    logger: quiet,
    autoFlush: false,
    onDeadLetter: (letter) => void letters.push(letter.reason),
  });
  const [small, other] = realisticEvents(2);
  integrator.exportEvent(small!);
  integrator.exportEvent({
    ...other!,
    event_id: "huge",
    metadata: { blob: "h".repeat(1_050_000) },
  });
  const [result] = await integrator.flushAll();
  assert.equal(result!.eventsSent, 1);
  assert.equal(result!.eventsFailed, 1);
  assert.equal(letters.length, 1);
  assert.match(letters[0]!, /above the Logs Ingestion API's/);
  assert.deepEqual(ids(fakes.sentinel.rows), [small!.event_id]);
  // Nothing over the cap was ever sent.
  assert.ok(
    fakes.sentinel.requests.every((r) => r.body.byteLength <= 1_048_576),
  );
});

Deno.test("SentinelExporter.classify(): Azure's error code or message alone, x-ms-error-code without a JSON body, another 4xx with Azure's error", () => {
  const sentinel = exporter();
  const json = new Headers({ "content-type": "application/json" });
  const reason = (status: number, headers: Headers, body: string) => {
    const verdict = sentinel.classify(status, headers, body, 2, 0);
    return verdict.kind === "retry" || verdict.kind === "split"
      ? verdict.reason
      : verdict.kind;
  };
  assert.equal(
    reason(500, json, '{"error":{"code":"InternalError"}}'),
    "HTTP 500: InternalError",
  );
  assert.equal(
    reason(500, json, '{"error":{"message":"try later"}}'),
    "HTTP 500: try later",
  );
  assert.equal(reason(500, json, '{"error":{}}'), "HTTP 500: (no error given)");
  assert.equal(
    reason(
      503,
      new Headers({ "x-ms-error-code": "ServiceUnavailable" }),
      "",
    ),
    "HTTP 503: ServiceUnavailable: (empty body)",
  );
  for (const status of [405, 409, 422]) {
    const verdict = sentinel.classify(
      status,
      json,
      '{"error":{"code":"X","message":"y"}}',
      2,
      0,
    );
    assert.deepEqual(verdict, {
      kind: "retry",
      reason: `HTTP ${status}: X: y`,
      status,
      retryAfterMs: undefined,
      setup: "check the endpoint, the DCR and the stream",
    });
  }
  // A 401 keeps Retry-After too.
  const refused = sentinel.classify(
    401,
    new Headers({ "retry-after": "7" }),
    '{"error":{"code":"InvalidToken","message":"bad audience"}}',
    2,
    0,
  );
  assert.equal(refused.kind === "retry" && refused.retryAfterMs, 7000);
  assert.match(
    refused.kind === "retry" ? refused.setup ?? "" : "",
    /sentinel\.scope \(https:\/\/monitor\.azure\.com\/\.default\)/,
  );
});

Deno.test("SentinelExporter.classify(): every status from 400 to 599 with Azure's error body is transient, split or setup as its class says", () => {
  const sentinel = exporter();
  const json = new Headers({ "content-type": "application/json" });
  for (let status = 400; status <= 599; status++) {
    const verdict = sentinel.classify(
      status,
      json,
      JSON.stringify({ error: { code: "Code", message: "text" } }),
      3,
      0,
    );
    const transient = status === 408 || status === 429 ||
      (status >= 500 && status !== 501);
    if (status === 400 || status === 413) {
      assert.deepEqual(verdict, {
        kind: "split",
        reason: `HTTP ${status}: Code: text`,
        status,
      }, `${status}`);
    } else if (transient) {
      assert.deepEqual(verdict, {
        kind: "retry",
        reason: `HTTP ${status}: Code: text`,
        status,
        retryAfterMs: undefined,
      }, `${status}`);
    } else {
      assert.equal(verdict.kind, "retry", `${status}`);
      assert.equal(
        typeof (verdict.kind === "retry" && verdict.setup),
        "string",
        `${status}`,
      );
    }
  }
});
