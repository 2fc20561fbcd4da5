/**
 * The fakes' validation endpoints, which the doctor uses, answer as the
 * platforms document them.
 */
import assert from "node:assert/strict";
import { startFakeDatadog } from "./fake_datadog.ts";
import { startFakeElasticsearch } from "./fake_elasticsearch.ts";
import { startFakeSplunk } from "./fake_splunk.ts";

Deno.test("fake Datadog: GET /api/v1/validate is 200 {valid:true} for its key, 403 otherwise", async () => {
  await using dd = startFakeDatadog({ apiKey: "k" });
  const url = `${dd.url}/api/v1/validate`;
  const good = await fetch(url, { headers: { "DD-API-KEY": "k" } });
  assert.equal(good.status, 200);
  assert.deepEqual(await good.json(), { valid: true });
  const bad = await fetch(url, { headers: { "DD-API-KEY": "other" } });
  assert.equal(bad.status, 403);
  assert.deepEqual(await bad.json(), { errors: ["Forbidden"] });
  const none = await fetch(url);
  assert.equal(none.status, 403);
  await none.body?.cancel();
});

Deno.test("fake Elasticsearch: _authenticate and _has_privileges for the API key", async () => {
  await using es = startFakeElasticsearch({
    apiKey: "k",
    writableIndexes: ["a"],
  });
  const auth = { Authorization: "ApiKey k" };
  const me = await fetch(`${es.url}/_security/_authenticate`, {
    headers: auth,
  });
  assert.equal(me.status, 200);
  assert.equal(me.headers.get("x-elastic-product"), "Elasticsearch");
  const body = await me.json();
  assert.equal(body.authentication_type, "api_key");
  const refused = await fetch(`${es.url}/_security/_authenticate`, {
    headers: { Authorization: "ApiKey nope" },
  });
  assert.equal(refused.status, 401);
  await refused.body?.cancel();

  const ask = (names: string[]) =>
    fetch(`${es.url}/_security/user/_has_privileges`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({
        index: [{ names, privileges: ["create_doc"] }],
      }),
    }).then((r) => r.json());
  assert.deepEqual(await ask(["a"]), {
    username: "fake-user",
    has_all_requested: true,
    cluster: {},
    index: { a: { create_doc: true } },
    application: {},
  });
  const denied = await ask(["a", "b"]);
  assert.equal(denied.has_all_requested, false);
  assert.deepEqual(denied.index.b, { create_doc: false });
});

Deno.test("fake Elasticsearch without an API key has no security handlers", async () => {
  await using es = startFakeElasticsearch();
  const answer = await fetch(`${es.url}/_security/_authenticate`);
  assert.equal(answer.status, 400);
  assert.match((await answer.json()).error, /^no handler found for uri/);
});

Deno.test("fake Splunk: an empty POST is code 5 for the token, code 4 for another", async () => {
  await using hec = startFakeSplunk({ token: "t" });
  const post = (token: string) =>
    fetch(`${hec.url}/services/collector/event`, {
      method: "POST",
      headers: { Authorization: `Splunk ${token}` },
      body: "",
    }).then(async (r) => [r.status, await r.json()]);
  assert.deepEqual(await post("t"), [400, { text: "No data", code: 5 }]);
  assert.deepEqual(await post("x"), [403, { text: "Invalid token", code: 4 }]);
});
