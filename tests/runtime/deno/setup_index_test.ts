import assert from "node:assert/strict";
import { indexTemplate } from "../../../src/platforms/index_template.ts";
import { startFakeElasticsearch } from "../../fakes/fake_elasticsearch.ts";
import { startFakeOpenSearch } from "../../fakes/fake_opensearch.ts";

const CLI = new URL(
  "../../../src/runtime/deno/setup_index.ts",
  import.meta.url,
);
const CONFIG = new URL("../../../deno.json", import.meta.url);

async function cli(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      CONFIG.pathname,
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      CLI.pathname,
      ...args,
    ],
    env,
    clearEnv: true,
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, out: decode(stdout) + decode(stderr) };
}

Deno.test("deno task setup-index installs the template on each Elasticsearch destination", async () => {
  await using es = startFakeElasticsearch({ apiKey: "setup-key" });
  const env = {
    SIEM_DESTINATIONS: JSON.stringify([
      {
        platform: "elasticsearch",
        endpoint: es.url,
        token: "setup-key",
        index: "logs-audit-default",
      },
      {
        platform: "elasticsearch",
        name: "archive",
        endpoint: es.url,
        token: "setup-key",
        index: "audit-archive",
      },
      { platform: "splunk", endpoint: "http://127.0.0.1:9", token: "t" },
    ]),
  };
  const done = await cli(env);
  assert.equal(done.code, 0, done.out);
  assert.match(
    done.out,
    /elasticsearch: index template harombe-siem-logs-audit-default installed for logs-audit-default \(data stream\); now set indexTemplate: true on elasticsearch \(SIEM_ELASTICSEARCH_INDEX_TEMPLATE=true\)/,
  );
  assert.deepEqual([...es.templates.keys()].sort(), [
    "harombe-siem-audit-archive",
    "harombe-siem-logs-audit-default",
  ]);

  const printed = await cli(env, "--destination", "archive", "--print");
  assert.equal(printed.code, 0, printed.out);
  assert.deepEqual(
    JSON.parse(printed.out),
    JSON.parse(JSON.stringify(indexTemplate({ index: "audit-archive" }))),
  );
});

Deno.test("deno task setup-index exits 1 on a refusal and 2 on a setup error", async () => {
  await using es = startFakeElasticsearch({ apiKey: "right-key-0123456789" });
  const wrong = await cli({
    SIEM_ELASTICSEARCH_URL: es.url,
    SIEM_ELASTICSEARCH_TOKEN: "wrong-key-0123456789",
  });
  assert.equal(wrong.code, 1);
  assert.match(wrong.out, /not installed: HTTP 401/);
  assert.equal(wrong.out.includes("wrong-key"), false);

  assert.equal((await cli({})).code, 2);
  const unknown = await cli(
    { SIEM_ELASTICSEARCH_URL: es.url },
    "--destination",
    "nope",
  );
  assert.equal(unknown.code, 2);
  assert.match(unknown.out, /the configured ones are elasticsearch/);
  assert.equal((await cli({}, "--bogus")).code, 2);
});

Deno.test("deno task setup-index installs the flat_object template on OpenSearch, with Basic auth and with SigV4", async () => {
  await using basic = startFakeOpenSearch({
    basic: { username: "admin", password: "os-password-0123" },
  });
  const credentials = {
    accessKeyId: "AKIAFAKE0123456789",
    secretAccessKey: "fake/secret+key-0123456789",
  };
  await using aws = startFakeOpenSearch({
    sigv4: { credentials, region: "eu-west-1", service: "es" },
  });
  const done = await cli({
    SIEM_OPENSEARCH_URL: basic.url,
    SIEM_OPENSEARCH_USERNAME: "admin",
    SIEM_OPENSEARCH_PASSWORD: "os-password-0123",
    SIEM_OPENSEARCH_INDEX: "audit-os",
    SIEM_DESTINATIONS: JSON.stringify([{
      platform: "opensearch",
      name: "amazon",
      endpoint: aws.url,
      index: "audit-aws",
      allowInsecureHttp: true,
      aws: { region: "eu-west-1", service: "es", ...credentials },
    }]),
  });
  assert.equal(done.code, 0, done.out);
  assert.match(
    done.out,
    /opensearch: index template harombe-siem-audit-os installed/,
  );
  assert.match(
    done.out,
    /amazon: index template harombe-siem-audit-aws installed/,
  );
  for (
    const [os, index] of [[basic, "audit-os"], [aws, "audit-aws"]] as const
  ) {
    const template = os.templates.get(`harombe-siem-${index}`);
    assert.deepEqual(
      template?.body,
      JSON.parse(
        JSON.stringify(indexTemplate({ index, engine: "opensearch" })),
      ),
    );
  }

  const wrong = await cli({
    SIEM_DESTINATIONS: JSON.stringify([{
      platform: "opensearch",
      endpoint: aws.url,
      aws: {
        region: "eu-west-1",
        service: "es",
        ...credentials,
        secretAccessKey: "wrong/secret+key-0123456789",
      },
    }]),
  });
  assert.equal(wrong.code, 1);
  assert.match(wrong.out, /not installed: HTTP 403/);
  assert.equal(wrong.out.includes("wrong/secret"), false);
});
