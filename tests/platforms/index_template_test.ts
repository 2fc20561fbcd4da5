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

Deno.test("installIndexTemplate(): PUT /_index_template/harombe-siem-<index> with the destination's key, redirects not followed; an unreachable server is status 0 without the key", async () => {
  const token = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==";
  const config = parseSIEMConfig({
    platform: "elasticsearch",
    endpoint: "https://es.example.com:9200",
    token,
    index: "logs-audit-default",
    schema: "ecs",
  });
  const requests: Request[] = [];
  const ok: typeof fetch = (input, init) => {
    requests.push(new Request(input, init));
    return Promise.resolve(Response.json({ acknowledged: true }));
  };
  assert.deepEqual(await installIndexTemplate(config, { fetch: ok }), {
    name: "harombe-siem-logs-audit-default",
    ok: true,
    status: 200,
  });
  const [request] = requests;
  assert.equal(request!.method, "PUT");
  assert.equal(
    request!.url,
    "https://es.example.com:9200/_index_template/harombe-siem-logs-audit-default",
  );
  assert.equal(request!.redirect, "manual");
  assert.equal(request!.headers.get("authorization"), `ApiKey ${token}`);
  assert.equal(request!.headers.get("content-type"), "application/json");
  const sent = await request!.json();
  assert.deepEqual(sent.index_patterns, ["logs-audit-default"]);
  // ECS schema: the ECS template (labels.producer is a keyword there).
  assert.deepEqual(
    sent.template.mappings.properties.labels.properties.producer,
    { type: "keyword", ignore_above: 8191 },
  );

  const unreachable: typeof fetch = () =>
    Promise.reject(
      new TypeError(
        `error sending request for url (https://es.example.com:9200/?key=${token})`,
      ),
    );
  const failed = await installIndexTemplate(config, { fetch: unreachable });
  assert.equal(failed.ok, false);
  assert.equal(failed.status, 0);
  assert.match(
    failed.error ?? "",
    /^cannot reach https:\/\/es\.example\.com:9200: /,
  );
  assert.equal((failed.error ?? "").includes(token), false);
});

Deno.test("installIndexTemplate(): the deepest caused_by, a plain error string, or the start of a page", async () => {
  const config = parseSIEMConfig({
    platform: "elasticsearch",
    endpoint: "https://es.example.com:9200",
    index: "audit",
  });
  const answer = (status: number, body: string): typeof fetch => () =>
    Promise.resolve(new Response(body, { status }));
  const nested = await installIndexTemplate(config, {
    fetch: answer(
      400,
      JSON.stringify({
        error: {
          type: "illegal_argument_exception",
          reason: "top",
          caused_by: {
            type: "x_content_parse_exception",
            reason: "deep cause",
          },
        },
      }),
    ),
  });
  assert.deepEqual(nested, {
    name: "harombe-siem-audit",
    ok: false,
    status: 400,
    error: "HTTP 400: x_content_parse_exception: deep cause",
  });
  const plain = await installIndexTemplate(config, {
    fetch: answer(405, JSON.stringify({ error: "Incorrect HTTP method" })),
  });
  assert.equal(plain.error, "HTTP 405: Incorrect HTTP method");
  const page = await installIndexTemplate(config, {
    fetch: answer(502, `<html>${"x".repeat(400)}</html>`),
  });
  assert.equal(page.error, `HTTP 502: <html>${"x".repeat(294)}`);
});
