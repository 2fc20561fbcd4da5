import assert from "node:assert/strict";
import { ElasticsearchExporter } from "../../src/platforms/elasticsearch.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import { goldenSIEMEvents } from "../fixtures/events.ts";
import { startFakeElasticsearch } from "../fakes/fake_elasticsearch.ts";

const API_KEY = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==";

function exporter(
  endpoint = "https://es.example.com:9200",
  extra: Record<string, unknown> = {},
): ElasticsearchExporter {
  return new ElasticsearchExporter(parseSIEMConfig({
    platform: "elasticsearch",
    endpoint,
    token: API_KEY,
    index: "audit",
    ...extra,
  }));
}

// The golden batch: NDJSON, a `create` action with `_id` = event_id, then the
// document with `@timestamp` first; every line, the last included, ends
// with "\n".
const GOLDEN = '{"create":{"_id":"0b5c7e3a-1f0e-4c1e-9a53-6f2d2a7c9e01"}}\n' +
  '{"@timestamp":"2026-01-31T12:00:00.123Z","event_id":"0b5c7e3a-1f0e-4c1e-9a53-6f2d2a7c9e01","correlation_id":"req-42","session_id":"sess-7","timestamp":"2026-01-31T12:00:00.123Z","event_type":"security_decision","actor":"policy-engine","tool_name":"shell","action":"deny_tool","metadata":{"rule":"no-rm","path":"/tmp/é\\"x","depth":{"n":1}},"duration_ms":12,"status":"error","error_message":"refusé: \u2028 line","source":"harombe","severity":"error"}\n' +
  '{"create":{"_id":"evt-2"}}\n' +
  '{"@timestamp":"2026-01-31T12:00:01.000Z","event_id":"evt-2","correlation_id":"req-43","timestamp":"2026-01-31T12:00:01.000Z","event_type":"request","actor":"agent-7","action":"read_file","metadata":{},"status":"success","source":"harombe","severity":"info"}\n';

Deno.test("ElasticsearchExporter.formatBatch() writes the golden batch byte for byte", async () => {
  const es = exporter();
  assert.equal(es.formatBatch(goldenSIEMEvents()), GOLDEN);
  const prepared = await es.prepare(goldenSIEMEvents());
  assert.deepEqual(prepared.body, new TextEncoder().encode(GOLDEN));
});

Deno.test("ElasticsearchExporter url and headers follow the bulk contract", () => {
  const es = exporter("https://es.example.com:9200/prefix/");
  assert.equal(
    es.url,
    "https://es.example.com:9200/prefix/audit/_bulk?filter_path=errors,items.*.status,items.*.error",
  );
  assert.deepEqual(es.headers, {
    "Content-Type": "application/x-ndjson",
    "Authorization": `ApiKey ${API_KEY}`,
  });
  const open = new ElasticsearchExporter(parseSIEMConfig({
    platform: "elasticsearch",
    endpoint: "http://127.0.0.1:9200",
  }));
  assert.equal(open.headers["Authorization"], undefined);
  assert.match(open.url, /\/harombe-security\/_bulk\?/);
});

Deno.test("ElasticsearchExporter.classify() reads every bulk item", () => {
  const es = exporter();
  const none = new Headers();
  const bulk = (items: unknown[]) =>
    es.classify(
      200,
      none,
      JSON.stringify({ errors: true, items }),
      items.length,
      0,
    );
  const ok = { create: { status: 201 } };
  // An item without a status says nothing of its event: retried, not lost.
  const unknown = bulk([ok, { create: {} }]);
  assert.equal(unknown.kind, "partial");
  if (unknown.kind === "partial") {
    assert.deepEqual(unknown.retry.map((failure) => failure.index), [1]);
    assert.deepEqual(unknown.rejected, []);
  }
  assert.deepEqual(
    es.classify(
      200,
      none,
      JSON.stringify({ errors: false, items: [ok, ok] }),
      2,
      0,
    ),
    { kind: "delivered" },
  );
  // 409 on create: already indexed by an earlier try, so delivered.
  assert.deepEqual(
    bulk([ok, {
      create: {
        status: 409,
        error: { type: "version_conflict_engine_exception", reason: "exists" },
      },
    }]),
    { kind: "delivered" },
  );
  const verdict = bulk([
    ok,
    {
      create: {
        status: 429,
        error: { type: "es_rejected_execution_exception", reason: "queue" },
      },
    },
    {
      create: {
        status: 400,
        error: {
          type: "document_parsing_exception",
          reason: "failed to parse field [@timestamp]",
        },
      },
    },
    {
      create: { status: 503, error: { type: "unavailable_shards_exception" } },
    },
  ]);
  assert.deepEqual(verdict, {
    kind: "partial",
    retry: [
      {
        index: 1,
        reason: "item HTTP 429: es_rejected_execution_exception: queue",
        status: 429,
      },
      {
        index: 3,
        reason: "item HTTP 503: unavailable_shards_exception: (no reason)",
        status: 503,
      },
    ],
    rejected: [{
      index: 2,
      reason:
        "item HTTP 400: document_parsing_exception: failed to parse field [@timestamp]",
      status: 400,
    }],
    backoff: true,
  });
  // An answer whose items do not match the batch says nothing reliable.
  assert.equal(
    es.classify(200, none, JSON.stringify({ errors: false, items: [ok] }), 2, 0)
      .kind,
    "retry",
  );
  assert.equal(es.classify(200, none, "{}", 2, 0).kind, "retry");
  assert.equal(es.classify(200, none, "not json", 2, 0).kind, "retry");
  // Request-level answers.
  assert.equal(es.classify(429, none, "{}", 2, 0).kind, "retry");
  assert.equal(es.classify(503, none, "", 2, 0).kind, "retry");
  assert.equal(es.classify(401, none, "{}", 2, 0).kind, "retry");
  assert.equal(es.classify(413, none, "", 2, 0).kind, "split");
  const malformed = es.classify(
    400,
    none,
    JSON.stringify({
      error: {
        type: "illegal_argument_exception",
        reason: "The bulk request must be terminated by a newline [\\n]",
      },
      status: 400,
    }),
    2,
    0,
  );
  assert.deepEqual(malformed, {
    kind: "split",
    status: 400,
    reason:
      "HTTP 400: illegal_argument_exception: The bulk request must be terminated by a newline [\\n]",
  });
});

Deno.test("ElasticsearchExporter.classify() keeps the deepest caused_by of an item error, and the item's status", () => {
  const es = exporter();
  // Real bodies: elastic/elasticsearch#70960 (an empty field name) and
  // #57272 (a long overflow, its Jackson cause two levels down here).
  const items = [
    {
      create: {
        status: 400,
        error: {
          type: "mapper_parsing_exception",
          reason: "failed to parse",
          caused_by: {
            type: "illegal_argument_exception",
            reason: "field name cannot be an empty string",
          },
        },
      },
    },
    {
      create: {
        status: 400,
        error: {
          type: "document_parsing_exception",
          reason:
            "[1:240] failed to parse field [metadata.n] of type [long] in document with id 'e2'. Preview of field's value: '1e+20'",
          caused_by: {
            type: "illegal_argument_exception",
            reason: "wrapped",
            caused_by: {
              type: "input_coercion_exception",
              reason:
                "Numeric value (100000000000000000000) out of range of long (-9223372036854775808 - 9223372036854775807)\n at [Source: (byte[]); line: 1, column: 240]",
            },
          },
        },
      },
    },
    {
      create: {
        status: 404,
        error: "IndexMissingException[[audit] missing]",
      },
    },
    { create: { status: 422, error: { type: "x", reason: "y" } } },
  ];
  const verdict = es.classify(
    200,
    new Headers(),
    JSON.stringify({ errors: true, items }),
    items.length,
    0,
  );
  assert.ok(verdict.kind === "partial");
  assert.deepEqual(verdict.rejected, [
    {
      index: 0,
      reason:
        "item HTTP 400: mapper_parsing_exception: failed to parse; caused by illegal_argument_exception: field name cannot be an empty string",
      status: 400,
    },
    {
      index: 1,
      reason:
        "item HTTP 400: document_parsing_exception: [1:240] failed to parse field [metadata.n] of type [long] in document with id 'e2'. Preview of field's value: '1e+20'; caused by input_coercion_exception: Numeric value (100000000000000000000) out of range of long (-9223372036854775808 - 9223372036854775807) at [Source: (byte[]); line: 1, column: 240]",
      status: 400,
    },
    { index: 3, reason: "item HTTP 422: x: y", status: 422 },
  ]);
  assert.deepEqual(verdict.retry, [{
    index: 2,
    reason: "item HTTP 404: IndexMissingException[[audit] missing]",
    status: 404,
  }]);
});

Deno.test("ElasticsearchExporter.send() is accepted by the strict fake, plain and gzip", async () => {
  await using es = startFakeElasticsearch({ apiKey: API_KEY });
  const plain = await exporter(es.url).send(goldenSIEMEvents());
  assert.equal(plain.status, 200);
  assert.deepEqual(plain.verdict, { kind: "delivered" });
  const request = es.requests[0]!;
  assert.equal(request.headers.get("content-type"), "application/x-ndjson");
  assert.equal(request.path, "/audit/_bulk");
  assert.equal(new TextDecoder().decode(request.body), GOLDEN);
  assert.deepEqual(es.documents.map((doc) => [doc.index, doc.id]), [
    ["audit", "0b5c7e3a-1f0e-4c1e-9a53-6f2d2a7c9e01"],
    ["audit", "evt-2"],
  ]);
  assert.equal(
    es.documents[0]!.source["@timestamp"],
    "2026-01-31T12:00:00.123Z",
  );
  // The same batch again, gzipped: each create answers 409, which is delivered.
  const again = await exporter(es.url, { compression: "gzip" }).send(
    goldenSIEMEvents(),
  );
  assert.deepEqual(again.verdict, { kind: "delivered" });
  assert.equal(es.requests[1]!.headers.get("content-encoding"), "gzip");
  assert.equal(es.documents.length, 2);
});

Deno.test("ElasticsearchExporter.send() reports item failures from the fake", async () => {
  await using es = startFakeElasticsearch({ apiKey: API_KEY });
  es.failItemsNext(({ index }) =>
    index === 0
      ? { status: 429, type: "es_rejected_execution_exception", reason: "busy" }
      : undefined
  );
  const outcome = await exporter(es.url).send(goldenSIEMEvents());
  assert.deepEqual(outcome.verdict, {
    kind: "partial",
    retry: [{
      index: 0,
      reason: "item HTTP 429: es_rejected_execution_exception: busy",
      status: 429,
    }],
    rejected: [],
    backoff: true,
  });
  assert.deepEqual(es.documents.map((doc) => doc.id), ["evt-2"]);
});

Deno.test("ElasticsearchExporter.send() with a wrong key keeps the batch for a retry", async () => {
  await using es = startFakeElasticsearch({ apiKey: API_KEY });
  const wrong = new ElasticsearchExporter(parseSIEMConfig({
    platform: "elasticsearch",
    endpoint: es.url,
    token: "d3Jvbmc6a2V5",
  }));
  const outcome = await wrong.send(goldenSIEMEvents());
  assert.equal(outcome.status, 401);
  assert.equal(outcome.verdict.kind, "retry");
  assert.match(
    outcome.verdict.kind === "retry" ? outcome.verdict.reason : "",
    /security_exception/,
  );
  assert.equal(es.documents.length, 0);
});

Deno.test("ElasticsearchExporter.classify() retries items blocked by the cluster, a privilege, a missing or closed index, and a request-level 404", () => {
  const es = exporter();
  const none = new Headers();
  const item = (status: number, type: string) => ({
    create: { status, error: { type, reason: "r" } },
  });
  const verdict = es.classify(
    200,
    none,
    JSON.stringify({
      errors: true,
      items: [
        { create: { status: 201 } },
        item(403, "cluster_block_exception"),
        item(403, "security_exception"),
        item(404, "index_not_found_exception"),
        item(400, "index_closed_exception"),
        item(400, "document_parsing_exception"),
      ],
    }),
    6,
    0,
  );
  assert.equal(verdict.kind, "partial");
  assert.ok(verdict.kind === "partial");
  // A closed index (400) is a setup problem too; a document the mapping
  // refuses (400) is not.
  assert.deepEqual(verdict.retry.map((f) => f.index), [1, 2, 3, 4]);
  assert.deepEqual(verdict.rejected.map((f) => f.index), [5]);
  assert.equal(verdict.backoff, true);
  const missing = es.classify(
    404,
    none,
    JSON.stringify({
      error: { type: "index_not_found_exception", reason: "no such index" },
      status: 404,
    }),
    2,
    0,
  );
  assert.equal(missing.kind, "retry");
});

Deno.test("ElasticsearchExporter.classify() splits only on parse errors of the body; other refusals are setup errors", () => {
  const es = exporter();
  const json = new Headers({ "content-type": "application/json" });
  const html = new Headers({ "content-type": "text/html" });
  const failure = (status: number, type: string) =>
    JSON.stringify({ error: { type, reason: "r" }, status });
  for (
    const type of ["illegal_argument_exception", "x_content_parse_exception"]
  ) {
    assert.equal(
      es.classify(400, json, failure(400, type), 2, 0).kind,
      "split",
    );
  }
  const cases: Array<[number, Headers, string, RegExp]> = [
    [400, html, "<html>400 Bad Request</html>", /not Elasticsearch's/],
    [200, html, "<html>OK</html>", /not Elasticsearch's/],
    [
      400,
      json,
      JSON.stringify({
        error: "no handler found for uri [/x] and method [POST]",
        status: 400,
      }),
      /does not take batches at this URL/,
    ],
    [
      405,
      json,
      JSON.stringify({ error: "Incorrect HTTP method", status: 405 }),
      /check the endpoint/,
    ],
    [
      406,
      json,
      JSON.stringify({ error: "Content-Type header is missing", status: 406 }),
      /check the endpoint/,
    ],
    [400, json, failure(400, "invalid_index_name_exception"), /index name/],
    [
      403,
      json,
      failure(403, "security_exception"),
      /API key and its privileges/,
    ],
  ];
  for (const [status, headers, body, check] of cases) {
    const verdict = es.classify(status, headers, body, 2, 0);
    assert.equal(verdict.kind, "retry", `${status} ${body}`);
    assert.match(verdict.kind === "retry" ? verdict.setup ?? "" : "", check);
  }
});

Deno.test("ElasticsearchExporter.classify() splits on every parse error of the body (wire-specs §2.6)", () => {
  const es = exporter();
  const json = new Headers({ "content-type": "application/json" });
  for (
    const type of [
      "illegal_argument_exception",
      "x_content_parse_exception",
      "json_parse_exception",
      "json_e_o_f_exception",
      "parse_exception",
      "not_x_content_exception",
      "action_request_validation_exception",
      "mapper_parsing_exception",
      "document_parsing_exception",
    ]
  ) {
    const body = JSON.stringify({
      error: { type, reason: "bad line" },
      status: 400,
    });
    assert.deepEqual(es.classify(400, json, body, 2, 0), {
      kind: "split",
      reason: `HTTP 400: ${type}: bad line`,
      status: 400,
    }, type);
    // The same type on another status is no parse error of this body.
    assert.equal(
      es.classify(422, json, body.replace("400", "422"), 2, 0).kind,
      "retry",
    );
  }
});

Deno.test("ElasticsearchExporter.classify() items: no status, 429 and 5xx are retried with backoff; 2xx and 409 delivered; other 4xx rejected", () => {
  const es = exporter();
  const items = [
    { create: { status: 201 } },
    { create: { status: 200 } },
    { create: { status: 299 } },
    {
      create: {
        status: 409,
        error: { type: "version_conflict_engine_exception" },
      },
    },
    { create: { error: { type: "x", reason: "no status" } } },
    {
      create: {
        status: 429,
        error: {
          type: "es_rejected_execution_exception",
          reason: "queue full",
        },
      },
    },
    {
      create: {
        status: 503,
        error: {
          type: "unavailable_shards_exception",
          reason: "primary shard is not active",
        },
      },
    },
    { create: { status: 408, error: "timed out" } },
    { create: { status: 300 } },
    { create: { status: 422, error: { type: "x", reason: "y" } } },
    null,
  ];
  const verdict = es.classify(
    200,
    new Headers({ "content-type": "application/json" }),
    JSON.stringify({ errors: true, items }),
    items.length,
    0,
  );
  assert.deepEqual(verdict, {
    kind: "partial",
    retry: [
      { index: 4, reason: "item HTTP 0: x: no status", status: 0 },
      {
        index: 5,
        reason: "item HTTP 429: es_rejected_execution_exception: queue full",
        status: 429,
      },
      {
        index: 6,
        reason:
          "item HTTP 503: unavailable_shards_exception: primary shard is not active",
        status: 503,
      },
      { index: 7, reason: "item HTTP 408: timed out", status: 408 },
      { index: 10, reason: "item HTTP 0: (no error given)", status: 0 },
    ],
    rejected: [
      { index: 8, reason: "item HTTP 300: (no error given)", status: 300 },
      { index: 9, reason: "item HTTP 422: x: y", status: 422 },
    ],
    backoff: true,
  });
  const onlyRejected = es.classify(
    200,
    new Headers({ "content-type": "application/json" }),
    JSON.stringify({
      errors: true,
      items: [{ create: { status: 400, error: { type: "a", reason: "b" } } }],
    }),
    1,
    0,
  );
  assert.deepEqual(onlyRejected, {
    kind: "partial",
    retry: [],
    rejected: [{ index: 0, reason: "item HTTP 400: a: b", status: 400 }],
    backoff: false,
  });
});

Deno.test("ElasticsearchExporter.classify(): a 200 whose items do not match the batch is retried, never taken as delivered", () => {
  const es = exporter();
  const json = new Headers({ "content-type": "application/json" });
  for (
    const body of [
      JSON.stringify({ errors: false, items: [{ create: { status: 201 } }] }),
      JSON.stringify({
        errors: false,
        items: [1, 2, 3].map(() => ({ create: { status: 201 } })),
      }),
      JSON.stringify({ errors: false }),
      "",
    ]
  ) {
    const verdict = es.classify(200, json, body, 2, 0);
    assert.equal(verdict.kind, "retry", body);
    assert.match(
      verdict.kind === "retry" ? verdict.reason : "",
      /^unexpected bulk answer \(HTTP 200\): /,
    );
    assert.equal(verdict.kind === "retry" && verdict.status, 200);
  }
});

Deno.test("ElasticsearchExporter.classify(): a request-level 404 names the index; an error without a type or reason still reads", () => {
  const es = exporter(undefined, { index: "audit-z" });
  const json = new Headers({ "content-type": "application/json" });
  const missing = es.classify(
    404,
    json,
    JSON.stringify({
      error: {
        type: "index_not_found_exception",
        reason: "no such index [audit-z]",
      },
      status: 404,
    }),
    2,
    0,
  );
  assert.deepEqual(missing, {
    kind: "retry",
    reason: "HTTP 404: index_not_found_exception: no such index [audit-z]",
    status: 404,
    retryAfterMs: undefined,
    setup: "check the endpoint and that index audit-z exists or may be created",
  });
  const bare = es.classify(500, json, JSON.stringify({ error: {} }), 2, 0);
  assert.equal(
    bare.kind === "retry" && bare.reason,
    "HTTP 500: error: (no reason)",
  );
});

Deno.test("ElasticsearchExporter: with schema ecs the document is the ECS document as is; with ocsf, @timestamp is put first", () => {
  const [first] = goldenSIEMEvents();
  const action = `{"create":{"_id":"${first!.event_id}"}}\n`;
  const ecs = exporter(undefined, { schema: "ecs" }).formatBatch([first!]);
  assert.ok(
    ecs.startsWith(`${action}{"@timestamp":"2026-01-31T12:00:00.123Z","ecs":`),
    ecs,
  );
  assert.ok(ecs.endsWith("}\n"));
  assert.equal(ecs.match(/"@timestamp"/g)?.length, 1);
  const ocsf = exporter(undefined, { schema: "ocsf" }).formatBatch([first!]);
  assert.ok(
    ocsf.startsWith(
      `${action}{"@timestamp":"2026-01-31T12:00:00.123Z","activity_id":`,
    ),
    ocsf,
  );
  assert.equal(
    JSON.parse(ocsf.split("\n")[1]!).time,
    Date.parse(first!.timestamp),
  );
});
