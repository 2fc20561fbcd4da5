/**
 * Input hardening: what may end up in URLs, headers or request bodies is
 * checked at the edge (SIEM configs, audit events, ingest requests), and
 * credentials never follow a redirect.
 *
 * Property tests take FC_SEED / FC_PATH / FC_RUNS like tests/properties (a
 * failure prints its seed and path).
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.11.0";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import {
  type AuditEventInput,
  InvalidAuditEventError,
  parseAuditEvent,
} from "../../src/events/audit_event.ts";
import { MAX_METADATA_DEPTH } from "../../src/events/json_data.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { createIngestApp, type IngestApp } from "../../src/ingest/app.ts";
import { matchesAnyToken } from "../../src/ingest/bearer_token.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import type { SIEMPlatform } from "../../src/platforms/platform.ts";
import {
  parseSIEMConfig,
  SIEMConfigError,
  type SIEMConfigInput,
} from "../../src/platforms/siem_config.ts";
import { checkIndexName } from "../fakes/_elasticsearch_bulk.ts";
import { startFakeElasticsearch } from "../fakes/fake_elasticsearch.ts";
import { MemoryLogger } from "../support/receivers.ts";
import { fcParams } from "../properties/_fc_params.ts";
import { json, startEchoReceiver } from "./_echo_receiver.ts";

const PLATFORMS: readonly SIEMPlatform[] = [
  "splunk",
  "elasticsearch",
  "datadog",
];
const TOKEN = "hardening-token-5e3c1a";
const INGEST_TOKEN = "hardening-ingest-0123456789";
const ROTATED_TOKEN = "hardening-ingest-rotated-9876";

function configError(input: SIEMConfigInput): SIEMConfigError | undefined {
  try {
    parseSIEMConfig(input);
    return undefined;
  } catch (error) {
    assert.ok(
      error instanceof SIEMConfigError,
      `expected SIEMConfigError, got ${String(error)}`,
    );
    return error;
  }
}

function assertRefused(
  input: SIEMConfigInput,
  field: string,
  label: string,
): void {
  const error = configError(input);
  assert.ok(error !== undefined, `${label}: accepted`);
  assert.ok(
    error.issues.some((issue) => issue.path.split(".")[0] === field),
    `${label}: the error does not name ${field}: ${error.message}`,
  );
}

function event(extra: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    correlation_id: "c",
    event_type: "request",
    actor: "a",
    action: "x",
    status: "success",
    ...extra,
  };
}

// ---------------------------------------------------------------------------
// Control characters in config values

const controlCharacter = fc.oneof(
  fc.integer({ min: 0x00, max: 0x1f }),
  fc.integer({ min: 0x7f, max: 0x9f }),
).map((code) => String.fromCharCode(code));
const injection = fc.oneof(
  fc.constantFrom("\r\n", "\n", "\r", "\r\nX-Injected: yes", "\u0000"),
  controlCharacter,
);
const lowerWord = fc.string({
  unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789"),
  minLength: 1,
  maxLength: 12,
});

/** A valid value per field, and where the field lives. */
const FIELDS: readonly {
  field: string;
  platform: SIEMPlatform;
  valid: fc.Arbitrary<string>;
  set: (value: string) => Partial<SIEMConfigInput>;
}[] = [
  {
    field: "index",
    platform: "splunk",
    valid: lowerWord,
    set: (index) => ({ index }),
  },
  {
    field: "index",
    platform: "elasticsearch",
    valid: lowerWord,
    set: (index) => ({ index }),
  },
  {
    field: "index",
    platform: "datadog",
    valid: lowerWord,
    set: (index) => ({ index }),
  },
  {
    field: "sourcetype",
    platform: "splunk",
    valid: lowerWord.map((w) => `harombe:${w}`),
    set: (sourcetype) => ({ sourcetype }),
  },
  {
    field: "host",
    platform: "splunk",
    valid: lowerWord.map((w) => `${w}.example.com`),
    set: (host) => ({ host }),
  },
  {
    field: "host",
    platform: "datadog",
    valid: lowerWord,
    set: (host) => ({ host }),
  },
  {
    field: "service",
    platform: "datadog",
    valid: lowerWord,
    set: (service) => ({ service }),
  },
  {
    field: "tags",
    platform: "datadog",
    valid: lowerWord.map((w) => `env:${w}`),
    set: (tag) => ({ tags: ["team:sec", tag] }),
  },
  {
    field: "name",
    platform: "elasticsearch",
    valid: lowerWord,
    set: (name) => ({ name }),
  },
];

Deno.test("property: CR/LF and control characters in index, sourcetype, host, service, tags and name are refused by parseSIEMConfig", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...FIELDS).chain((f) =>
        fc.record({
          f: fc.constant(f),
          value: f.valid,
          bad: injection,
          at: fc.nat(),
        })
      ),
      ({ f, value, bad, at }) => {
        const base: SIEMConfigInput = {
          platform: f.platform,
          endpoint: "https://siem.example.com",
          token: TOKEN,
        };
        // The same value without the control character is accepted ...
        const fine = configError({ ...base, ...f.set(value) });
        assert.equal(fine, undefined, `valid ${f.field} refused: ${fine}`);
        // ... and with it, wherever it is, refused.
        const cut = at % (value.length + 1);
        const broken = value.slice(0, cut) + bad + value.slice(cut);
        assertRefused(
          { ...base, ...f.set(broken) },
          f.field,
          `${f.platform} ${f.field} ${JSON.stringify(broken)}`,
        );
      },
    ),
    fcParams(300),
  );
});

Deno.test("source: not a config field (refused), and the integrator's source option never puts a raw control character into a body", () => {
  assertRefused(
    {
      platform: "splunk",
      endpoint: "https://siem.example.com",
      source: "harombe",
    } as unknown as SIEMConfigInput,
    "",
    "source in a config",
  );
  for (const platform of PLATFORMS) {
    const exporter = createExporter({
      platform,
      endpoint: "https://siem.example.com",
    });
    const siem = toSIEMEvent(parseAuditEvent(event({ actor: "a\r\nb" })), {
      source: "src\r\nX-Injected: yes\u0000\u2028",
    });
    const body = exporter.formatBatch([siem]);
    const lines = platform === "elasticsearch" ? body.slice(0, -1) : body;
    const raw = [...lines].some((c) => c < " " && c !== "\n") ||
      (platform === "elasticsearch"
        ? lines.split("\n").length !== 2
        : lines.includes("\n"));
    assert.ok(!raw, `${platform}: a raw control character in ${body}`);
  }
});

// Defect probe: a token with a character above U+00FF is accepted, but it
// can never be sent: fetch refuses the header ("not a valid ByteString"),
// so every request fails as a network error and is retried for ever.
Deno.test("a token that cannot be a header value is refused by parseSIEMConfig", () => {
  for (const platform of PLATFORMS) {
    for (
      const token of [
        "tok\u20acn-0123456789",
        "key-\u2713",
        "\u6771\u4eac-token",
      ]
    ) {
      assertRefused(
        { platform, endpoint: "https://siem.example.com", token },
        "token",
        `${platform} token ${JSON.stringify(token)}`,
      );
    }
  }
});

// ---------------------------------------------------------------------------
// The Elasticsearch index in the bulk URL

const PATH_TRICKS = [
  "../x",
  "..",
  ".",
  "a/b",
  "a/../b",
  "a\\b",
  "..\\x",
  "/abs",
  "x?y=1",
  "x#frag",
  "a b",
  "*",
];

Deno.test("Elasticsearch index path tricks (../x, a/b, ., .., backslashes, ? and #) are refused", () => {
  for (const index of PATH_TRICKS) {
    assertRefused(
      { platform: "elasticsearch", endpoint: "https://es.example.com", index },
      "index",
      `index ${JSON.stringify(index)}`,
    );
  }
});

// Defect probe (hardening): "%2e%2e" is accepted as an index. It is sent as
// %252e%252e, so a server that decodes once sees the literal name; an
// intermediary that decodes twice sees "..".
Deno.test("Elasticsearch index %2e%2e (an encoded dot-segment) is refused", () => {
  for (
    const index of ["%2e%2e", "%2E%2E", ".%2e", "%2e", "a%2fb", "%2e%2e%2fx"]
  ) {
    assertRefused(
      { platform: "elasticsearch", endpoint: "https://es.example.com", index },
      "index",
      `index ${JSON.stringify(index)}`,
    );
  }
});

const indexCharacter = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(..."abcxyz019-_.+%") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      ...'ABZ/\\*?"<>| ,#:',
      "\u00e9",
      "\u00c9",
      "\u00df",
      "\u03c3",
      "\u03a3",
      "\u01c5",
      "\u2028",
      "\u00a0",
      "\ud800",
      "\udc00",
      "\ud83d\ude00",
      "\u0000",
      "\n",
    ),
  },
  {
    weight: 1,
    arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  },
);
const indexCandidate = fc.string({
  unit: indexCharacter,
  minLength: 1,
  maxLength: 12,
});

function acceptedEsIndex(index: string): boolean {
  return configError({
    platform: "elasticsearch",
    endpoint: "https://es.example.com",
    index,
  }) === undefined;
}

// Defect probe: an index with a lone surrogate is accepted, and the bulk URL
// then throws URIError (encodeURIComponent), so every request fails.
Deno.test("property: every Elasticsearch index parseSIEMConfig accepts is one path segment of the bulk URL that decodes to it", () => {
  fc.assert(
    fc.property(indexCandidate, (index) => {
      fc.pre(acceptedEsIndex(index));
      const exporter = createExporter({
        platform: "elasticsearch",
        endpoint: "https://es.example.com:9200/base",
        index,
      });
      let url: URL;
      try {
        url = new URL(exporter.url);
      } catch (error) {
        assert.fail(
          `index ${JSON.stringify(index)}: no bulk URL: ${String(error)}`,
        );
      }
      const segments = url.pathname.split("/");
      assert.equal(segments.length, 4, `${url.pathname}`);
      assert.equal(segments[1], "base");
      assert.equal(segments[3], "_bulk");
      assert.equal(decodeURIComponent(segments[2] as string), index);
      assert.equal(url.host, "es.example.com:9200");
    }),
    fcParams(400),
  );
});

// Defect probe: the index rule forbids A-Z only, so an uppercase letter
// outside ASCII ("É") is accepted, and Elasticsearch refuses the index
// ("must be lowercase"): every batch then fails with 400 and is split until
// each event is dead-lettered.
Deno.test("property: every Elasticsearch index parseSIEMConfig accepts is one Elasticsearch takes", () => {
  fc.assert(
    fc.property(indexCandidate, (index) => {
      fc.pre(acceptedEsIndex(index));
      const refused = checkIndexName(index);
      assert.equal(
        refused,
        undefined,
        `index ${
          JSON.stringify(index)
        } accepted by parseSIEMConfig, refused by Elasticsearch: ${refused?.reason}`,
      );
    }),
    fcParams(400),
  );
});

Deno.test("Elasticsearch: an index with %, + and non-ASCII is sent encoded and stored under its exact name", async () => {
  await using es = startFakeElasticsearch({ apiKey: TOKEN });
  for (const index of ["a%2fb", "a+b", "caf\u00e9-idx", "x.y", "a%25b"]) {
    if (!acceptedEsIndex(index)) continue;
    const exporter = createExporter({
      platform: "elasticsearch",
      endpoint: es.url,
      token: TOKEN,
      index,
    });
    const siem = toSIEMEvent(parseAuditEvent(event({ event_id: index })));
    const { verdict } = await exporter.send([siem]);
    assert.deepEqual(verdict, { kind: "delivered" }, index);
    const request = es.requests.at(-1);
    assert.equal(request?.path, `/${encodeURIComponent(index)}/_bulk`);
    assert.ok(
      es.documents.some((d) => d.index === index && d.id === index),
      `${index}: stored under ${JSON.stringify(es.documents.at(-1)?.index)}`,
    );
  }
});

// ---------------------------------------------------------------------------
// Plain http with a token

const remoteHost = fc.oneof(
  fc.constantFrom(
    "example.com",
    "siem.internal",
    "10.0.0.5",
    "192.168.1.10",
    "0.0.0.0",
    "128.0.0.1",
    "126.255.255.255",
    "[::2]",
    "[fe80::1]",
    "127.0.0.1.nip.io",
    "localhost.example.com",
    "localhostx",
    "xlocalhost",
  ),
  fc.domain().filter((host) => !/^localhost$/i.test(host)),
  fc.ipV4().filter((ip) => !ip.startsWith("127.")),
);
const loopbackHost = fc.oneof(
  fc.constantFrom("localhost", "LOCALHOST", "127.0.0.1", "[::1]", "127.1"),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)).map(([a, b, c]) =>
    `127.${a}.${b}.${c}`
  ),
);

Deno.test("property: a token over plain http to a host that is not loopback is refused unless allowInsecureHttp", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...PLATFORMS),
      remoteHost,
      loopbackHost,
      fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
      fc.string({
        unit: fc.constantFrom(..."abcXYZ0123-_.~+/="),
        minLength: 1,
        maxLength: 30,
      }),
      (platform, remote, loopback, port, token) => {
        const at = (host: string, scheme = "http"): string =>
          `${scheme}://${host}${port === undefined ? "" : `:${port}`}`;
        const config = (endpoint: string): SIEMConfigInput => ({
          platform,
          endpoint,
          token,
        });
        assertRefused(config(at(remote)), "endpoint", `http://${remote}`);
        for (
          const [label, input] of [
            ["allowInsecureHttp", {
              ...config(at(remote)),
              allowInsecureHttp: true,
            }],
            ["https", config(at(remote, "https"))],
            ["no token", { ...config(at(remote)), token: "" }],
            ["loopback", config(at(loopback))],
          ] as const
        ) {
          const error = configError(input);
          assert.equal(
            error,
            undefined,
            `${label} ${input.endpoint}: ${error?.message}`,
          );
        }
      },
    ),
    fcParams(300),
  );
});

// ---------------------------------------------------------------------------
// Redirects

for (const platform of PLATFORMS) {
  Deno.test(`${platform}: a redirect is not followed with the credential; the verdict is retry, naming the redirect`, async () => {
    await using target = startEchoReceiver(() =>
      json(200, { text: "Success", code: 0 })
    );
    for (const status of [301, 302, 303, 307, 308]) {
      await using redirector = startEchoReceiver(() =>
        new Response(null, {
          status,
          headers: { location: `${target.url}/collect?from=${status}` },
        })
      );
      const config: SIEMConfigInput = {
        platform,
        endpoint: redirector.url,
        token: TOKEN,
        maxRetries: 0,
        retryDelayMs: 10,
        maxRetryDelayMs: 10,
      };
      const outcome = await createExporter(config).send([
        toSIEMEvent(parseAuditEvent(event())),
      ]);
      assert.equal(redirector.requests.length, 1, `${status}: not sent`);
      const sent = redirector.requests[0]!;
      assert.ok(
        (sent.authorization ?? sent.ddApiKey ?? "").includes(TOKEN),
        `${status}: the first request had no credential`,
      );
      assert.equal(outcome.status, status);
      assert.equal(outcome.verdict.kind, "retry", `${status}`);
      assert.match(
        (outcome.verdict as { reason: string }).reason,
        new RegExp(`redirect.*${status}`, "i"),
      );

      // Through the integrator too: kept, retried later, reason in stats.
      const logger = new MemoryLogger();
      const integrator = new SIEMIntegrator([config], {
        autoFlush: false,
        logger,
      });
      const [result] = await integrator.exportEvents([event()]);
      await integrator.stop({ timeoutMs: 200 });
      assert.equal(result?.eventsSent, 0);
      assert.equal(result?.eventsFailed, 0);
      assert.match(result?.error ?? "", /redirect/i);
    }
    assert.deepEqual(
      target.requests.map((r) => r.path),
      [],
      "the redirect target received a request",
    );
  });
}

// ---------------------------------------------------------------------------
// Metadata nesting

function nested(levels: number, arrays = false): Record<string, unknown> {
  let value: unknown = "bottom";
  for (let level = levels; level >= 2; level--) {
    value = arrays && level % 2 === 0 ? [value] : { k: value };
  }
  return { k: value };
}

Deno.test("metadata nesting: MAX_METADATA_DEPTH levels are accepted, one more is refused with InvalidAuditEventError", () => {
  for (const arrays of [false, true]) {
    const deepest = parseAuditEvent(
      event({ metadata: nested(MAX_METADATA_DEPTH, arrays) }),
    );
    assert.equal(JSON.stringify(deepest.metadata).split("bottom").length, 2);
    for (
      const levels of [MAX_METADATA_DEPTH + 1, MAX_METADATA_DEPTH + 2, 100_000]
    ) {
      let thrown: unknown;
      try {
        parseAuditEvent(event({ metadata: nested(levels, arrays) }));
      } catch (error) {
        thrown = error;
      }
      assert.ok(
        thrown instanceof InvalidAuditEventError,
        `${levels} levels: ${String(thrown)}`,
      );
      assert.match(thrown.issues[0]?.path ?? "", /^metadata(\.|$)/);
      assert.match(thrown.message, /deeper than 64 levels/);
    }
  }
  // A cycle is refused, not followed for ever.
  const cyclic: Record<string, unknown> = {};
  cyclic.self = { back: cyclic };
  assert.throws(
    () => parseAuditEvent(event({ metadata: cyclic })),
    InvalidAuditEventError,
  );
});

// ---------------------------------------------------------------------------
// Ingest limits

const LIMIT = 2048;
const MAX_EVENTS = 5;

function ingest(
  tokens: string[] = [INGEST_TOKEN],
): { app: IngestApp; integrator: SIEMIntegrator } {
  const integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: "http://127.0.0.1:1",
  }], { autoFlush: false, logger: new MemoryLogger() });
  const app = createIngestApp({
    integrator,
    tokens,
    maxBodyBytes: LIMIT,
    maxEventsPerRequest: MAX_EVENTS,
    logger: new MemoryLogger(),
  });
  return { app, integrator };
}

async function post(
  app: IngestApp,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; code: string | undefined; text: string }> {
  const response = await app.request("/events", {
    method: "POST",
    body: typeof body === "string"
      ? new TextEncoder().encode(body)
      : body as Uint8Array<ArrayBuffer>,
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${INGEST_TOKEN}`,
      ...headers,
    },
  });
  const text = await response.text();
  let code: string | undefined;
  try {
    code = JSON.parse(text)?.error?.code;
  } catch {
    code = undefined;
  }
  return { status: response.status, code, text };
}

/** One event as JSON, padded with spaces to exactly `bytes` bytes. */
function exactly(bytes: number, text = JSON.stringify(event())): string {
  assert.ok(text.length <= bytes);
  return text + " ".repeat(bytes - new TextEncoder().encode(text).length);
}

async function gzip(text: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("ingest: a body of exactly maxBodyBytes is accepted, one byte more is refused with 413", async () => {
  const { app, integrator } = ingest();
  assert.equal((await post(app, exactly(LIMIT))).status, 202);
  const over = await post(app, exactly(LIMIT + 1));
  assert.deepEqual([over.status, over.code], [413, "payload_too_large"]);
  const declared = await post(app, exactly(100), {
    "Content-Length": String(LIMIT + 1),
  });
  assert.deepEqual([declared.status, declared.code], [
    413,
    "payload_too_large",
  ]);
  assert.equal(integrator.getStats().eventsAccepted, 1);
});

Deno.test("ingest: a gzip body that decompresses to exactly maxBodyBytes is accepted, one byte more (or a bomb) is refused with 413", async () => {
  const { app, integrator } = ingest();
  const atLimit = await gzip(exactly(LIMIT));
  assert.ok(atLimit.length < LIMIT);
  const fine = await post(app, atLimit, { "Content-Encoding": "gzip" });
  assert.equal(fine.status, 202, fine.text);
  const over = await gzip(exactly(LIMIT + 1));
  assert.ok(over.length < LIMIT, "the compressed body is under the limit");
  const refused = await post(app, over, { "Content-Encoding": "gzip" });
  assert.deepEqual([refused.status, refused.code], [413, "payload_too_large"]);
  assert.match(refused.text, /decompressed/);
  const bomb = await gzip(" ".repeat(1_500_000));
  assert.ok(bomb.length < LIMIT, "the bomb is under the limit compressed");
  const exploded = await post(app, bomb, { "Content-Encoding": "gzip" });
  assert.equal(exploded.status, 413);
  assert.equal(integrator.getStats().eventsAccepted, 1);
});

Deno.test("ingest: maxEventsPerRequest events are accepted, one more is refused with 413 too_many_events (JSON array and NDJSON)", async () => {
  const { app, integrator } = ingest();
  const list = (n: number): string[] =>
    Array.from(
      { length: n },
      (_, i) => JSON.stringify(event({ actor: `a${i}` })),
    );
  assert.equal(
    (await post(app, `[${list(MAX_EVENTS).join(",")}]`)).status,
    202,
  );
  const array = await post(app, `[${list(MAX_EVENTS + 1).join(",")}]`);
  assert.deepEqual([array.status, array.code], [413, "too_many_events"]);
  const ndjson = { "Content-Type": "application/x-ndjson" };
  assert.equal(
    (await post(app, list(MAX_EVENTS).join("\n") + "\n\n", ndjson)).status,
    202,
  );
  const lines = await post(app, list(MAX_EVENTS + 1).join("\n"), ndjson);
  assert.deepEqual([lines.status, lines.code], [413, "too_many_events"]);
  assert.equal(integrator.getStats().eventsAccepted, 2 * MAX_EVENTS);
});

Deno.test("ingest: metadata MAX_METADATA_DEPTH levels deep is accepted, one more is refused with 400 invalid_events", async () => {
  const { app, integrator } = ingest();
  const fine = await post(
    app,
    JSON.stringify(event({ metadata: nested(MAX_METADATA_DEPTH, true) })),
  );
  assert.equal(fine.status, 202, fine.text);
  const deep = await post(
    app,
    JSON.stringify(event({ metadata: nested(MAX_METADATA_DEPTH + 1, true) })),
  );
  assert.deepEqual([deep.status, deep.code], [400, "invalid_events"]);
  assert.equal(integrator.getStats().eventsAccepted, 1);
});

// ---------------------------------------------------------------------------
// Bearer tokens

Deno.test("ingest bearer tokens: rotation works, and a prefix, an extension or another case of a valid token is refused", async () => {
  const both = ingest([INGEST_TOKEN, ROTATED_TOKEN]).app;
  const body = JSON.stringify(event());
  for (const token of [INGEST_TOKEN, ROTATED_TOKEN]) {
    const ok = await post(both, body, { Authorization: `Bearer ${token}` });
    assert.equal(ok.status, 202, token);
  }
  // After rotation only the new token is accepted.
  const rotated = ingest([ROTATED_TOKEN]).app;
  const old = await post(rotated, body);
  assert.deepEqual([old.status, old.code], [403, "forbidden"]);
  assert.equal(
    (await post(rotated, body, { Authorization: `Bearer ${ROTATED_TOKEN}` }))
      .status,
    202,
  );
  const refused: [string, number][] = [
    [`Bearer ${INGEST_TOKEN.slice(0, -1)}`, 403],
    [`Bearer ${INGEST_TOKEN.slice(0, 16)}`, 403],
    [`Bearer ${INGEST_TOKEN}0`, 403],
    [`Bearer ${INGEST_TOKEN}${ROTATED_TOKEN}`, 403],
    [`Bearer ${INGEST_TOKEN.toUpperCase()}`, 403],
    [`Bearer ${ROTATED_TOKEN}`, 403],
    ["Bearer ", 401],
    [`Token ${INGEST_TOKEN}`, 401],
    [INGEST_TOKEN, 401],
  ];
  const single = ingest([INGEST_TOKEN]).app;
  for (const [authorization, status] of refused) {
    const answer = await post(single, body, { Authorization: authorization });
    assert.equal(answer.status, status, authorization);
  }
});

Deno.test("property: matchesAnyToken() is true exactly for one of the tokens, whichever position it has", async () => {
  const tokenChar = fc.constantFrom(..."abcAB019-._~+/=");
  const token = fc.string({ unit: tokenChar, minLength: 16, maxLength: 40 });
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(token, { minLength: 1, maxLength: 5 }),
      fc.nat(),
      fc.oneof(
        fc.constant("exact" as const),
        fc.constant("prefix" as const),
        fc.constant("extended" as const),
        fc.constant("changed" as const),
        fc.constant("other" as const),
      ),
      token,
      fc.nat(),
      async (tokens, pick, kind, other, at) => {
        const chosen = tokens[pick % tokens.length] as string;
        const where = at % chosen.length;
        const candidate = kind === "exact"
          ? chosen
          : kind === "prefix"
          ? chosen.slice(0, where)
          : kind === "extended"
          ? chosen + chosen[where]
          : kind === "changed"
          ? chosen.slice(0, where) +
            (chosen[where] === "a" ? "b" : "a") + chosen.slice(where + 1)
          : other;
        assert.equal(
          await matchesAnyToken(candidate, tokens),
          tokens.includes(candidate),
          `${kind} ${JSON.stringify(candidate)} of ${JSON.stringify(tokens)}`,
        );
      },
    ),
    fcParams(300),
  );
});
