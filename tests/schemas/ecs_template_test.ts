/**
 * The ECS index template: its mappings give each field an ECS document
 * carries the type ECS declares (per the `@elastic/ecs` package), and the
 * strict fake Elasticsearch with it installed refuses a document whose
 * field types disagree.
 */
import assert from "node:assert/strict";
import {
  indexTemplate,
  installIndexTemplate,
} from "../../src/platforms/index_template.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import { toECS } from "../../src/schemas/ecs.ts";
import { startFakeElasticsearch } from "../fakes/fake_elasticsearch.ts";
import { CUSTOM_PREFIX, ecsMultiFieldType, ecsType } from "./_ecs_check.ts";
import { eventTable } from "./_events.ts";

type Mapping = { type?: string; properties?: Record<string, Mapping> };

// path → type of every leaf of a template's properties.
function templateLeaves(
  properties: Record<string, Mapping>,
  prefix = "",
): Map<string, string> {
  const leaves = new Map<string, string>();
  for (const [key, mapping] of Object.entries(properties)) {
    const path = `${prefix}${key}`;
    if (mapping.properties) {
      for (const [p, t] of templateLeaves(mapping.properties, `${path}.`)) {
        leaves.set(p, t);
      }
    } else leaves.set(path, mapping.type ?? "object");
  }
  return leaves;
}

function documentLeaves(
  value: unknown,
  prefix = "",
  out: string[] = [],
): string[] {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (`${prefix}${key}` === `${CUSTOM_PREFIX}metadata`) {
        out.push(`${prefix}${key}`);
        continue;
      }
      documentLeaves(child, `${prefix}${key}.`, out);
    }
  } else out.push(prefix.slice(0, -1));
  return out;
}

const ecsTemplate = indexTemplate({
  index: "logs-audit-default",
  schema: "ecs",
});
const leaves = templateLeaves(
  ecsTemplate.template.mappings.properties as Record<string, Mapping>,
);

Deno.test("ECS template: every field an ECS document carries is mapped, with its ECS type", () => {
  const emitted = new Set<string>();
  for (const { event } of eventTable()) {
    for (const path of documentLeaves(toECS(event))) emitted.add(path);
  }
  emitted.add(`${CUSTOM_PREFIX}original_timestamp`);
  emitted.add(`${CUSTOM_PREFIX}duration_ms`);
  for (const path of emitted) {
    const type = leaves.get(path);
    assert.ok(type !== undefined, `${path} is not mapped`);
    if (!path.startsWith(CUSTOM_PREFIX)) {
      assert.equal(type, ecsType(path), path);
    }
  }
  assert.equal(leaves.get(`${CUSTOM_PREFIX}metadata`), "flattened");
});

Deno.test("ECS template: every field it maps is an ECS field of that type (or the custom set)", () => {
  for (const [path, type] of leaves) {
    if (path.startsWith(CUSTOM_PREFIX)) continue;
    assert.equal(type, ecsType(path), path);
  }
  const userName = (ecsTemplate.template.mappings.properties.user as {
    properties: { name: { fields: { text: { type: string } } } };
  }).properties.name;
  assert.equal(
    userName.fields.text.type,
    ecsMultiFieldType("user.name", "text"),
  );
});

Deno.test("ECS template: OpenSearch gets text for match_only_text and flat_object for metadata", () => {
  const open = templateLeaves(
    indexTemplate({ index: "audit", schema: "ecs", engine: "opensearch" })
      .template.mappings.properties as Record<string, Mapping>,
  );
  assert.equal(open.get("error.message"), "text");
  assert.equal(open.get(`${CUSTOM_PREFIX}metadata`), "flat_object");
});

Deno.test("ECS template: the fake with it installed takes ECS documents and refuses a field type that disagrees", async () => {
  await using es = startFakeElasticsearch();
  const config = parseSIEMConfig({
    platform: "elasticsearch",
    endpoint: es.url,
    index: "logs-audit-default",
    schema: "ecs",
    indexTemplate: true,
  });
  const installed = await installIndexTemplate(config);
  assert.equal(installed.ok, true, installed.error ?? "");
  assert.deepEqual(
    es.templates.get(installed.name)?.body,
    JSON.parse(JSON.stringify(ecsTemplate)),
  );
  const event = eventTable()[0]!.event;
  const good = JSON.stringify(toECS(event));
  // deno-lint-ignore no-explicit-any
  const bad = (patch: (doc: any) => unknown): string => {
    const doc = structuredClone(toECS(event));
    patch(doc);
    return JSON.stringify(doc);
  };
  const body = [
    good,
    bad((d) => (d.event.duration = "12 ms")),
    bad((d) => (d.event = "request")),
    bad((d) => (d["@timestamp"] = "yesterday")),
    bad((d) => (d.user.name = { id: 7 })),
  ].map((doc, i) => `{"create":{"_id":"e${i}"}}\n${doc}\n`).join("");
  const response = await fetch(`${es.url}/logs-audit-default/_bulk`, {
    method: "POST",
    headers: { "Content-Type": "application/x-ndjson" },
    body,
  });
  const answer = await response.json();
  const statuses = answer.items.map((item: { create: { status: number } }) =>
    item.create.status
  );
  assert.deepEqual(statuses, [201, 400, 400, 400, 400]);
  const reasons = answer.items.slice(1).map((
    item: { create: { error: { reason: string } } },
  ) => item.create.error.reason);
  assert.match(
    reasons[0],
    /failed to parse field \[event\.duration\] of type \[long\]/,
  );
  assert.match(
    reasons[1],
    /object mapping for \[event\] tried to parse field \[event\] as object, but found a concrete value/,
  );
  assert.match(reasons[2], /@timestamp/);
  assert.match(
    reasons[3],
    /failed to parse field \[user\.name\] of type \[keyword\]/,
  );
  assert.equal(es.documents.length, 1);
});
