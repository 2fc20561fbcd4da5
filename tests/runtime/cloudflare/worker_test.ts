import assert from "node:assert/strict";
import { realisticEvents } from "../../fixtures/events.ts";
import { startFakeElasticsearch } from "../../fakes/fake_elasticsearch.ts";
import { startFakeSplunk } from "../../fakes/fake_splunk.ts";
import { bundle, ensureRuntimeTools, TOOLS } from "../runtime_tools.ts";

const TOKEN = "worker-ingest-token-0123456789";

Deno.test("the Workers entry runs in workerd (Miniflare) and delivers every event it accepts", async () => {
  await ensureRuntimeTools();
  await using es = startFakeElasticsearch({ apiKey: "worker-es-key" });
  await using hec = startFakeSplunk({ token: "worker-hec-token" });
  const dir = await Deno.makeTempDir();
  try {
    await bundle(
      "src/runtime/cloudflare/worker.ts",
      "browser",
      `${dir}/worker.js`,
    );
    const events = realisticEvents(250, 5);
    await Deno.writeTextFile(
      `${dir}/events.ndjson`,
      events.map((event) => JSON.stringify(event)).join("\n"),
    );
    await Deno.writeTextFile(
      `${dir}/bindings.json`,
      JSON.stringify({
        INGEST_TOKENS: TOKEN,
        SIEM_ELASTICSEARCH_URL: es.url,
        SIEM_ELASTICSEARCH_TOKEN: "worker-es-key",
        SIEM_DESTINATIONS: JSON.stringify([{
          platform: "splunk",
          endpoint: hec.url,
          token: "worker-hec-token",
          compression: "gzip",
        }]),
      }),
    );
    const { code, stdout, stderr } = await new Deno.Command("node", {
      args: [
        new URL("./run_worker.mjs", import.meta.url).pathname,
        TOOLS,
        `${dir}/worker.js`,
        `${dir}/bindings.json`,
        `${dir}/events.ndjson`,
        TOKEN,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const results = JSON.parse(new TextDecoder().decode(stdout));
    assert.deepEqual(
      results.posted.map((
        p: { status: number; body: { accepted: number } },
      ) => [p.status, p.body.accepted]),
      [[202, 100], [202, 100], [202, 50]],
    );
    assert.equal(results.wrongToken.status, 403);
    assert.equal(results.wrongToken.body.error.code, "forbidden");
    assert.equal(results.stats.buffered, 0);
    assert.equal(results.stats.eventsFailed, 0);
    assert.equal(results.health.status, 200);
    assert.equal(results.userAgent.error.code, "not_found");
    assert.deepEqual(
      es.documents.map((d) => d.id).sort(),
      events.map((e) => e.event_id!).sort(),
    );
    assert.equal(hec.events.length, 250);
    assert.ok(
      hec.requests.every((r) => r.headers.get("content-encoding") === "gzip"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
