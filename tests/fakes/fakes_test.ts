import assert from "node:assert/strict";
import { startFakeDatadog } from "./fake_datadog.ts";
import { startFakeElasticsearch } from "./fake_elasticsearch.ts";
import { indexTemplate } from "../../src/platforms/index_template.ts";
import { startFakeProxy } from "./fake_proxy.ts";
import { startFakeSplunk } from "./fake_splunk.ts";

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** Sends one request and always reads the whole answer. */
async function send(
  url: string,
  body: BodyInit | null,
  headers: Record<string, string> = {},
  method = "POST",
): Promise<Answer> {
  const response = await fetch(url, { method, body, headers });
  return {
    status: response.status,
    headers: response.headers,
    text: await response.text(),
  };
}

function json(answer: Answer): unknown {
  return JSON.parse(answer.text);
}

async function compress(
  text: string,
  format: CompressionFormat,
): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(
    new CompressionStream(format),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.ok(condition(), "condition not reached in time");
}

const ndjson = (...lines: unknown[]): string =>
  lines.map((line) => JSON.stringify(line) + "\n").join("");
const TS = "2026-01-01T00:00:00.000Z";

// ---------------------------------------------------------------- Splunk HEC

const HEC = "/services/collector/event";
const SPLUNK_AUTH = { Authorization: "Splunk tok" };
const hecError = (code: number, text: string, n?: number): string =>
  JSON.stringify({
    text,
    code,
    ...(n === undefined ? {} : { "invalid-event-number": n }),
  });

Deno.test("startFakeSplunk() stores concatenated envelopes and answers Success", async () => {
  await using hec = startFakeSplunk({ token: "tok" });
  const first = {
    time: 1767225600.123,
    host: "h",
    source: "harombe",
    sourcetype: "_json",
    index: "harombe-security",
    event: { action: "login" },
    fields: { tenant: "t1", tags: ["a", "b"] },
  };
  const body = `${
    JSON.stringify(first)
  }\n{"event":"second","time":"1767225600.500"}{"event":3}`;
  const answer = await send(hec.url + HEC, body, SPLUNK_AUTH);
  assert.equal(answer.status, 200);
  assert.equal(answer.text, '{"text":"Success","code":0}');
  assert.equal(answer.headers.get("content-type"), "application/json");
  assert.deepStrictEqual(hec.events, [
    first,
    { event: "second", time: "1767225600.500" },
    { event: 3 },
  ]);
  const [recorded] = hec.requests;
  assert.equal(recorded?.method, "POST");
  assert.equal(recorded?.path, HEC);
  assert.equal(recorded?.status, 200);
  assert.equal(recorded?.headers.get("authorization"), "Splunk tok");
  assert.equal(new TextDecoder().decode(recorded?.body), body);
});

Deno.test("startFakeSplunk() decodes gzip and refuses deflate with code 6", async () => {
  await using hec = startFakeSplunk({ token: "tok" });
  const gzip = await compress('{"event":"zipped"}', "gzip");
  const headers = { ...SPLUNK_AUTH, "Content-Encoding": "gzip" };
  assert.equal((await send(hec.url + HEC, gzip, headers)).status, 200);
  assert.deepStrictEqual(hec.events, [{ event: "zipped" }]);
  assert.deepStrictEqual(hec.requests[0]?.rawBody, gzip);
  const deflate = await compress('{"event":"x"}', "deflate");
  const refused = await send(hec.url + HEC, deflate, {
    ...SPLUNK_AUTH,
    "Content-Encoding": "deflate",
  });
  assert.equal(refused.status, 400);
  assert.equal(refused.text, hecError(6, "Invalid data format"));
  assert.equal(hec.events.length, 1);
});

Deno.test("startFakeSplunk() answers each auth failure with HEC's code", async () => {
  await using hec = startFakeSplunk({ token: "tok" });
  const body = '{"event":"x"}';
  const none = await send(hec.url + HEC, body);
  assert.deepStrictEqual([none.status, none.text], [
    401,
    hecError(2, "Token is required"),
  ]);
  for (const header of ["tok", "Bearer tok", "splunk tok"]) {
    const noPrefix = await send(hec.url + HEC, body, { Authorization: header });
    assert.deepStrictEqual([noPrefix.status, noPrefix.text], [
      401,
      hecError(3, "Invalid authorization"),
    ]);
  }
  const wrong = await send(hec.url + HEC, body, {
    Authorization: "Splunk nope",
  });
  assert.deepStrictEqual([wrong.status, wrong.text], [
    403,
    hecError(4, "Invalid token"),
  ]);
  const query = await send(`${hec.url}${HEC}?token=tok`, body);
  assert.deepStrictEqual(json(query), {
    text: "Query string authorization is not enabled",
    code: 16,
  });
  const basic = await send(hec.url + HEC, body, {
    Authorization: `Basic ${btoa("x:tok")}`,
  });
  assert.equal(basic.status, 200);
  assert.equal(hec.events.length, 1);
});

Deno.test("startFakeSplunk() refuses a JSON array, commas and garbage with code 6", async () => {
  await using hec = startFakeSplunk({ token: "tok" });
  const cases: Array<[string, number]> = [
    ['[{"event":"a"},{"event":"b"}]', 0],
    ['{"event":"a"},{"event":"b"}', 1],
    ['{"event":"a"}\n{"event":"b"} trailing', 2],
    ['{"event":"a"}{"event":"b"', 1],
    ['{"event":"a",}', 0],
  ];
  for (const [body, n] of cases) {
    const answer = await send(hec.url + HEC, body, SPLUNK_AUTH);
    assert.equal(answer.status, 400, body);
    assert.equal(answer.text, hecError(6, "Invalid data format", n), body);
  }
  assert.deepStrictEqual(hec.events, []);
});

Deno.test("startFakeSplunk() checks every envelope and stores nothing when one fails", async () => {
  await using hec = startFakeSplunk({ token: "tok", maxEventBytes: 200 });
  const good = '{"event":"ok"}';
  const cases: Array<[string, number, string]> = [
    ['{"time":1}', 12, "Event field is required"],
    ['{"event":""}', 13, "Event field cannot be blank"],
    ['{"event":{}}', 13, "Event field cannot be blank"],
    [
      '{"event":"x","time":1.7672256e9}',
      15,
      "Error in handling indexed fields",
    ],
    [
      '{"event":"x","time":1767225600123}',
      15,
      "Error in handling indexed fields",
    ],
    [
      '{"event":"x","time":"2026-01-01T00:00:00Z"}',
      15,
      "Error in handling indexed fields",
    ],
    [
      '{"event":"x","fields":{"nested":{"a":1}}}',
      15,
      "Error in handling indexed fields",
    ],
    ['{"event":"x","fields":{"n":1}}', 15, "Error in handling indexed fields"],
    ['{"event":"x","index":"other"}', 7, "Incorrect index"],
    ['{"event":"x","severity":"high"}', 6, "Invalid data format"],
    ['{"event":"x","host":42}', 6, "Invalid data format"],
    [`{"event":"${"x".repeat(200)}"}`, 6, "Invalid data format"],
  ];
  for (const [bad, code, text] of cases) {
    const answer = await send(hec.url + HEC, good + bad, SPLUNK_AUTH);
    assert.equal(answer.status, 400, bad);
    assert.equal(answer.text, hecError(code, text, 1), bad);
  }
  assert.deepStrictEqual(hec.events, []);
  const fine =
    '{"event":"x","time":1767225600,"index":"main","fields":{"a":["b"]}}';
  assert.equal(
    (await send(hec.url + HEC, good + fine, SPLUNK_AUTH)).status,
    200,
  );
  assert.equal(hec.events.length, 2);
});

Deno.test("startFakeSplunk() answers No data, 404, health and 413", async () => {
  await using hec = startFakeSplunk({ token: "tok", maxContentLength: 64 });
  const empty = await send(hec.url + HEC, " \n", SPLUNK_AUTH);
  assert.deepStrictEqual([empty.status, empty.text], [
    400,
    hecError(5, "No data"),
  ]);
  const notFound =
    '{"text":"The requested URL was not found on this server.","code":404}';
  const raw = await send(hec.url + "/services/collector/raw", "x", SPLUNK_AUTH);
  assert.deepStrictEqual([raw.status, raw.text], [404, notFound]);
  const get = await send(hec.url + HEC, null, SPLUNK_AUTH, "GET");
  assert.equal(get.status, 404);
  const health = await send(
    hec.url + "/services/collector/health",
    null,
    {},
    "GET",
  );
  assert.deepStrictEqual([health.status, health.text], [
    200,
    '{"text":"HEC is healthy","code":17}',
  ]);
  const big = await send(
    hec.url + HEC,
    `{"event":"${"x".repeat(64)}"}`,
    SPLUNK_AUTH,
  );
  assert.deepStrictEqual([big.status, big.text], [413, ""]);
});

// ------------------------------------------------------------- Elasticsearch

const NDJSON = { "Content-Type": "application/x-ndjson" };
const ES_AUTH = { ...NDJSON, Authorization: "ApiKey a2V5" };
const esError = (status: number, type: string, reason: string): string =>
  JSON.stringify({
    error: { root_cause: [{ type, reason }], type, reason },
    status,
  });

Deno.test("startFakeElasticsearch() stores create actions and answers per item", async () => {
  await using es = startFakeElasticsearch({ apiKey: "a2V5" });
  const doc = { "@timestamp": TS, event: { action: "login" } };
  const body = ndjson(
    { create: { _index: "audit-2026.01", _id: "id-1" } },
    doc,
    { create: {} },
    { "@timestamp": "2026-01-01T00:00:00+00:00" },
  );
  const answer = await send(
    `${es.url}/logs/_bulk?refresh=false`,
    body,
    ES_AUTH,
  );
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get("content-type"), "application/json");
  const result = json(answer) as {
    took: number;
    errors: boolean;
    items: Array<{ create: Record<string, unknown> }>;
  };
  assert.equal(typeof result.took, "number");
  assert.equal(result.errors, false);
  assert.deepStrictEqual(result.items[0], {
    create: {
      _index: "audit-2026.01",
      _id: "id-1",
      _version: 1,
      result: "created",
      _shards: { total: 2, successful: 1, failed: 0 },
      _seq_no: 0,
      _primary_term: 1,
      status: 201,
    },
  });
  const generated = result.items[1]?.create;
  assert.equal(generated?._index, "logs");
  assert.match(String(generated?._id), /^[\w-]{20}$/);
  assert.deepStrictEqual(es.documents, [
    { index: "audit-2026.01", id: "id-1", source: doc },
    {
      index: "logs",
      id: generated?._id,
      source: { "@timestamp": "2026-01-01T00:00:00+00:00" },
    },
  ]);
  assert.equal(es.requests[0]?.search, "?refresh=false");
});

Deno.test("startFakeElasticsearch() decodes gzip bodies", async () => {
  await using es = startFakeElasticsearch({});
  const body = await compress(
    ndjson({ index: { _index: "audit", _id: "z" } }, { "@timestamp": TS }),
    "gzip",
  );
  const answer = await send(`${es.url}/_bulk`, body, {
    ...NDJSON,
    "Content-Encoding": "gzip",
  });
  assert.equal(answer.status, 200);
  assert.equal(es.documents.length, 1);
});

Deno.test("startFakeElasticsearch() answers 401 with WWW-Authenticate for a missing or wrong key", async () => {
  await using es = startFakeElasticsearch({ apiKey: "a2V5" });
  const body = ndjson({ create: { _index: "audit" } }, { "@timestamp": TS });
  const missing = await send(`${es.url}/_bulk`, body, NDJSON);
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get("www-authenticate"), "ApiKey");
  assert.equal(
    missing.text,
    esError(
      401,
      "security_exception",
      "missing authentication credentials for REST request [/_bulk]",
    ),
  );
  for (const authorization of ["ApiKey wrong", "Basic a2V5", "Bearer a2V5"]) {
    const wrong = await send(`${es.url}/_bulk`, body, {
      ...NDJSON,
      Authorization: authorization,
    });
    assert.equal(wrong.status, 401);
    assert.equal(
      wrong.text,
      esError(
        401,
        "security_exception",
        "unable to authenticate with provided credentials",
      ),
    );
  }
  assert.deepStrictEqual(es.documents, []);
});

Deno.test("startFakeElasticsearch() refuses bad framing at request level", async () => {
  await using es = startFakeElasticsearch({});
  const url = `${es.url}/_bulk`;
  const pair = ndjson({ create: { _index: "audit" } }, { "@timestamp": TS });
  const noNewline = await send(url, pair.slice(0, -1), NDJSON);
  assert.equal(noNewline.status, 400);
  assert.equal(
    noNewline.text,
    esError(
      400,
      "illegal_argument_exception",
      "The bulk request must be terminated by a newline [\\n]",
    ),
  );
  const array = await send(
    url,
    `[${pair.trim().replace("\n", ",")}]\n`,
    NDJSON,
  );
  assert.equal(
    array.text,
    esError(
      400,
      "illegal_argument_exception",
      "Malformed action/metadata line [1], expected START_OBJECT but found [START_ARRAY]",
    ),
  );
  const typed = await send(
    url,
    ndjson({ create: { _index: "audit", _type: "_doc" } }, {
      "@timestamp": TS,
    }),
    NDJSON,
  );
  assert.equal(
    typed.text,
    esError(
      400,
      "illegal_argument_exception",
      "Action/metadata line [1] contains an unknown parameter [_type]",
    ),
  );
  const textPlain = await send(url, pair);
  assert.equal(textPlain.status, 406);
  assert.equal(
    textPlain.text,
    '{"error":"Content-Type header [text/plain;charset=UTF-8] is not supported","status":406}',
  );
  const charset = await send(url, pair, {
    "Content-Type": "application/json; charset=UTF-8",
  });
  assert.equal(charset.status, 200);
  const badIndex = await send(`${es.url}/Audit/_bulk`, pair, NDJSON);
  assert.equal(badIndex.status, 400);
  assert.equal(
    (json(badIndex) as { error: { type: string } }).error.type,
    "invalid_index_name_exception",
  );
  assert.equal(es.documents.length, 1);
});

Deno.test("startFakeElasticsearch() fails items: 409 duplicate create, bad @timestamp, no index", async () => {
  await using es = startFakeElasticsearch({});
  const url = `${es.url}/_bulk`;
  const create = { create: { _index: "audit", _id: "id-1" } };
  assert.equal(
    (await send(url, ndjson(create, { "@timestamp": TS }), NDJSON)).status,
    200,
  );
  const answer = await send(
    url,
    ndjson(
      create,
      { "@timestamp": TS },
      { create: { _index: "audit", _id: "id-2" } },
      {
        "@timestamp": "2026-01-01T00:00:00+00:00Z",
      },
      { create: { _id: "id-3" } },
      { "@timestamp": TS },
    ),
    NDJSON,
  );
  assert.equal(answer.status, 200);
  const result = json(answer) as {
    errors: boolean;
    items: Array<{ create: Record<string, unknown> }>;
  };
  assert.equal(result.errors, true);
  assert.deepStrictEqual(result.items.map((item) => item.create.status), [
    409,
    400,
    400,
  ]);
  assert.deepStrictEqual(result.items[0]?.create.error, {
    type: "version_conflict_engine_exception",
    reason:
      "[id-1]: version conflict, document already exists (current version [1])",
    index: "audit",
  });
  assert.deepStrictEqual(result.items[1]?.create.error, {
    type: "document_parsing_exception",
    reason:
      "[1:15] failed to parse field [@timestamp] of type [date] in document with id 'id-2'. Preview of field's value: '2026-01-01T00:00:00+00:00Z'",
  });
  assert.match(
    String((result.items[2]?.create.error as { reason: string }).reason),
    /index is missing/,
  );
  assert.deepStrictEqual(es.documents.map((doc) => doc.id), ["id-1"]);
});

Deno.test("FakeElasticsearch.failItemsNext() fails the chosen items of the next bulk only", async () => {
  await using es = startFakeElasticsearch({});
  const url = `${es.url}/audit/_bulk`;
  const body = ndjson(
    { create: { _id: "a" } },
    { "@timestamp": TS },
    { create: { _id: "b" } },
    { "@timestamp": TS },
  );
  const seen: Array<{ index: number; id: string | undefined }> = [];
  es.failItemsNext((item) => {
    seen.push(item);
    return item.index === 1
      ? {
        status: 429,
        type: "es_rejected_execution_exception",
        reason: "queue full",
      }
      : undefined;
  });
  const first = json(await send(url, body, NDJSON)) as {
    errors: boolean;
    items: Array<{ create: Record<string, unknown> }>;
  };
  assert.deepStrictEqual(seen, [{ index: 0, id: "a" }, { index: 1, id: "b" }]);
  assert.equal(first.errors, true);
  assert.deepStrictEqual(first.items[1]?.create, {
    _index: "audit",
    _id: "b",
    status: 429,
    error: {
      type: "es_rejected_execution_exception",
      reason: "queue full",
      index: "audit",
    },
  });
  assert.deepStrictEqual(es.documents.map((doc) => doc.id), ["a"]);
  const retry = json(
    await send(
      url,
      ndjson({ create: { _id: "b" } }, { "@timestamp": TS }),
      NDJSON,
    ),
  );
  assert.deepStrictEqual((retry as { errors: boolean }).errors, false);
  assert.deepStrictEqual(es.documents.map((doc) => doc.id), ["a", "b"]);
});

type BulkAnswer = {
  errors: boolean;
  items: Array<{ create: { status: number; error?: Record<string, unknown> } }>;
};

/** The deepest cause of an item error, as `type: reason`. */
function rootCause(error: Record<string, unknown> | undefined): string {
  let cause = error;
  while (cause?.caused_by) cause = cause.caused_by as Record<string, unknown>;
  return `${cause?.type}: ${cause?.reason}`;
}

function nestedObjects(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < levels; i++) value = { [`l${i}`]: value };
  return value;
}

Deno.test("FakeElasticsearch maps an index without a template dynamically and refuses what a default mapping refuses, the cause nested", async () => {
  await using es = startFakeElasticsearch({});
  const url = `${es.url}/audit/_bulk`;
  const create = async (metadata: unknown, id: string) => {
    const answer = json(
      await send(
        url,
        ndjson({ create: { _id: id } }, { "@timestamp": TS, metadata }),
        NDJSON,
      ),
    ) as BulkAnswer;
    return answer.items[0]!.create;
  };
  const cases: Array<[string, unknown, number, RegExp]> = [
    [
      "empty",
      { "": 1 },
      400,
      /^illegal_argument_exception: field name cannot be an empty string$/,
    ],
    [
      "dot-b",
      { ".b": 1 },
      400,
      /object field starting or ending with a \[\.\] makes object resolution ambiguous: \[metadata\.\.b\]/,
    ],
    ["dots", { "..": 1 }, 400, /makes object resolution ambiguous/],
    ["blank", { "a. ": 1 }, 400, /cannot contain only whitespace/],
    [
      "deep",
      nestedObjects(19),
      400,
      /^illegal_argument_exception: Limit of mapping depth \[20\] has been exceeded due to object field \[metadata(\.l\d+){19}\]$/,
    ],
    [
      "long",
      { big: 1e20 },
      400,
      /^input_coercion_exception: Numeric value \(100000000000000000000\) out of range of long/,
    ],
    [
      "float",
      { ratio: Number.MAX_VALUE },
      400,
      /^illegal_argument_exception: \[float\] supports only finite values, but got \[Infinity\]$/,
    ],
    [
      "fields",
      Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, i])),
      400,
      /^illegal_argument_exception: Limit of total fields \[1000\] has been exceeded while adding new fields \[1002\]$/,
    ],
  ];
  for (const [id, metadata, status, cause] of cases) {
    const item = await create(metadata, id);
    assert.equal(item.status, status, id);
    assert.match(rootCause(item.error), cause, id);
  }
  // The field-name errors wrap their cause as a real server does.
  const empty = await create({ "": 1 }, "empty-again");
  assert.deepEqual(empty.error, {
    type: "mapper_parsing_exception",
    reason: "failed to parse",
    caused_by: {
      type: "illegal_argument_exception",
      reason: "field name cannot be an empty string",
    },
  });
  // One level less deep, and the largest long, are taken.
  assert.equal((await create(nestedObjects(18), "deep-ok")).status, 201);
  assert.equal((await create({ big: 2 ** 62 }, "long-ok")).status, 201);
  // Across documents of one index: an object where a value is mapped, and
  // a value where an object is mapped.
  assert.equal((await create({ a: 1, b: { c: 1 } }, "first")).status, 201);
  const object = await create({ a: { x: 1 } }, "object-for-value");
  assert.equal(object.status, 400);
  assert.equal(object.error?.type, "document_parsing_exception");
  assert.match(
    String(object.error?.reason),
    /failed to parse field \[metadata\.a\] of type \[long\] in document with id 'object-for-value'/,
  );
  const value = await create({ b: "text" }, "value-for-object");
  assert.equal(value.status, 400);
  assert.match(
    String(value.error?.reason),
    /object mapping for \[metadata\.b\] tried to parse field \[b\] as object, but found a concrete value/,
  );
  // Within one document too.
  const mixed = await create({ m: [1, { n: 1 }] }, "mixed");
  assert.equal(mixed.status, 400);
  // A refused document changes nothing: a later one may map the field.
  assert.equal(es.mappingOf("audit")?.fields.has("metadata.big"), true);
  assert.equal(es.mappingOf("audit")?.fields.has("metadata.m"), false);
  assert.deepEqual(
    es.documents.map((doc) => doc.id),
    ["deep-ok", "long-ok", "first"],
  );
});

Deno.test("FakeElasticsearch takes any metadata into an index created from the module's template", async () => {
  await using es = startFakeElasticsearch({});
  const template = await send(
    `${es.url}/_index_template/harombe-siem-audit`,
    JSON.stringify(indexTemplate({ index: "audit" })),
    { "Content-Type": "application/json" },
    "PUT",
  );
  assert.equal(template.status, 200);
  const body = ndjson(
    { create: { _id: "a" } },
    { "@timestamp": TS, metadata: { "": 1, n: 1e20, deep: nestedObjects(30) } },
    { create: { _id: "b" } },
    { "@timestamp": TS, metadata: { n: { now: "an object" } } },
  );
  const answer = json(
    await send(`${es.url}/audit/_bulk`, body, NDJSON),
  ) as BulkAnswer;
  assert.equal(answer.errors, false);
  assert.deepEqual(es.documents.map((doc) => doc.id), ["a", "b"]);
  assert.equal(es.mappingOf("audit"), undefined);
  // Another index still maps dynamically.
  const other = json(
    await send(
      `${es.url}/other/_bulk`,
      ndjson({ create: { _id: "c" } }, {
        "@timestamp": TS,
        metadata: { "": 1 },
      }),
      NDJSON,
    ),
  ) as BulkAnswer;
  assert.equal(other.items[0]!.create.status, 400);
});

// ------------------------------------------------------------------- Datadog

const LOGS = "/api/v2/logs";
const DD = { "Content-Type": "application/json", "DD-API-KEY": "dd-key" };
const ddError = (status: string, title: string, detail?: string): string =>
  JSON.stringify({
    errors: [{ status, title, ...(detail === undefined ? {} : { detail }) }],
  });
const entry = (
  message: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  message,
  ddsource: "harombe",
  ddtags: "env:test,team:sec",
  hostname: "h",
  service: "audit",
  status: "info",
  timestamp: 1767225600000,
  ...extra,
});

Deno.test("startFakeDatadog() accepts a JSON array, plain, gzip or deflate, and answers 202 {}", async () => {
  await using dd = startFakeDatadog({ apiKey: "dd-key" });
  const plain = [entry("one"), entry("two", { timestamp: TS })];
  const answer = await send(dd.url + LOGS, JSON.stringify(plain), DD);
  assert.deepStrictEqual([answer.status, answer.text], [202, "{}"]);
  assert.equal(answer.headers.get("content-type"), "application/json");
  for (const format of ["gzip", "deflate"] as const) {
    const body = await compress(JSON.stringify([entry(format)]), format);
    const zipped = await send(dd.url + LOGS, body, {
      ...DD,
      "Content-Encoding": format,
    });
    assert.equal(zipped.status, 202, format);
  }
  assert.deepStrictEqual(dd.logs.map((log) => log.message), [
    "one",
    "two",
    "gzip",
    "deflate",
  ]);
  assert.deepStrictEqual(dd.logs[0], plain[0]);
  assert.equal(dd.truncatedLogs, 0);
});

Deno.test("startFakeDatadog() answers 401 and 403 with Datadog's error body", async () => {
  await using dd = startFakeDatadog({ apiKey: "dd-key" });
  const body = JSON.stringify([entry("x")]);
  const missing = await send(dd.url + LOGS, body, {
    "Content-Type": "application/json",
  });
  assert.deepStrictEqual([missing.status, missing.text], [
    401,
    ddError("401", "Unauthorized", "API key is missing"),
  ]);
  const wrong = await send(dd.url + LOGS, body, {
    ...DD,
    "dd-api-key": "nope",
  });
  assert.deepStrictEqual([wrong.status, wrong.text], [
    403,
    ddError("403", "Forbidden", "API key is invalid"),
  ]);
  const path = await send(dd.url + "/v1/input", body, DD);
  assert.deepStrictEqual([path.status, path.text], [
    404,
    ddError("404", "Not Found"),
  ]);
  assert.deepStrictEqual(dd.logs, []);
});

Deno.test("startFakeDatadog() refuses bad batches and bad entries", async () => {
  await using dd = startFakeDatadog({ apiKey: "dd-key" });
  const cases: Array<[string, number]> = [
    [JSON.stringify(entry("single object")), 400],
    ["[]", 400],
    [
      JSON.stringify(Array.from({ length: 1001 }, (_, i) => entry(`m${i}`))),
      400,
    ],
    ['[{"message":"a"},"b"]', 400],
    ['[{"message":"a"}', 400],
    [JSON.stringify([{ ddsource: "no message" }]), 400],
    [JSON.stringify([entry("s", { timestamp: 1767225600 })]), 400],
    [
      JSON.stringify([entry("s", { timestamp: "2026-01-01T00:00:00+00:00Z" })]),
      400,
    ],
    [JSON.stringify([entry("t", { ddtags: "env:test, team:sec" })]), 400],
    [JSON.stringify([entry("h", { hostname: 7 })]), 400],
  ];
  for (const [body, status] of cases) {
    const answer = await send(dd.url + LOGS, body, DD);
    assert.equal(answer.status, status, body.slice(0, 80));
    const [error] =
      (json(answer) as { errors: Array<Record<string, string>> }).errors;
    assert.deepStrictEqual([error?.status, error?.title], [
      "400",
      "Bad Request",
    ]);
  }
  const textPlain = await send(dd.url + LOGS, JSON.stringify([entry("x")]), {
    "DD-API-KEY": "dd-key",
  });
  assert.equal(textPlain.status, 415);
  assert.deepStrictEqual(dd.logs, []);
  const thousand = JSON.stringify(
    Array.from({ length: 1000 }, (_, i) => entry(`m${i}`)),
  );
  assert.equal((await send(dd.url + LOGS, thousand, DD)).status, 202);
});

Deno.test("startFakeDatadog() answers 413 when the decoded body exceeds 5 MB", async () => {
  await using dd = startFakeDatadog({ apiKey: "dd-key" });
  const body = await compress(
    JSON.stringify([{ message: "x".repeat(5_000_000) }]),
    "gzip",
  );
  assert.ok(body.byteLength < 100_000);
  const answer = await send(dd.url + LOGS, body, {
    ...DD,
    "Content-Encoding": "gzip",
  });
  assert.equal(answer.status, 413);
  assert.equal(
    answer.text,
    ddError(
      "413",
      "Request Entity Too Large",
      "Payload too large: batch above 5MB uncompressed",
    ),
  );
  assert.deepStrictEqual(dd.logs, []);
});

Deno.test("startFakeDatadog() accepts an entry above 1 MB but marks it truncated", async () => {
  await using dd = startFakeDatadog({ apiKey: "dd-key" });
  const body = JSON.stringify([entry("small"), {
    message: "é".repeat(500_000),
  }]);
  assert.equal((await send(dd.url + LOGS, body, DD)).status, 202);
  assert.equal(dd.truncatedLogs, 1);
  assert.deepStrictEqual(dd.logs.map((log) => log.truncated), [
    undefined,
    true,
  ]);
});

// -------------------------------------------------------------------- Faults

Deno.test("FakeReceiver.failNext() answers queued faults in order, then the platform again", async () => {
  await using hec = startFakeSplunk({ token: "tok" });
  hec.failNext({ status: 503, headers: { "Retry-After": "2" } }, {}, {
    status: 500,
  });
  const answers: Answer[] = [];
  for (let i = 0; i < 4; i++) {
    answers.push(await send(hec.url + HEC, `{"event":"e${i}"}`, SPLUNK_AUTH));
  }
  assert.deepStrictEqual(answers.map((answer) => answer.status), [
    503,
    200,
    500,
    200,
  ]);
  assert.equal(answers[0]?.text, '{"text":"Server is busy","code":9}');
  assert.equal(answers[0]?.headers.get("retry-after"), "2");
  assert.equal(answers[2]?.text, '{"text":"Internal server error","code":8}');
  assert.deepStrictEqual(hec.requests.map((request) => request.status), [
    503,
    200,
    500,
    200,
  ]);
  assert.deepStrictEqual(hec.events, [{ event: "e1" }, { event: "e3" }]);
});

Deno.test("FakeReceiver.failNext() uses each platform's own error body, before any validation", async () => {
  await using es = startFakeElasticsearch({ apiKey: "a2V5" });
  es.failNext({ status: 429, headers: { "Retry-After": "1" } }, {
    status: 413,
  });
  const rejected = await send(`${es.url}/_bulk`, "not even ndjson");
  assert.equal(rejected.status, 429);
  assert.equal(rejected.headers.get("retry-after"), "1");
  assert.equal(
    (json(rejected) as { error: { type: string } }).error.type,
    "es_rejected_execution_exception",
  );
  assert.deepStrictEqual(
    await send(`${es.url}/_bulk`, "x").then((a) => [a.status, a.text]),
    [413, ""],
  );
  await using dd = startFakeDatadog({ apiKey: "dd-key" });
  dd.failNext({ status: 503 }, { status: 400, body: "custom" });
  const busy = await send(dd.url + LOGS, "[]");
  assert.deepStrictEqual([busy.status, busy.text], [
    503,
    ddError("503", "Service Unavailable"),
  ]);
  const custom = await send(dd.url + LOGS, "[]");
  assert.deepStrictEqual([custom.status, custom.text], [400, "custom"]);
  assert.throws(() => dd.failNext({ status: 99 }), RangeError);
});

Deno.test("FakeReceiver.down() fails every request until cleared", async () => {
  await using dd = startFakeDatadog({ apiKey: "dd-key" });
  const body = JSON.stringify([entry("x")]);
  dd.down({ status: 503, headers: { "Retry-After": "5" } });
  dd.failNext({ status: 500 });
  for (let i = 0; i < 3; i++) {
    const answer = await send(dd.url + LOGS, body, DD);
    assert.deepStrictEqual([answer.status, answer.headers.get("retry-after")], [
      503,
      "5",
    ]);
  }
  dd.down(null);
  assert.equal((await send(dd.url + LOGS, body, DD)).status, 500);
  assert.equal((await send(dd.url + LOGS, body, DD)).status, 202);
  assert.equal(dd.logs.length, 1);
});

Deno.test("FakeReceiver hang: the client's abort ends the request, with no leaked ops", async () => {
  await using hec = startFakeSplunk({ token: "tok" });
  hec.failNext({ hang: true });
  await assert.rejects(
    fetch(hec.url + HEC, {
      method: "POST",
      body: '{"event":"x"}',
      headers: SPLUNK_AUTH,
      signal: AbortSignal.timeout(200),
    }),
    { name: "TimeoutError" },
  );
  assert.deepStrictEqual(hec.requests.map((request) => request.status), [0]);
  assert.equal(
    (await send(hec.url + HEC, '{"event":"y"}', SPLUNK_AUTH)).status,
    200,
  );
  assert.deepStrictEqual(hec.events, [{ event: "y" }]);
});

Deno.test("FakeReceiver.close() drops hanging requests and is idempotent", async () => {
  await using es = startFakeElasticsearch({});
  es.down({ hang: true });
  const outcome = fetch(`${es.url}/_bulk`, {
    method: "POST",
    body: "x\n",
    headers: NDJSON,
  })
    .then(
      async (response) =>
        `answered ${response.status} ${await response.text()}`,
      (error: Error) => error,
    );
  await waitFor(() => es.requests.length === 1);
  await es.close();
  await es.close();
  assert.ok((await outcome) instanceof TypeError);
});

Deno.test("FakeReceiver reset: a 200 whose body then fails", async () => {
  await using dd = startFakeDatadog({ apiKey: "dd-key" });
  dd.failNext({ reset: true });
  const response = await fetch(dd.url + LOGS, {
    method: "POST",
    body: JSON.stringify([entry("x")]),
    headers: DD,
  });
  assert.equal(response.status, 200);
  await assert.rejects(response.text());
  assert.deepStrictEqual(dd.requests.map((request) => request.status), [0]);
  assert.deepStrictEqual(dd.logs, []);
});

Deno.test("fake proxy answers every request with nginx's HTML error page", async () => {
  await using proxy = startFakeProxy({ status: 400 });
  const response = await fetch(`${proxy.url}/services/collector/event`, {
    method: "POST",
    body: "{}",
  });
  assert.equal(response.status, 400);
  assert.equal(response.headers.get("content-type"), "text/html");
  assert.match(await response.text(), /<title>400 Bad Request<\/title>/);
  proxy.status = 404;
  const missing = await fetch(proxy.url);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  assert.equal(proxy.requests.length, 2);
});

Deno.test("fake refuseWhen() refuses only the bodies it picks, with the platform's body", async () => {
  await using dd = startFakeDatadog({ apiKey: "k" });
  dd.refuseWhen((body) => body.includes("bad") ? { status: 400 } : undefined);
  const post = (message: string) =>
    fetch(`${dd.url}/api/v2/logs`, {
      method: "POST",
      headers: { "DD-API-KEY": "k", "Content-Type": "application/json" },
      body: JSON.stringify([{ message }]),
    });
  const refused = await post("bad one");
  assert.equal(refused.status, 400);
  assert.deepEqual(await refused.json(), {
    errors: [{ status: "400", title: "Bad Request" }],
  });
  const accepted = await post("good one");
  assert.equal(accepted.status, 202);
  await accepted.body?.cancel();
  assert.deepEqual(dd.logs.map((log) => log.message), ["good one"]);
});
