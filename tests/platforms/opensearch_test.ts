import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import { OpenSearchExporter } from "../../src/platforms/opensearch.ts";
import {
  parseSIEMConfig,
  type SIEMConfigInput,
} from "../../src/platforms/siem_config.ts";
import { goldenSIEMEvents, realisticEvents } from "../fixtures/events.ts";
import { startFakeOpenSearch } from "../fakes/fake_opensearch.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { MemoryLogger } from "../support/receivers.ts";

const USER = "audit-writer";
const PASSWORD = "os-password-0123456789";
const AWS = {
  region: "eu-west-1",
  accessKeyId: "AKIAFAKE0123456789",
  secretAccessKey: "fake/secret+access-key-0123456789",
};
const SESSION = "FwoGZXIvYXdzEBYaDFakeSessionToken0123456789abcdef";

function exporter(extra: Partial<SIEMConfigInput> = {}): OpenSearchExporter {
  return new OpenSearchExporter(parseSIEMConfig({
    platform: "opensearch",
    endpoint: "https://os.example.com:9200",
    index: "audit",
    ...extra,
  }));
}

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    bytes as Uint8Array<ArrayBuffer>,
  );
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

// The same bytes as the Elasticsearch golden batch: `create` with `_id` =
// event_id, then the document with `@timestamp` first.
const GOLDEN = '{"create":{"_id":"0b5c7e3a-1f0e-4c1e-9a53-6f2d2a7c9e01"}}\n' +
  '{"@timestamp":"2026-01-31T12:00:00.123Z","event_id":"0b5c7e3a-1f0e-4c1e-9a53-6f2d2a7c9e01","correlation_id":"req-42","session_id":"sess-7","timestamp":"2026-01-31T12:00:00.123Z","event_type":"security_decision","actor":"policy-engine","tool_name":"shell","action":"deny_tool","metadata":{"rule":"no-rm","path":"/tmp/é\\"x","depth":{"n":1}},"duration_ms":12,"status":"error","error_message":"refusé: \u2028 line","source":"harombe","severity":"error"}\n' +
  '{"create":{"_id":"evt-2"}}\n' +
  '{"@timestamp":"2026-01-31T12:00:01.000Z","event_id":"evt-2","correlation_id":"req-43","timestamp":"2026-01-31T12:00:01.000Z","event_type":"request","actor":"agent-7","action":"read_file","metadata":{},"status":"success","source":"harombe","severity":"info"}\n';

// Serverless: the same documents, each action without `_id`.
const GOLDEN_AOSS = GOLDEN.replace(
  '{"create":{"_id":"0b5c7e3a-1f0e-4c1e-9a53-6f2d2a7c9e01"}}',
  '{"create":{}}',
).replace('{"create":{"_id":"evt-2"}}', '{"create":{}}');

Deno.test("OpenSearchExporter writes the golden batch byte for byte, with _id, and without _id for Serverless", async () => {
  assert.equal(exporter().formatBatch(goldenSIEMEvents()), GOLDEN);
  assert.equal(
    exporter({ aws: { ...AWS, service: "es" } }).formatBatch(
      goldenSIEMEvents(),
    ),
    GOLDEN,
  );
  const aoss = exporter({ aws: { ...AWS, service: "aoss" } });
  assert.equal(aoss.formatBatch(goldenSIEMEvents()), GOLDEN_AOSS);
  assert.equal(
    aoss.formatEvent(goldenSIEMEvents()[1]!),
    '{"create":{}}\n{"@timestamp":"2026-01-31T12:00:01.000Z","event_id":"evt-2","correlation_id":"req-43","timestamp":"2026-01-31T12:00:01.000Z","event_type":"request","actor":"agent-7","action":"read_file","metadata":{},"status":"success","source":"harombe","severity":"info"}\n',
  );
  assert.deepEqual(
    (await aoss.prepare(goldenSIEMEvents())).body,
    encode(GOLDEN_AOSS),
  );
});

Deno.test("OpenSearchExporter url and headers: x-ndjson, Basic auth, never the compatibility media type", () => {
  const basic = exporter({ username: USER, token: PASSWORD });
  assert.equal(
    basic.url,
    "https://os.example.com:9200/audit/_bulk?filter_path=errors,items.*.status,items.*.error",
  );
  assert.deepEqual(basic.headers, {
    "Content-Type": "application/x-ndjson",
    "Authorization": `Basic ${btoa(`${USER}:${PASSWORD}`)}`,
  });
  assert.deepEqual(exporter().headers, {
    "Content-Type": "application/x-ndjson",
  });
  assert.equal(
    createExporter({ platform: "opensearch", endpoint: "http://127.0.0.1:9" })
      .platform,
    "opensearch",
  );
});

Deno.test("OpenSearchExporter delivers to the fake OpenSearch with Basic auth, plain and gzip; a resend answers 409 (delivered, not doubled)", async () => {
  await using os = startFakeOpenSearch({
    basic: { username: USER, password: PASSWORD },
  });
  const plain = await exporter({
    endpoint: os.url,
    username: USER,
    token: PASSWORD,
  }).send(goldenSIEMEvents());
  assert.equal(plain.status, 200);
  assert.deepEqual(plain.verdict, { kind: "delivered" });
  const request = os.requests[0]!;
  // The fake answers 406 to the Elasticsearch compatibility media type.
  assert.equal(request.headers.get("content-type"), "application/x-ndjson");
  assert.equal(request.path, "/audit/_bulk");
  assert.equal(decode(request.body), GOLDEN);
  assert.deepEqual(os.documents.map((d) => [d.index, d.id]), [
    ["audit", "0b5c7e3a-1f0e-4c1e-9a53-6f2d2a7c9e01"],
    ["audit", "evt-2"],
  ]);
  const again = await exporter({
    endpoint: os.url,
    username: USER,
    token: PASSWORD,
    compression: "gzip",
  }).send(goldenSIEMEvents());
  assert.deepEqual(again.verdict, { kind: "delivered" });
  assert.equal(os.requests[1]!.headers.get("content-encoding"), "gzip");
  assert.equal(os.documents.length, 2);
});

Deno.test("OpenSearchExporter: a wrong password is a setup error (401, retried), naming what to check, never the password", async () => {
  await using os = startFakeOpenSearch({
    basic: { username: USER, password: PASSWORD },
  });
  const outcome = await exporter({
    endpoint: os.url,
    username: USER,
    token: "wrong-password-0123",
  }).send(goldenSIEMEvents());
  assert.equal(outcome.status, 401);
  assert.equal(outcome.verdict.kind, "retry");
  assert.match(
    outcome.verdict.kind === "retry" ? outcome.verdict.setup ?? "" : "",
    /check the username and password/,
  );
  assert.equal(os.documents.length, 0);
});

for (const compression of ["none", "gzip"] as const) {
  Deno.test(`OpenSearchExporter signs with SigV4 (es) over the exact bytes sent, compression ${compression}`, async () => {
    await using os = startFakeOpenSearch({
      sigv4: { credentials: AWS, region: AWS.region, service: "es" },
    });
    const outcome = await exporter({
      endpoint: os.url,
      compression,
      aws: { ...AWS, service: "es" },
    }).send(goldenSIEMEvents());
    assert.equal(outcome.status, 200, JSON.stringify(outcome.verdict));
    assert.deepEqual(outcome.verdict, { kind: "delivered" });
    const request = os.requests[0]!;
    assert.equal(decode(request.body), GOLDEN);
    assert.equal(
      request.headers.get("x-amz-content-sha256"),
      await sha256Hex(request.rawBody),
    );
    if (compression === "gzip") {
      assert.equal(request.headers.get("content-encoding"), "gzip");
      assert.notDeepEqual(request.rawBody, request.body);
    }
    assert.match(
      request.headers.get("authorization") ?? "",
      /^AWS4-HMAC-SHA256 Credential=AKIAFAKE0123456789\/\d{8}\/eu-west-1\/es\/aws4_request, SignedHeaders=content-(?:encoding;content-)?type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    assert.equal(request.headers.get("content-type"), "application/x-ndjson");
    assert.equal(os.documents.length, 2);
  });
}

Deno.test("OpenSearchExporter on Serverless (aoss): no _id, x-amz-content-sha256 and the session token signed; documents get server ids", async () => {
  await using os = startFakeOpenSearch({
    sigv4: { credentials: AWS, region: AWS.region, service: "aoss" },
    serverless: true,
  });
  const aoss = exporter({
    endpoint: os.url,
    compression: "gzip",
    aws: { ...AWS, service: "aoss", sessionToken: SESSION },
  });
  const outcome = await aoss.send(goldenSIEMEvents());
  assert.deepEqual(outcome.verdict, { kind: "delivered" });
  const request = os.requests[0]!;
  assert.equal(decode(request.body), GOLDEN_AOSS);
  assert.equal(request.headers.get("x-amz-security-token"), SESSION);
  assert.equal(
    request.headers.get("x-amz-content-sha256"),
    await sha256Hex(request.rawBody),
  );
  assert.match(
    request.headers.get("authorization") ?? "",
    /\/aoss\/aws4_request, SignedHeaders=content-encoding;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,/,
  );
  assert.equal(os.documents.length, 2);
  assert.ok(
    os.documents.every((d) => d.id !== "evt-2" && d.id.length > 0),
    "the server chose the ids",
  );
  // The price of no _id: a resent batch is indexed again.
  await aoss.send(goldenSIEMEvents());
  assert.equal(os.documents.length, 4);
});

Deno.test("OpenSearchExporter with _id on a Serverless collection would be refused per item (why aoss sends none)", async () => {
  await using os = startFakeOpenSearch({
    sigv4: { credentials: AWS, region: AWS.region, service: "aoss" },
    serverless: true,
  });
  // A config that signs for aoss but writes the es body: each item refused.
  const withId = exporter({ endpoint: os.url, aws: { ...AWS, service: "es" } });
  const body = withId.encodeBatch(goldenSIEMEvents());
  const aoss = exporter({ endpoint: os.url, aws: { ...AWS, service: "aoss" } });
  const outcome = await aoss.post({
    events: goldenSIEMEvents(),
    body,
    uncompressedBytes: body.length,
  });
  assert.equal(outcome.verdict.kind, "partial");
  assert.match(
    JSON.stringify(outcome.verdict),
    /Document ID is not supported in create\/index operation request/,
  );
  assert.equal(os.documents.length, 0);
});

Deno.test("OpenSearch: a wrong AWS secret answers 403, a setup error: retried, the backlog kept", async () => {
  await using os = startFakeOpenSearch({
    sigv4: { credentials: AWS, region: AWS.region, service: "es" },
  });
  const wrongSecret = "wrong/secret+access-key-9876543210";
  const logger = new MemoryLogger();
  const letters: unknown[] = [];
  const config: SIEMConfigInput = {
    platform: "opensearch",
    endpoint: os.url,
    index: "audit",
    maxRetries: 0,
    aws: { ...AWS, service: "es", secretAccessKey: wrongSecret },
  };
  await using integrator = new SIEMIntegrator([config], {
    clock: new FakeClock(),
    logger,
    autoFlush: false,
    onDeadLetter: (letter) => void letters.push(letter),
  });
  const events = realisticEvents(5);
  for (const event of events) integrator.exportEvent(event);
  const [result] = await integrator.flushAll();
  assert.equal(os.requests.length, 1, "not split");
  assert.equal(result!.eventsFailed, 0);
  assert.equal(result!.eventsQueued, 5);
  assert.deepEqual(letters, []);
  const stats = integrator.getStats().perDestination["opensearch"]!;
  assert.equal(stats.buffered, 5);
  assert.match(stats.lastError!, /HTTP 403: .*signature we calculated/);
  assert.match(stats.setupError!, /check the AWS credentials/);
  assert.ok(!JSON.stringify([stats, logger.lines]).includes(wrongSecret));

  // Retried again (after the backoff), still kept.
  await integrator.flushAll();
  assert.equal(os.requests.length, 2);
  assert.equal(integrator.getStats().perDestination["opensearch"]!.buffered, 5);
  assert.deepEqual(letters, []);
  assert.equal(os.documents.length, 0);
});

Deno.test("OpenSearchExporter.signRequest() signs host but leaves it for fetch to send", async () => {
  const headers = await exporter({ aws: { ...AWS, service: "es" } })
    .signRequest({
      method: "POST",
      url: "https://os.example.com:9200/audit/_bulk",
      headers: { "Content-Type": "application/x-ndjson" },
      body: new TextEncoder().encode("{}\n"),
    }, Date.UTC(2026, 0, 31, 12));
  // `host` is a forbidden header name: fetch sets it from the URL.
  assert.equal(
    Object.keys(headers).some((name) => name.toLowerCase() === "host"),
    false,
  );
  assert.match(headers.authorization ?? "", /SignedHeaders=[^,]*\bhost\b/);
  assert.equal(headers["x-amz-date"], "20260131T120000Z");
});

Deno.test("OpenSearchExporter.classify(): credential hints per auth (Basic, es, aoss); other setup hints say OpenSearch; verdicts without a hint unchanged", () => {
  const json = new Headers({ "content-type": "application/json" });
  const refusal = JSON.stringify({
    error: { type: "security_exception", reason: "no permissions" },
    status: 403,
  });
  const setupOf = (os: OpenSearchExporter, status: number, body = refusal) => {
    const verdict = os.classify(status, json, body, 2, 0);
    assert.equal(verdict.kind, "retry");
    return verdict.kind === "retry" ? verdict.setup : undefined;
  };
  const basic = exporter({
    username: USER,
    token: PASSWORD,
    index: "audit-os",
  });
  for (const status of [401, 403]) {
    assert.equal(
      setupOf(basic, status),
      "check the username and password and the user's permissions on index audit-os (indices:data/write/bulk*)",
    );
  }
  const domain = exporter({
    index: "audit-os",
    aws: { ...AWS, service: "es" },
  });
  assert.equal(
    setupOf(domain, 403),
    "check the AWS credentials (secret access key, session token not expired), region eu-west-1, service es, and that the role may write to audit-os (the domain's access policy and fine-grained access control)",
  );
  const serverless = exporter({
    index: "audit-os",
    aws: { ...AWS, service: "aoss" },
  });
  assert.match(
    setupOf(serverless, 401) ?? "",
    /service aoss, and that the role may write to audit-os \(the collection's data access policy\)$/,
  );
  const missing = setupOf(
    basic,
    404,
    JSON.stringify({
      error: { type: "index_not_found_exception", reason: "no such index" },
      status: 404,
    }),
  );
  assert.equal(
    missing,
    "check the endpoint and that index audit-os exists or may be created",
  );
  const page = basic.classify(
    502,
    new Headers({ "content-type": "text/html" }),
    "<html>x</html>",
    2,
    0,
  );
  assert.equal(page.kind, "retry");
  assert.equal(page.kind === "retry" && page.setup, undefined);
  const foreign = setupOf(basic, 400, "<html>bad</html>");
  assert.match(foreign ?? "", /is not OpenSearch's/);
  assert.doesNotMatch(foreign ?? "", /Elasticsearch/);
});
