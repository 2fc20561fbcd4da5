import assert from "node:assert/strict";
import { startFakeElasticsearch } from "../../fakes/fake_elasticsearch.ts";
import { startFakeSplunk } from "../../fakes/fake_splunk.ts";
import { startFakeHttpReceiver } from "../../fakes/fake_http_receiver.ts";

const CLI = new URL("../../../src/runtime/deno/doctor.ts", import.meta.url);
const CONFIG = new URL("../../../deno.json", import.meta.url);
const TOKEN = "11111111-2222-3333-4444-555555555555";

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
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, out: decode(stdout) + decode(stderr) };
}

Deno.test("deno task doctor exits 0 when every destination can deliver", async () => {
  await using hec = startFakeSplunk({ token: TOKEN });
  await using es = startFakeElasticsearch({ apiKey: TOKEN });
  const done = await cli({
    SIEM_SPLUNK_URL: hec.url,
    SIEM_SPLUNK_TOKEN: TOKEN,
    SIEM_ELASTICSEARCH_URL: es.url,
    SIEM_ELASTICSEARCH_TOKEN: TOKEN,
  });
  assert.equal(done.code, 0, done.out);
  assert.match(done.out, /^splunk \(splunk, http:\/\/127\.0\.0\.1:\d+\)$/m);
  assert.match(done.out, /^elasticsearch \(elasticsearch, /m);
  assert.equal(done.out.match(/=> can deliver/g)?.length, 2, done.out);
});

Deno.test("deno task doctor exits 1 and says what to fix when one destination cannot deliver", async () => {
  await using hec = startFakeSplunk({ token: TOKEN });
  await using es = startFakeElasticsearch({ apiKey: TOKEN });
  const done = await cli({
    SIEM_SPLUNK_URL: hec.url,
    SIEM_SPLUNK_TOKEN: "wrong-token",
    SIEM_ELASTICSEARCH_URL: es.url,
    SIEM_ELASTICSEARCH_TOKEN: TOKEN,
  });
  assert.equal(done.code, 1, done.out);
  assert.match(
    done.out,
    /^ {2}FAIL authentication +HEC does not know this token/m,
  );
  assert.match(done.out, /=> cannot deliver: fix the FAIL line above/);
  assert.equal(done.out.includes("wrong-token"), false);
});

Deno.test("deno task doctor --destination checks only that one; a usage or config error exits 2", async () => {
  await using hec = startFakeSplunk({ token: TOKEN });
  const env = {
    SIEM_SPLUNK_URL: hec.url,
    SIEM_SPLUNK_TOKEN: TOKEN,
    SIEM_DATADOG_URL: "http://127.0.0.1:9",
    SIEM_DATADOG_TOKEN: "dd",
  };
  const one = await cli(env, "--destination", "splunk");
  assert.equal(one.code, 0, one.out);
  assert.doesNotMatch(one.out, /datadog/);

  const unknown = await cli(env, "--destination", "nope");
  assert.equal(unknown.code, 2, unknown.out);
  assert.match(
    unknown.out,
    /no enabled destination named "nope": the configured ones are splunk, datadog/,
  );

  const none = await cli({});
  assert.equal(none.code, 2, none.out);
  assert.match(none.out, /no destination configured/);

  const usage = await cli(env, "--bogus");
  assert.equal(usage.code, 2, usage.out);
  assert.match(usage.out, /unknown argument --bogus/);
});

Deno.test("deno task doctor --timeout bounds each request; --send-test-event sends one event", async () => {
  await using hec = startFakeSplunk({ token: TOKEN });
  const env = { SIEM_SPLUNK_URL: hec.url, SIEM_SPLUNK_TOKEN: TOKEN };
  hec.down({ hang: true });
  const hung = await cli(env, "--timeout", "300");
  assert.equal(hung.code, 1, hung.out);
  assert.match(hung.out, /did not answer within 300 ms/);
  hec.down(null);

  const sent = await cli(env, "--send-test-event");
  assert.equal(sent.code, 0, sent.out);
  assert.match(sent.out, /ok {3}test_event +A test event was delivered/);
  assert.equal(hec.events.length, 1);
});

Deno.test("deno task doctor checks a Sumo Logic destination from SIEM_HTTP_* and prints its host, never the URL's token", async () => {
  const code = "CliSumoCode0123456789abcdefABCDEF==";
  await using sumo = startFakeHttpReceiver({
    sumo: true,
    framing: "ndjson",
    path: `/receiver/v1/http/${code}`,
  });
  const done = await cli({
    SIEM_HTTP_URL: sumo.endpoint,
    SIEM_HTTP_PRESET: "sumo_logic",
    SIEM_HTTP_SUMO_CATEGORY: "security/harombe",
  }, "--send-test-event");
  assert.equal(done.code, 0, done.out);
  assert.match(done.out, /^http \(http, http:\/\/127\.0\.0\.1:\d+\)$/m);
  assert.equal(sumo.events.length, 1);
  assert.equal(
    sumo.requests.at(-1)?.headers.get("x-sumo-category"),
    "security/harombe",
  );
  assert.ok(!done.out.includes(code.slice(0, 10)), done.out);
  assert.ok(!done.out.includes("/receiver/v1/http"), done.out);
});
