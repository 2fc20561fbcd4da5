/**
 * The schemas end to end: one integrator sending to a strict fake of each
 * platform, each destination in a schema of its own (Splunk CIM,
 * Elasticsearch ECS with the ECS template installed, Datadog standard
 * attributes, OpenSearch OCSF); each fake stores the mapped document. Once
 * through the integrator, once through `deno task start`'s entry with the
 * destinations in `SIEM_DESTINATIONS`.
 */
import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { installIndexTemplate } from "../../src/platforms/index_template.ts";
import {
  parseSIEMConfig,
  type SIEMConfigInput,
} from "../../src/platforms/siem_config.ts";
import { toCIM } from "../../src/schemas/cim.ts";
import { toDatadogAttributes } from "../../src/schemas/datadog_attributes.ts";
import { toECS } from "../../src/schemas/ecs.ts";
import { toOCSF } from "../../src/schemas/ocsf.ts";
import { type FakeDatadog, startFakeDatadog } from "../fakes/fake_datadog.ts";
import {
  type FakeElasticsearch,
  startFakeElasticsearch,
} from "../fakes/fake_elasticsearch.ts";
import {
  type FakeOpenSearch,
  startFakeOpenSearch,
} from "../fakes/fake_opensearch.ts";
import { type FakeSplunk, startFakeSplunk } from "../fakes/fake_splunk.ts";
import { waitFor } from "../support/fake_clock.ts";
import {
  postNdjson,
  startServerProcess,
} from "../runtime/deno/subprocess_server.ts";

const INPUT = {
  event_id: "evt-42",
  correlation_id: "req-42",
  session_id: "sess-7",
  timestamp: new Date().toISOString(),
  event_type: "security_decision",
  actor: "agent-7",
  tool_name: "shell",
  action: "deny_tool",
  metadata: { rule: "no-rm", depth: { n: 1 } },
  duration_ms: 3,
  status: "denied",
} as const;

const wire = (doc: unknown): unknown => JSON.parse(JSON.stringify(doc));

const TOKEN = "schemas-e2e-ingest-token-0123";

// Each fake holds INPUT once, in its destination's schema.
function assertStoredInSchemas(fakes: SchemaFakes): void {
  const { splunk, es, datadog, opensearch } = fakes;
  const event = toSIEMEvent(parseAuditEvent(INPUT));
  assert.deepEqual(splunk.events.map((e) => e.event), [wire(toCIM(event))]);
  assert.deepEqual(es.documents.map((d) => d.source), [wire(toECS(event))]);
  assert.deepEqual(
    datadog.logs.map(({ usr, evt, duration, audit }) => ({
      usr,
      evt,
      duration,
      audit,
    })),
    [wire(toDatadogAttributes(event))],
  );
  assert.deepEqual(opensearch.documents.map((d) => d.source), [
    wire({ "@timestamp": event.timestamp, ...toOCSF(event) }),
  ]);
}

interface SchemaFakes extends AsyncDisposable {
  splunk: FakeSplunk;
  es: FakeElasticsearch;
  datadog: FakeDatadog;
  opensearch: FakeOpenSearch;
}

function startSchemaFakes(): SchemaFakes {
  const splunk = startFakeSplunk({ token: "hec-token" });
  const es = startFakeElasticsearch({ apiKey: "es-key" });
  const datadog = startFakeDatadog({ apiKey: "dd-key" });
  const opensearch = startFakeOpenSearch();
  return {
    splunk,
    es,
    datadog,
    opensearch,
    async [Symbol.asyncDispose](): Promise<void> {
      await Promise.all(
        [splunk, es, datadog, opensearch].map((fake) => fake.close()),
      );
    },
  };
}

// One destination per fake, each in a schema of its own; Elasticsearch's
// ECS index template installed.
async function schemaDestinations(
  fakes: SchemaFakes,
): Promise<SIEMConfigInput[]> {
  const es = {
    platform: "elasticsearch",
    endpoint: fakes.es.url,
    token: "es-key",
    index: "logs-audit-default",
    schema: "ecs",
    indexTemplate: true,
  } as const;
  const template = await installIndexTemplate(parseSIEMConfig(es));
  assert.equal(template.ok, true, template.error ?? "");
  return [
    {
      platform: "splunk",
      endpoint: fakes.splunk.url,
      token: "hec-token",
      schema: "cim",
    },
    es,
    {
      platform: "datadog",
      endpoint: fakes.datadog.url,
      token: "dd-key",
      schema: "datadog",
    },
    { platform: "opensearch", endpoint: fakes.opensearch.url, schema: "ocsf" },
  ];
}

Deno.test("each platform's fake stores the event in the destination's schema, through the integrator", async () => {
  await using fakes = startSchemaFakes();
  const destinations = await schemaDestinations(fakes);
  const integrator = new SIEMIntegrator(destinations, { autoFlush: false });
  const results = await integrator.exportEvents([INPUT]);
  await integrator.stop({ timeoutMs: 2000 });
  assert.deepEqual(
    results.map((r) => r.success),
    [true, true, true, true],
    JSON.stringify(results),
  );
  assertStoredInSchemas(fakes);
});

Deno.test("each platform's fake stores the event in the destination's schema, through deno task start and its SIEM_DESTINATIONS", async () => {
  await using fakes = startSchemaFakes();
  const destinations = await schemaDestinations(fakes);
  const dataDir = await Deno.makeTempDir();
  try {
    // The server as operators run it: a subprocess, its destinations (and
    // their schemas) from SIEM_DESTINATIONS, events stored in the KV spool.
    const server = await startServerProcess({
      INGEST_TOKENS: TOKEN,
      DATA_DIR: dataDir,
      SIEM_DESTINATIONS: JSON.stringify(destinations),
    });
    assert.equal(await postNdjson(server.url, TOKEN, [INPUT]), 202);
    const { splunk, es, datadog, opensearch } = fakes;
    await waitFor(
      () =>
        splunk.events.length === 1 && es.documents.length === 1 &&
        datadog.logs.length === 1 && opensearch.documents.length === 1,
      20_000,
      "delivery to the four fakes",
    );
    assert.equal(await server.stop("SIGTERM"), 0);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
  assertStoredInSchemas(fakes);
});
