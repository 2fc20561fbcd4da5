/**
 * Attribution through the real ingest over HTTP: two named producers post
 * to one ingest, one of them with an event whose own metadata claims the
 * other's name; every platform's strict fake receives each event stamped
 * with the producer of the token it came with, and the claimed name only
 * in the event's own content. Bare tokens (the implicit producer
 * `default`) leave the events unstamped, as they were before attribution.
 */
import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { createIngestApp } from "../../src/ingest/app.ts";
import type { ProducerToken } from "../../src/ingest/producer_tokens.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { type FakeDatadog, startFakeDatadog } from "../fakes/fake_datadog.ts";
import {
  type FakeElasticsearch,
  startFakeElasticsearch,
} from "../fakes/fake_elasticsearch.ts";
import {
  type FakeHttpReceiver,
  startFakeHttpReceiver,
} from "../fakes/fake_http_receiver.ts";
import {
  type FakeOpenSearch,
  startFakeOpenSearch,
} from "../fakes/fake_opensearch.ts";
import { type FakeSplunk, startFakeSplunk } from "../fakes/fake_splunk.ts";
import type { FakeSentinel } from "../fakes/fake_sentinel.ts";
import { MemoryLogger } from "../support/receivers.ts";
import { startSentinelFakes } from "../support/sentinel.ts";
import { serveIngest } from "../support/serve_ingest.ts";

const BILLING = "billing-token-0123456789abcdef";
const AUTH = "auth-service-token-0123456789";
const TOKENS: ProducerToken[] = [
  { name: "billing", token: BILLING },
  { name: "auth", token: AUTH },
];

const HONEST = {
  event_id: "evt-honest",
  correlation_id: "c-1",
  event_type: "request",
  actor: "billing-svc",
  action: "charge",
  status: "success",
  timestamp: new Date().toISOString(),
  metadata: { amount: 3 },
};
// Sent with auth's token, claiming to be billing's in its own fields.
const FORGED = {
  event_id: "evt-forged",
  correlation_id: "c-2",
  event_type: "request",
  actor: "billing-svc",
  action: "refund",
  status: "success",
  timestamp: new Date().toISOString(),
  metadata: { producer: "billing", amount: 1000 },
};

type Doc = Record<string, unknown>;
// deno-lint-ignore no-explicit-any -- documents read as the fakes stored them
type Any = any;

/** The six platforms' fakes and one config for each. */
interface Platforms extends AsyncDisposable {
  splunk: FakeSplunk;
  es: FakeElasticsearch;
  opensearch: FakeOpenSearch;
  datadog: FakeDatadog;
  sentinel: FakeSentinel;
  http: FakeHttpReceiver;
  configs: SIEMConfigInput[];
}

/** Starts the six platforms' fakes, with one config each in the given schemas. */
function startPlatforms(schemas: {
  splunk: string;
  elasticsearch: string;
  opensearch: string;
  datadog: string;
  http: string;
}): Platforms {
  const splunk = startFakeSplunk({ token: "hec-token" });
  const es = startFakeElasticsearch({ apiKey: "es-key" });
  const opensearch = startFakeOpenSearch();
  const datadog = startFakeDatadog({ apiKey: "dd-key" });
  const sentinel = startSentinelFakes();
  const http = startFakeHttpReceiver();
  const configs = [
    {
      platform: "splunk",
      endpoint: splunk.url,
      token: "hec-token",
      schema: schemas.splunk,
    },
    {
      platform: "elasticsearch",
      endpoint: es.url,
      token: "es-key",
      schema: schemas.elasticsearch,
    },
    {
      platform: "opensearch",
      endpoint: opensearch.url,
      schema: schemas.opensearch,
    },
    {
      platform: "datadog",
      endpoint: datadog.url,
      token: "dd-key",
      schema: schemas.datadog,
    },
    sentinel.config(),
    { platform: "http", endpoint: http.endpoint, schema: schemas.http },
  ] as SIEMConfigInput[];
  return {
    splunk,
    es,
    opensearch,
    datadog,
    sentinel: sentinel.sentinel,
    http,
    configs,
    async [Symbol.asyncDispose](): Promise<void> {
      await Promise.all([
        splunk.close(),
        es.close(),
        opensearch.close(),
        datadog.close(),
        sentinel[Symbol.asyncDispose](),
        http.close(),
      ]);
    },
  };
}

/** Posts HONEST with billing's token and FORGED with auth's, and delivers. */
async function postBoth(
  configs: SIEMConfigInput[],
  tokens: (string | ProducerToken)[],
  tokenOf: { honest: string; forged: string },
): Promise<void> {
  const integrator = new SIEMIntegrator(configs, {
    autoFlush: false,
    logger: new MemoryLogger(),
  });
  const app = createIngestApp({ integrator, tokens });
  {
    await using served = serveIngest(app);
    assert.equal((await served.post(tokenOf.honest, [HONEST])).status, 202);
    assert.equal((await served.post(tokenOf.forged, [FORGED])).status, 202);
  }
  const results = await integrator.flushAll();
  await integrator.stop({ timeoutMs: 2000 });
  const stats = integrator.getStats();
  for (const [name, destination] of Object.entries(stats.perDestination)) {
    assert.equal(
      destination.eventsExported,
      2,
      `${name}: ${JSON.stringify(results)}`,
    );
  }
}

// By event id: the stamp each platform carries, read from where it puts it.
function stamps(
  docs: Doc[],
  id: (doc: Any) => string,
  stamp: (doc: Any) => unknown,
): Record<string, unknown> {
  return Object.fromEntries(docs.map((doc) => [id(doc), stamp(doc)]));
}

const EXPECTED = { "evt-honest": "billing", "evt-forged": "auth" };

Deno.test("attribution: every platform gets each event stamped with its token's producer; a claim in metadata stays content (native)", async () => {
  await using p = startPlatforms({
    splunk: "native",
    elasticsearch: "native",
    opensearch: "native",
    datadog: "native",
    http: "native",
  });
  await postBoth(p.configs, TOKENS, { honest: BILLING, forged: AUTH });

  // Splunk: the indexed field of the envelope, and the event's own field.
  assert.deepEqual(
    stamps(p.splunk.events, (e) => e.event.event_id, (e) => e.fields),
    {
      "evt-honest": { producer: "billing" },
      "evt-forged": { producer: "auth" },
    },
  );
  assert.deepEqual(
    stamps(p.splunk.events, (e) => e.event.event_id, (e) => e.event.producer),
    EXPECTED,
  );
  // Elasticsearch and OpenSearch: a top-level document field.
  for (const store of [p.es, p.opensearch]) {
    assert.deepEqual(
      stamps(
        store.documents as Any,
        (d) => d.source.event_id,
        (d) => d.source.producer,
      ),
      EXPECTED,
    );
  }
  // Datadog: a top-level attribute beside `audit`, and a tag.
  assert.deepEqual(
    stamps(p.datadog.logs, (l) => l.audit.event_id, (l) => l.producer),
    EXPECTED,
  );
  assert.deepEqual(
    stamps(
      p.datadog.logs,
      (l) => l.audit.event_id,
      (l) =>
        l.ddtags.split(",").filter((t: string) => t.startsWith("producer:")),
    ),
    { "evt-honest": ["producer:billing"], "evt-forged": ["producer:auth"] },
  );
  // Sentinel: a declared column.
  assert.deepEqual(
    stamps(p.sentinel.rows, (r) => r.event_id, (r) => r.producer),
    EXPECTED,
  );
  // The generic HTTP receiver: a top-level field of the event.
  assert.deepEqual(
    stamps(p.http.events, (e) => e.event_id, (e) => e.producer),
    EXPECTED,
  );
  // The forged claim is kept, as content, where the event put it.
  const forgedMetadata = [
    p.splunk.events.find((e: Any) => e.event.event_id === "evt-forged")
      ?.event,
    (p.es.documents as Any).find((d: Any) => d.id === "evt-forged")?.source,
    p.datadog.logs.find((l: Any) => l.audit.event_id === "evt-forged")
      ?.audit,
    p.sentinel.rows.find((r) => r.event_id === "evt-forged"),
    p.http.events.find((e) => e.event_id === "evt-forged"),
  ].map((doc: Any) => doc?.metadata);
  for (const metadata of forgedMetadata) {
    assert.deepEqual(metadata, { producer: "billing", amount: 1000 });
  }
});

Deno.test("attribution: each schema carries the stamp in its own place (CIM, ECS, OCSF, Datadog attributes)", async () => {
  await using p = startPlatforms({
    splunk: "cim",
    elasticsearch: "ecs",
    opensearch: "ocsf",
    datadog: "datadog",
    // The fake receiver takes events with event_id and timestamp only.
    http: "native",
  });
  await postBoth(p.configs, TOKENS, { honest: BILLING, forged: AUTH });
  assert.deepEqual(
    stamps(p.splunk.events, (e) => e.event.event_id, (e) => e.fields.producer),
    EXPECTED,
  );
  assert.deepEqual(
    stamps(p.splunk.events, (e) => e.event.event_id, (e) => e.event.producer),
    EXPECTED,
  );
  assert.deepEqual(
    stamps(
      p.es.documents as Any,
      (d) => d.source.event.id,
      (d) => d.source.labels.producer,
    ),
    EXPECTED,
  );
  assert.deepEqual(
    stamps(
      p.opensearch.documents as Any,
      (d) => d.source.metadata.uid,
      (d) => d.source.src_endpoint.svc_name,
    ),
    EXPECTED,
  );
  assert.deepEqual(
    stamps(p.datadog.logs, (l) => l.audit.event_id, (l) => l.producer),
    EXPECTED,
  );
  // The claim stays in the event's own metadata.
  const forged = (p.es.documents as Any).find((d: Any) =>
    d.source.event.id === "evt-forged"
  );
  assert.deepEqual(forged.source.harombe.metadata, {
    producer: "billing",
    amount: 1000,
  });
});

Deno.test("attribution: bare tokens (the producer `default`) leave every platform's events unstamped", async () => {
  await using p = startPlatforms({
    splunk: "native",
    elasticsearch: "native",
    opensearch: "native",
    datadog: "native",
    http: "native",
  });
  await postBoth(p.configs, [BILLING], { honest: BILLING, forged: BILLING });
  for (const envelope of p.splunk.events) {
    assert.deepEqual(Object.keys(envelope), [
      "time",
      "source",
      "sourcetype",
      "index",
      "event",
    ]);
    assert.equal(Object.hasOwn(envelope.event as Doc, "producer"), false);
  }
  for (const log of p.datadog.logs) {
    assert.equal(Object.hasOwn(log, "producer"), false);
    assert.doesNotMatch(String(log.ddtags), /producer:/);
  }
  const docs = [
    ...p.es.documents.map((d) => d.source as Doc),
    ...p.opensearch.documents.map((d) => d.source as Doc),
    ...p.sentinel.rows,
    ...p.http.events,
  ];
  assert.equal(docs.length, 8);
  for (const doc of docs) assert.equal(Object.hasOwn(doc, "producer"), false);
});

Deno.test("attribution: an event cannot set `producer` itself: a top-level `producer` is refused as unknown", async () => {
  const integrator = new SIEMIntegrator([
    { platform: "http", endpoint: "http://127.0.0.1:9/ingest" },
  ], { autoFlush: false, logger: new MemoryLogger() });
  const app = createIngestApp({ integrator, tokens: TOKENS });
  await using served = serveIngest(app);
  const answer = await served.post(AUTH, [{ ...HONEST, producer: "billing" }]);
  assert.equal(answer.status, 400);
  assert.match(await answer.text(), /producer/);
  assert.equal(integrator.getStats().perDestination.http?.buffered ?? 0, 0);
  await integrator.stop({ timeoutMs: 100 });
});
