import assert from "node:assert/strict";
import {
  indexTemplate,
  installIndexTemplate,
} from "../../src/platforms/index_template.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import { startFakeElasticsearch } from "../fakes/fake_elasticsearch.ts";

Deno.test("indexTemplate() maps metadata as one flattened field and the event's fields explicitly", () => {
  const template = indexTemplate({ index: "logs-audit-default" });
  assert.deepEqual(template.index_patterns, ["logs-audit-default"]);
  assert.deepEqual(template.data_stream, {});
  assert.equal(template.priority, 200);
  const { mappings } = template.template;
  assert.equal(mappings.dynamic, false);
  assert.deepEqual(mappings.properties.metadata, {
    type: "flattened",
    depth_limit: 64,
    ignore_above: 8191,
  });
  assert.deepEqual(mappings.properties["@timestamp"], { type: "date" });
  assert.deepEqual(mappings.properties.duration_ms, { type: "long" });
  for (
    const field of [
      "event_id",
      "correlation_id",
      "session_id",
      "event_type",
      "actor",
      "tool_name",
      "action",
      "status",
      "source",
      "severity",
      // The ingest's stamp, searched and aggregated by exact name.
      "producer",
    ]
  ) {
    assert.equal(mappings.properties[field]?.type, "keyword", field);
  }
});

Deno.test("indexTemplate() maps the producer's stamp as a keyword in ECS too (labels.producer)", () => {
  for (const engine of ["elasticsearch", "opensearch"] as const) {
    const { properties } = indexTemplate({
      index: "logs-audit-default",
      schema: "ecs",
      engine,
    }).template.mappings;
    assert.equal(
      // deno-lint-ignore no-explicit-any -- a mapping read as JSON
      (properties.labels as any).properties.producer.type,
      "keyword",
      engine,
    );
  }
});

Deno.test("indexTemplate() uses flat_object for OpenSearch and can leave out the data stream", () => {
  const template = indexTemplate({
    index: "audit",
    engine: "opensearch",
    dataStream: false,
  });
  assert.deepEqual(template.template.mappings.properties.metadata, {
    type: "flat_object",
  });
  assert.equal("data_stream" in template, false);
});

Deno.test("installIndexTemplate() installs the template with the destination's credentials", async () => {
  await using es = startFakeElasticsearch({ apiKey: "tpl-key" });
  const config = parseSIEMConfig({
    platform: "elasticsearch",
    endpoint: es.url,
    token: "tpl-key",
    index: "logs-audit-default",
  });
  const result = await installIndexTemplate(config);
  assert.deepEqual(result, {
    name: "harombe-siem-logs-audit-default",
    ok: true,
    status: 200,
  });
  assert.deepEqual(
    es.templates.get("harombe-siem-logs-audit-default")?.body,
    JSON.parse(JSON.stringify(indexTemplate({ index: "logs-audit-default" }))),
  );
});

Deno.test("installIndexTemplate() reports the server's reason, never the token", async () => {
  await using es = startFakeElasticsearch({ apiKey: "right-key-0123456789" });
  const wrongKey = parseSIEMConfig({
    platform: "elasticsearch",
    endpoint: es.url,
    token: "wrong-key-0123456789",
  });
  const denied = await installIndexTemplate(wrongKey);
  assert.equal(denied.ok, false);
  assert.equal(denied.status, 401);
  assert.match(
    denied.error!,
    /HTTP 401: security_exception: unable to authenticate/,
  );
  assert.equal(denied.error!.includes("wrong-key"), false);

  // Elasticsearch does not know OpenSearch's flat_object.
  const config = parseSIEMConfig({
    platform: "elasticsearch",
    endpoint: es.url,
    token: "right-key-0123456789",
  });
  const refused = await installIndexTemplate(config, { engine: "opensearch" });
  assert.equal(refused.status, 400);
  assert.match(
    refused.error!,
    /mapper_parsing_exception: No handler for type \[flat_object\] declared on field \[metadata\]/,
  );
  assert.equal(es.templates.size, 0);
});
