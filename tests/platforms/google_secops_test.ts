import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { GoogleSecOpsExporter } from "../../src/platforms/google_secops.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import { RequestAbortedError } from "../../src/platforms/exporter_request.ts";
import {
  parseSIEMConfig,
  type SIEMConfigInput,
} from "../../src/platforms/siem_config.ts";
import { goldenSIEMEvents, realisticEvents } from "../fixtures/events.ts";
import {
  type FakeGoogleToken,
  makeServiceAccount,
  startFakeGoogleToken,
  type TestServiceAccount,
} from "../fakes/fake_google_token.ts";
import {
  type FakeGoogleSecOps,
  startFakeGoogleSecOps,
} from "../fakes/fake_google_secops.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { deadLetterSink, MemoryLogger } from "../support/receivers.ts";

const EMAIL = "siem-writer@test-project.iam.gserviceaccount.com";
const INSTANCE = "ebdc4bb9-878b-11e7-8455-10604b7cb5c1";
const FIXED = Date.parse("2026-01-31T12:05:00.000Z");

interface Google extends AsyncDisposable {
  tokens: FakeGoogleToken;
  chronicle: FakeGoogleSecOps;
  account: TestServiceAccount;
  config(extra?: Partial<SIEMConfigInput>): SIEMConfigInput;
}

async function startGoogle(
  options: {
    now?: () => number;
    lifetimeS?: number;
    skewMs?: number;
    maxPayloadBytes?: number;
  } = {},
): Promise<Google> {
  const tokens = startFakeGoogleToken({
    email: EMAIL,
    now: options.now,
    lifetimeS: options.lifetimeS,
    skewMs: options.skewMs,
  });
  const account = await makeServiceAccount(tokens.tokenUri, EMAIL);
  tokens.trust(account.publicKey);
  const chronicle = startFakeGoogleSecOps({
    tokens,
    project: "test-project",
    location: "eu",
    instance: INSTANCE,
    logTypes: ["HAROMBE_AUDIT"],
    maxPayloadBytes: options.maxPayloadBytes,
  });
  return {
    tokens,
    chronicle,
    account,
    config: (extra = {}) => ({
      platform: "google_secops",
      endpoint: chronicle.url,
      googleSecOps: {
        credentials: JSON.stringify(account.key),
        project: "test-project",
        location: "eu",
        instance: INSTANCE,
        logType: "HAROMBE_AUDIT",
      },
      ...extra,
    }),
    async [Symbol.asyncDispose](): Promise<void> {
      await chronicle.close();
      await tokens.close();
    },
  };
}

const FAKE_PEM =
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";

function offlineConfig(extra: Record<string, unknown> = {}): SIEMConfigInput {
  return {
    platform: "google_secops",
    endpoint: "https://chronicle.eu.rep.googleapis.com",
    googleSecOps: {
      credentials: { client_email: EMAIL, private_key: FAKE_PEM },
      project: "test-project",
      location: "eu",
      instance: INSTANCE,
      logType: "HAROMBE_AUDIT",
      namespace: "prod-eu",
      labels: { team: "sec", env: "prod" },
      ...extra,
    },
  };
}

function b64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

function fromB64(text: string): string {
  return new TextDecoder().decode(
    Uint8Array.from(atob(text), (c) => c.charCodeAt(0)),
  );
}

Deno.test("GoogleSecOpsExporter.formatBatch() writes the golden logs:import body byte for byte", () => {
  const exporter = new GoogleSecOpsExporter(parseSIEMConfig(offlineConfig()), {
    now: () => FIXED,
  });
  const events = goldenSIEMEvents();
  const tail =
    ',"environmentNamespace":"prod-eu","labels":{"env":{"value":"prod"},"team":{"value":"sec"}}}';
  const golden = '{"inlineSource":{"logs":[' +
    `{"data":"${b64(JSON.stringify(events[0]))}",` +
    '"logEntryTime":"2026-01-31T12:00:00.123Z","collectionTime":"2026-01-31T12:05:00.000Z"' +
    tail + "," +
    `{"data":"${b64(JSON.stringify(events[1]))}",` +
    '"logEntryTime":"2026-01-31T12:00:01.000Z","collectionTime":"2026-01-31T12:05:00.000Z"' +
    tail + "]}}";
  const body = exporter.formatBatch(events);
  assert.equal(body, golden);
  // The first event has non-ASCII text and a U+2028: the base64 is of its UTF-8 JSON.
  const first = JSON.parse(body).inlineSource.logs[0];
  assert.equal(fromB64(first.data), JSON.stringify(events[0]));
  assert.match(first.data, /^[A-Za-z0-9+/]+=*$/);
});

Deno.test("GoogleSecOpsExporter dates collectionTime at the event's own time when the event is ahead of the clock", () => {
  const exporter = new GoogleSecOpsExporter(parseSIEMConfig(offlineConfig()), {
    now: () => Date.parse("2026-01-31T11:00:00.000Z"),
  });
  const log = JSON.parse(exporter.formatBatch([goldenSIEMEvents()[0]!]))
    .inlineSource.logs[0];
  assert.equal(log.collectionTime, log.logEntryTime);
});

Deno.test("GoogleSecOpsExporter url is the regional logs:import of the configured log type", () => {
  const exporter = createExporter(offlineConfig());
  assert.equal(
    exporter.url,
    `https://chronicle.eu.rep.googleapis.com/v1beta/projects/test-project/locations/eu/instances/${INSTANCE}/logTypes/HAROMBE_AUDIT/logs:import`,
  );
  assert.deepEqual(exporter.headers, { "Content-Type": "application/json" });
  assert.equal(exporter.config.maxBatchBytes, 3_900_000);
});

Deno.test("parseSIEMConfig() checks googleSecOps without quoting the key", () => {
  assert.throws(
    () => parseSIEMConfig({ platform: "google_secops", endpoint: "https://x" }),
    /googleSecOps must be set for google_secops/,
  );
  const leaky = `{"client_email":"${EMAIL}","private_key":"${FAKE_PEM}`;
  assert.throws(
    () => parseSIEMConfig(offlineConfig({ credentials: leaky })),
    (error: Error) =>
      /googleSecOps\.credentials must be the service-account key file's JSON/
        .test(error.message) && !error.message.includes("MIIE"),
  );
  assert.throws(
    () =>
      parseSIEMConfig(offlineConfig({
        credentials: { client_email: EMAIL, private_key: "not a key" },
      })),
    /private_key, a PKCS#8 PEM/,
  );
  assert.throws(
    () =>
      parseSIEMConfig({
        ...offlineConfig(),
        maxBatchBytes: 5_000_000,
      }),
    /maxBatchBytes must be at most 4000000/,
  );
  assert.throws(
    () => parseSIEMConfig({ ...offlineConfig(), token: "abc" }),
    /token is not used by google_secops/,
  );
  assert.throws(
    () =>
      parseSIEMConfig({
        platform: "splunk",
        endpoint: "https://splunk:8088",
        googleSecOps: offlineConfig().googleSecOps,
      }),
    /googleSecOps is for google_secops destinations only/,
  );
  // A validated config is valid input again.
  const valid = parseSIEMConfig(offlineConfig());
  assert.deepEqual(parseSIEMConfig(valid), valid);
});

Deno.test("GoogleSecOpsExporter signs a JWT, gets a token and imports the batch", async () => {
  await using google = await startGoogle();
  const exporter = createExporter(google.config());
  const events = goldenSIEMEvents();
  const { verdict, status } = await exporter.send(events);
  assert.deepEqual(verdict, { kind: "delivered" });
  assert.equal(status, 200);
  assert.deepEqual(google.tokens.refusals, []);
  assert.equal(google.tokens.requests.length, 1);
  assert.deepEqual(
    google.chronicle.logs.map((log) => log.event),
    events.map((e) => JSON.parse(JSON.stringify(e))),
  );
  // The token is cached: a second batch fetches none.
  await exporter.send(events);
  assert.equal(google.tokens.requests.length, 1);
  assert.equal(google.chronicle.logs.length, 4);
});

Deno.test("GoogleSecOpsExporter fetches one token for concurrent batches", async () => {
  await using google = await startGoogle();
  const exporter = createExporter(google.config());
  const results = await Promise.all(
    [0, 1, 2].map(() => exporter.send(goldenSIEMEvents())),
  );
  assert.deepEqual(results.map((r) => r.verdict.kind), [
    "delivered",
    "delivered",
    "delivered",
  ]);
  assert.equal(google.tokens.requests.length, 1);
});

Deno.test("google_secops splits batches under the request cap before sending", async () => {
  const cap = 8192;
  await using google = await startGoogle({ maxPayloadBytes: cap });
  const logger = new MemoryLogger();
  await using integrator = new SIEMIntegrator(
    [google.config({ maxBatchBytes: cap, batchSize: 1000 })],
    { logger, autoFlush: false },
  );
  const events = realisticEvents(60);
  for (const event of events) integrator.exportEvent(event);
  await integrator.flushAll();
  const imports = google.chronicle.requests.filter((r) =>
    r.path.endsWith("logs:import")
  );
  assert.ok(imports.length > 1, `${imports.length} requests`);
  for (const request of imports) {
    assert.ok(request.body.length <= cap, `${request.body.length} bytes`);
    assert.equal(request.status, 200);
  }
  assert.equal(google.chronicle.logs.length, 60);
  assert.equal(
    new Set(google.chronicle.logs.map((log) => log.event.event_id)).size,
    60,
  );
});

Deno.test("GoogleSecOpsExporter.classify() retries 429 and 5xx with Retry-After, splits 400 and 413, and names setup errors", () => {
  const exporter = createExporter(offlineConfig());
  const google = (status: number, code: string, message: string) =>
    JSON.stringify({ error: { code: status, message, status: code } });
  const json = new Headers({ "content-type": "application/json" });
  const now = FIXED;
  assert.deepEqual(
    exporter.classify(
      429,
      new Headers({ "content-type": "application/json", "retry-after": "7" }),
      google(429, "RESOURCE_EXHAUSTED", "Quota exceeded"),
      3,
      now,
    ),
    {
      kind: "retry",
      reason: "HTTP 429: RESOURCE_EXHAUSTED: Quota exceeded",
      status: 429,
      retryAfterMs: 7000,
    },
  );
  for (const status of [500, 502, 503, 504]) {
    const verdict = exporter.classify(
      status,
      json,
      google(status, "UNAVAILABLE", "x"),
      1,
      now,
    );
    assert.equal(verdict.kind, "retry");
    assert.equal("setup" in verdict, false);
  }
  assert.deepEqual(
    exporter.classify(
      400,
      json,
      google(400, "INVALID_ARGUMENT", "bad log"),
      2,
      now,
    ),
    {
      kind: "split",
      reason: "HTTP 400: INVALID_ARGUMENT: bad log",
      status: 400,
    },
  );
  assert.equal(exporter.classify(413, json, "", 2, now).kind, "split");
  const setupOf = (status: number, body: string, headers = json) => {
    const verdict = exporter.classify(status, headers, body, 1, now);
    assert.equal(verdict.kind, "retry");
    return verdict.kind === "retry" ? verdict.setup ?? "" : "";
  };
  assert.match(
    setupOf(401, google(401, "UNAUTHENTICATED", "x")),
    /refused the access token/,
  );
  assert.match(
    setupOf(403, google(403, "PERMISSION_DENIED", "x")),
    /chronicle\.logs\.import.*Chronicle API Editor/,
  );
  assert.match(
    setupOf(404, google(404, "NOT_FOUND", "x")),
    /project, location, instance or log type/,
  );
  // A proxy's HTML page is not Google's answer, even as 400.
  assert.match(
    setupOf(
      400,
      "<html>bad</html>",
      new Headers({ "content-type": "text/html" }),
    ),
    /is not Google SecOps's/,
  );
  assert.deepEqual(exporter.classify(200, json, "{}", 1, now), {
    kind: "delivered",
  });
});

Deno.test("google_secops retries 429 and 503 and delivers each event once", async () => {
  await using google = await startGoogle();
  await using integrator = new SIEMIntegrator(
    [google.config({ retryDelayMs: 10, maxRetries: 3 })],
    { logger: new MemoryLogger(), autoFlush: false },
  );
  google.chronicle.failNext({ status: 429, headers: { "Retry-After": "0" } }, {
    status: 503,
  });
  for (const event of realisticEvents(5)) integrator.exportEvent(event);
  await integrator.flushAll();
  assert.equal(google.chronicle.requests.length, 3);
  assert.equal(google.chronicle.logs.length, 5);
  const stats = integrator.getStats().perDestination.google_secops!;
  assert.equal(stats.eventsExported, 5);
  assert.equal(stats.buffered, 0);
});

Deno.test("google_secops dead-letters the log Chronicle refuses with 400, with the reason, and delivers the rest", async () => {
  await using google = await startGoogle();
  const sink = deadLetterSink();
  await using integrator = new SIEMIntegrator(
    [google.config({ retryDelayMs: 10 })],
    {
      logger: new MemoryLogger(),
      autoFlush: false,
      onDeadLetter: sink.onDeadLetter,
    },
  );
  google.chronicle.refuseWhen((body) => {
    const logs = JSON.parse(body).inlineSource.logs as { data: string }[];
    return logs.some((log) => fromB64(log.data).includes('"actor":"poison"'))
      ? { status: 400 }
      : undefined;
  });
  const events = realisticEvents(4);
  events[2] = { ...events[2]!, actor: "poison" };
  for (const event of events) integrator.exportEvent(event);
  await integrator.flushAll();
  assert.equal(google.chronicle.logs.length, 3);
  assert.equal(sink.letters.length, 1);
  assert.equal(sink.letters[0]!.events[0]!.actor, "poison");
  assert.match(
    sink.letters[0]!.reason,
    /^HTTP 400: INVALID_ARGUMENT: injected HTTP 400/,
  );
});

Deno.test("google_secops 403 is a setup error: the backlog is kept and delivered once permission is granted", async () => {
  await using google = await startGoogle();
  await using integrator = new SIEMIntegrator(
    [google.config({ retryDelayMs: 10, maxRetries: 1 })],
    { logger: new MemoryLogger(), autoFlush: false },
  );
  google.chronicle.permitted = false;
  for (const event of realisticEvents(3)) integrator.exportEvent(event);
  await integrator.flushAll();
  let stats = integrator.getStats().perDestination.google_secops!;
  assert.equal(stats.buffered, 3);
  assert.equal(stats.eventsFailed, 0);
  assert.match(stats.setupError ?? "", /lacks chronicle\.logs\.import/);
  google.chronicle.permitted = true;
  await integrator.flushAll();
  stats = integrator.getStats().perDestination.google_secops!;
  assert.equal(stats.buffered, 0);
  assert.equal(google.chronicle.logs.length, 3);
});

Deno.test("google_secops 401 drops the token: a new one is fetched and the batch is delivered once", async () => {
  await using google = await startGoogle();
  await using integrator = new SIEMIntegrator(
    [google.config({ retryDelayMs: 10 })],
    { logger: new MemoryLogger(), autoFlush: false },
  );
  for (const event of realisticEvents(2)) integrator.exportEvent(event);
  await integrator.flushAll();
  assert.equal(google.tokens.requests.length, 1);
  // Google revokes every token it issued.
  google.tokens.issued.clear();
  for (const event of realisticEvents(2, 7)) integrator.exportEvent(event);
  await integrator.flushAll();
  assert.equal(google.chronicle.unauthenticated, 1);
  assert.equal(google.tokens.requests.length, 2);
  assert.equal(google.chronicle.logs.length, 4);
  assert.equal(
    new Set(google.chronicle.logs.map((l) => l.event.event_id)).size,
    4,
  );
});

Deno.test("google_secops persistent 401 is a setup error with the backlog kept", async () => {
  await using google = await startGoogle();
  await using integrator = new SIEMIntegrator(
    [google.config({ retryDelayMs: 10, maxRetries: 1 })],
    { logger: new MemoryLogger(), autoFlush: false },
  );
  google.chronicle.down({ status: 401 });
  for (const event of realisticEvents(2)) integrator.exportEvent(event);
  await integrator.flushAll();
  const stats = integrator.getStats().perDestination.google_secops!;
  assert.equal(stats.buffered, 2);
  assert.match(stats.setupError ?? "", /refused the access token/);
  // Each 401 dropped the token: every attempt asked for a new one.
  assert.equal(google.tokens.requests.length, 2);
});

Deno.test("google_secops refreshes the token before it expires mid-stream, losing and repeating no batch", async () => {
  const clock = new FakeClock(FIXED);
  await using google = await startGoogle({
    now: () => clock.now(),
    lifetimeS: 60,
    // The token really dies 12 s before its expires_in says (skew, transit):
    // only a refresh ahead of expiry keeps Chronicle from refusing it.
    skewMs: 12_000,
  });
  // No retries: a refused token shows at once (a retry would wait on the
  // fake clock).
  await using integrator = new SIEMIntegrator([
    google.config({ maxRetries: 0 }),
  ], {
    logger: new MemoryLogger(),
    autoFlush: false,
    clock,
  });
  for (let round = 0; round < 4; round++) {
    for (const event of realisticEvents(3, round + 1)) {
      integrator.exportEvent(event);
    }
    await integrator.flushAll();
    // 25 s per round: the 60 s token is refreshed after 48 s (at the round
    // of 50 s), when Chronicle would refuse it from 48 s on.
    await clock.advance(25_000);
  }
  assert.equal(google.chronicle.unauthenticated, 0);
  assert.equal(google.tokens.requests.length, 2);
  assert.equal(google.chronicle.logs.length, 12);
  assert.equal(
    new Set(google.chronicle.logs.map((l) => l.event.event_id)).size,
    12,
  );
  const used = new Set(
    google.chronicle.requests.map((r) => r.headers.get("authorization")),
  );
  assert.equal(used.size, 2);
});

Deno.test("google_secops with a key Google refuses backs off as a setup error, keeps the backlog, and delivers once the key is valid", async () => {
  await using google = await startGoogle();
  const other = await makeServiceAccount(google.tokens.tokenUri, EMAIL);
  google.tokens.trust(other.publicKey);
  await using integrator = new SIEMIntegrator(
    [google.config({ retryDelayMs: 10, maxRetries: 1 })],
    { logger: new MemoryLogger(), autoFlush: false },
  );
  for (const event of realisticEvents(4)) integrator.exportEvent(event);
  await integrator.flushAll();
  const stats = integrator.getStats().perDestination.google_secops!;
  assert.equal(stats.buffered, 4);
  assert.equal(stats.eventsFailed, 0);
  assert.match(
    stats.setupError ?? "",
    /Google refused the service-account key \(invalid_grant\)/,
  );
  assert.match(stats.lastError ?? "", /Invalid JWT Signature/);
  assert.equal(google.chronicle.requests.length, 0);
  google.tokens.trust(google.account.publicKey);
  await integrator.flushAll();
  assert.equal(google.chronicle.logs.length, 4);
  assert.equal(integrator.getStats().perDestination.google_secops!.buffered, 0);
});

Deno.test("google_secops with a private key that is not RSA PKCS#8 is a setup error, without quoting the key", async () => {
  await using google = await startGoogle();
  const exporter = createExporter(google.config({
    googleSecOps: {
      ...google.config().googleSecOps!,
      credentials: {
        client_email: EMAIL,
        private_key: FAKE_PEM,
        token_uri: google.tokens.tokenUri,
      },
    },
  }));
  const { verdict } = await exporter.send(goldenSIEMEvents());
  assert.equal(verdict.kind, "retry");
  if (verdict.kind !== "retry") return;
  assert.match(verdict.reason, /cannot read the service account's private key/);
  assert.match(verdict.setup ?? "", /check the service-account key/);
  assert.equal(verdict.reason.includes("MIIE"), false);
  assert.equal(google.tokens.requests.length, 0);
});

Deno.test("google_secops token endpoint 503 is retried as transient, not a setup error", async () => {
  await using google = await startGoogle();
  const exporter = createExporter(google.config());
  google.tokens.failNext({ status: 503 });
  const first = await exporter.send(goldenSIEMEvents());
  assert.equal(first.verdict.kind, "retry");
  assert.equal(
    first.verdict.kind === "retry" && first.verdict.setup,
    undefined,
  );
  const second = await exporter.send(goldenSIEMEvents());
  assert.equal(second.verdict.kind, "delivered");
});

Deno.test("GoogleSecOpsExporter stamps a named producer as the ingestion label producer, beside the configured labels, and in the event's data", () => {
  const exporter = new GoogleSecOpsExporter(parseSIEMConfig(offlineConfig()), {
    now: () => FIXED,
  });
  const [plain, other] = goldenSIEMEvents();
  const stamped = { ...plain!, producer: "billing" };
  const logs = JSON.parse(exporter.formatBatch([stamped, other!]))
    .inlineSource.logs;
  assert.deepEqual(logs[0].labels, {
    env: { value: "prod" },
    producer: { value: "billing" },
    team: { value: "sec" },
  });
  assert.equal(JSON.parse(fromB64(logs[0].data)).producer, "billing");
  // An event without a stamp keeps the configured labels only.
  assert.deepEqual(logs[1].labels, {
    env: { value: "prod" },
    team: { value: "sec" },
  });
});

Deno.test("GoogleSecOpsExporter writes standard base64 with = padding for each remainder of the JSON's length", () => {
  const exporter = new GoogleSecOpsExporter(parseSIEMConfig(offlineConfig()), {
    now: () => FIXED,
  });
  const [, second] = goldenSIEMEvents();
  const remainders = new Set<number>();
  for (const actor of ["a", "ab", "abc", "ÿ~?>", "é€😀"]) {
    const event = { ...second!, actor };
    const json = JSON.stringify(event);
    remainders.add(new TextEncoder().encode(json).length % 3);
    const log = JSON.parse(exporter.formatBatch([event])).inlineSource.logs[0];
    assert.equal(log.data, b64(json), actor);
  }
  assert.deepEqual([...remainders].sort(), [0, 1, 2]);
});

Deno.test("GoogleSecOpsExporter.refuseEventBytes() takes a log that exactly fills a 4 MB request with the body's frame, not one byte more", () => {
  const exporter = new GoogleSecOpsExporter(parseSIEMConfig(offlineConfig()));
  const frame = exporter.formatBatch([]).length;
  assert.equal(frame, '{"inlineSource":{"logs":[]}}'.length);
  const room = 4_000_000 - frame;
  assert.equal(exporter.refuseEventBytes(room), undefined);
  assert.equal(
    exporter.refuseEventBytes(room + 1),
    `log is ${
      room + 1
    } bytes once base64-encoded, above the ${room} bytes a 4000000-byte logs:import request has room for`,
  );
});

Deno.test("GoogleSecOpsExporter.classify(): Google's status or message alone, an empty error, another 4xx with Google's error", () => {
  const exporter = createExporter(offlineConfig());
  const json = new Headers({ "content-type": "application/json" });
  const reason = (status: number, body: unknown) => {
    const verdict = exporter.classify(
      status,
      json,
      JSON.stringify(body),
      1,
      FIXED,
    );
    return verdict.kind === "retry" || verdict.kind === "split"
      ? verdict.reason
      : verdict.kind;
  };
  assert.equal(
    reason(500, { error: { status: "INTERNAL" } }),
    "HTTP 500: INTERNAL",
  );
  assert.equal(reason(500, { error: { message: "boom" } }), "HTTP 500: boom");
  assert.equal(
    reason(500, { error: { code: 500 } }),
    "HTTP 500: (no error given)",
  );
  for (const status of [405, 409, 422]) {
    assert.deepEqual(
      exporter.classify(
        status,
        json,
        JSON.stringify({ error: { status: "X", message: "y" } }),
        1,
        FIXED,
      ),
      {
        kind: "retry",
        reason: `HTTP ${status}: X: y`,
        status,
        retryAfterMs: undefined,
        setup: "check the endpoint and the googleSecOps settings",
      },
    );
  }
  // 404's hint names the four parts of the path.
  const missing = exporter.classify(
    404,
    json,
    JSON.stringify({ error: { status: "NOT_FOUND" } }),
    1,
    FIXED,
  );
  assert.match(
    missing.kind === "retry" ? missing.setup ?? "" : "",
    new RegExp(`\\(test-project, eu, ${INSTANCE}, HAROMBE_AUDIT\\)`),
  );
});

Deno.test("GoogleSecOpsExporter refuses a config without googleSecOps; an aborted post rejects as aborted, not as a verdict", async () => {
  assert.throws(
    () =>
      new GoogleSecOpsExporter(
        parseSIEMConfig({ platform: "splunk", endpoint: "https://hec:8088" }),
      ),
    /Cannot create GoogleSecOpsExporter: the config has no googleSecOps/,
  );
  const account = await makeServiceAccount(
    "https://oauth2.example.com/token",
    EMAIL,
  );
  const exporter = new GoogleSecOpsExporter(
    parseSIEMConfig(offlineConfig({ credentials: account.key })),
  );
  const controller = new AbortController();
  const aborting: typeof fetch = (_input, init) =>
    new Promise((_, reject) => {
      init?.signal?.addEventListener(
        "abort",
        () => reject(init.signal!.reason),
      );
      controller.abort(new Error("stopping"));
    });
  await assert.rejects(
    exporter.post(await exporter.prepare(goldenSIEMEvents()), {
      fetch: aborting,
      signal: controller.signal,
    }),
    (error: unknown) => error instanceof RequestAbortedError,
  );
});

Deno.test("GoogleSecOpsExporter: each producer its own label (the stamp wins over a configured producer label); no labels or namespace, no members", () => {
  const exporter = new GoogleSecOpsExporter(
    parseSIEMConfig(offlineConfig({ labels: { producer: "configured" } })),
    { now: () => FIXED },
  );
  const [, second] = goldenSIEMEvents();
  const logs = JSON.parse(exporter.formatBatch([
    { ...second!, producer: "billing" },
    { ...second!, producer: "auth" },
    { ...second!, producer: "billing" },
    second!,
  ])).inlineSource.logs;
  assert.deepEqual(
    logs.map((l: { labels: { producer: { value: string } } }) =>
      l.labels.producer.value
    ),
    ["billing", "auth", "billing", "configured"],
  );
  const bare = new GoogleSecOpsExporter(
    parseSIEMConfig(offlineConfig({ namespace: undefined, labels: {} })),
    { now: () => FIXED },
  );
  const body = bare.formatBatch([second!]);
  assert.ok(
    body.endsWith(
      `"logEntryTime":"2026-01-31T12:00:01.000Z","collectionTime":"2026-01-31T12:05:00.000Z"}]}}`,
    ),
    body,
  );
});
