import assert from "node:assert/strict";
import { realisticEvents } from "../../fixtures/events.ts";
import { startFakeDatadog } from "../../fakes/fake_datadog.ts";
import { waitFor } from "../../support/fake_clock.ts";
import { bundle, ensureRuntimeTools, TOOLS } from "../runtime_tools.ts";

const TOKEN = "bun-ingest-token-0123456789";

Deno.test("the Bun entry serves the ingest app under Bun and delivers every event", async () => {
  await ensureRuntimeTools();
  await using datadog = startFakeDatadog({ apiKey: "bun-dd-key" });
  const dir = await Deno.makeTempDir();
  try {
    await bundle("src/runtime/bun/server.ts", "deno", `${dir}/server.js`);
    const bun = new Deno.Command(`${TOOLS}/node_modules/.bin/bun`, {
      args: ["run", `${dir}/server.js`],
      env: {
        PORT: "0",
        INGEST_TOKENS: TOKEN,
        SIEM_DESTINATIONS: JSON.stringify([{
          platform: "datadog",
          endpoint: datadog.url,
          token: "bun-dd-key",
          flushIntervalMs: 200,
        }]),
      },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = bun.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let banner = "";
    while (!/listening on (\S+)/.test(banner)) {
      const { done, value } = await output.read();
      if (done) break;
      banner += value;
    }
    const url = /listening on (\S+)/.exec(banner)?.[1];
    assert.ok(url, `no banner: ${banner}`);
    const events = realisticEvents(300, 7);
    const statuses = [];
    for (let i = 0; i < events.length; i += 100) {
      const response = await fetch(`${url}/events`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${TOKEN}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify(events.slice(i, i + 100)),
      });
      statuses.push([response.status, (await response.json()).accepted]);
    }
    assert.deepEqual(statuses, [[202, 100], [202, 100], [202, 100]]);
    const refused = await fetch(`${url}/events`, { method: "POST" });
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    await waitFor(() => datadog.logs.length === 300, 10_000, "delivery");
    bun.kill("SIGTERM");
    const status = await bun.status;
    await output.cancel();
    await bun.stderr.cancel();
    assert.equal(status.code, 0);
    assert.deepEqual(
      datadog.logs.map((log) => (log.audit as { event_id: string }).event_id)
        .sort(),
      events.map((e) => e.event_id!).sort(),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
