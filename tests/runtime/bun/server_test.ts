import assert from "node:assert/strict";
import { realisticEvents } from "../../fixtures/events.ts";
import { startFakeDatadog } from "../../fakes/fake_datadog.ts";
import { statusPage } from "../../../src/ingest/status_page.ts";
import { waitFor } from "../../support/fake_clock.ts";
import { bundle, ensureRuntimeTools, TOOLS } from "../runtime_tools.ts";
import { startBun } from "./bun_process.ts";

const TOKEN = "bun-ingest-token-0123456789";

async function post(url: string, events: unknown[]): Promise<[number, number]> {
  const response = await fetch(`${url}/events`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${TOKEN}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify(events),
  });
  return [response.status, (await response.json()).accepted];
}

Deno.test("the Bun entry serves the ingest app under Bun and delivers every event", async () => {
  await ensureRuntimeTools();
  await using datadog = startFakeDatadog({ apiKey: "bun-dd-key" });
  const dir = await Deno.makeTempDir();
  try {
    const bun = await startBun(dir, {
      INGEST_TOKENS: TOKEN,
      SIEM_DESTINATIONS: JSON.stringify([{
        platform: "datadog",
        endpoint: datadog.url,
        token: "bun-dd-key",
        flushIntervalMs: 200,
      }]),
    });
    const events = realisticEvents(300, 7);
    const statuses = [];
    for (let i = 0; i < events.length; i += 100) {
      statuses.push(await post(bun.url, events.slice(i, i + 100)));
    }
    assert.deepEqual(statuses, [[202, 100], [202, 100], [202, 100]]);
    const refused = await fetch(`${bun.url}/events`, { method: "POST" });
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    // The status page under Bun: its CSP hashes, computed by Bun's
    // WebCrypto, are those Deno computes.
    const status = await fetch(`${bun.url}/status`);
    assert.equal(status.status, 200);
    assert.match(await status.text(), /<title>harombe-siem status<\/title>/);
    assert.equal(
      status.headers.get("content-security-policy"),
      (await statusPage()).headers["Content-Security-Policy"],
    );
    await waitFor(() => datadog.logs.length === 300, 10_000, "delivery");
    const { code } = await bun.stop("SIGTERM");
    assert.equal(code, 0);
    assert.deepEqual(
      datadog.logs.map((log) => (log.audit as { event_id: string }).event_id)
        .sort(),
      events.map((e) => e.event_id!).sort(),
    );
    assert.equal(
      [...Deno.readDirSync(dir)].some((e) => e.name.startsWith("undelivered")),
      false,
      "nothing left to save",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Issue 9.11: as the Deno entry does, the Bun entry writes what it could not
// deliver by the stop deadline to <DATA_DIR>/undelivered-<time>.ndjson.
Deno.test("the Bun entry saves the events it could not deliver to an NDJSON file on SIGTERM", async () => {
  await ensureRuntimeTools();
  await using datadog = startFakeDatadog({ apiKey: "bun-dd-key" });
  datadog.down({ status: 503 });
  const dir = await Deno.makeTempDir();
  try {
    const dataDir = `${dir}/data/nested`;
    const bun = await startBun(dir, {
      INGEST_TOKENS: TOKEN,
      DATA_DIR: dataDir,
      STOP_TIMEOUT_MS: "300",
      SIEM_DESTINATIONS: JSON.stringify([{
        platform: "datadog",
        endpoint: datadog.url,
        token: "bun-dd-key",
        maxEventAgeMs: 10 * 365 * 86_400_000,
      }]),
    });
    const events = realisticEvents(3, 8);
    assert.deepEqual(await post(bun.url, events), [202, 3]);
    // The SIEM answers 503 until the 300 ms stop deadline passes.
    const { code, output } = await bun.stop("SIGTERM");
    assert.equal(code, 0, output);
    const saved = [...Deno.readDirSync(dataDir)].map((entry) => entry.name);
    assert.equal(saved.length, 1, saved.join(","));
    assert.match(saved[0]!, /^undelivered-.*\.ndjson$/);
    assert.match(output, /3 undelivered event\(s\) saved to /);
    const lines = (await Deno.readTextFile(`${dataDir}/${saved[0]}`)).trim()
      .split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map((l) => [l.destination, l.event.event_id]),
      events.map((e) => ["datadog", e.event_id]),
    );
    assert.equal(datadog.logs.length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// startBunServer() is synchronous, so it reads no file: it starts from the
// environment alone, and refuses a file variable rather than ignore the
// tokens or key the file holds (serveBun() reads them).
Deno.test("startBunServer() starts from the environment alone and refuses SIEM_CONFIG_FILE and SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE", async () => {
  await ensureRuntimeTools();
  await using datadog = startFakeDatadog({ apiKey: "bun-dd-key" });
  const dir = await Deno.makeTempDir();
  try {
    await bundle("src/runtime/bun/server.ts", "deno", `${dir}/server.js`);
    const env = {
      INGEST_TOKENS: TOKEN,
      PORT: "0",
      SIEM_DATADOG_URL: datadog.url,
      SIEM_DATADOG_TOKEN: "bun-dd-key",
    };
    await Deno.writeTextFile(
      `${dir}/sync.mjs`,
      `import { startBunServer } from "./server.js";
       const env = ${JSON.stringify(env)};
       for (const name of ["SIEM_CONFIG_FILE", "SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE"]) {
         try {
           startBunServer({ ...env, [name]: "${dir}/config.json" });
           console.log("started with " + name);
         } catch (error) {
           console.log("refused: " + error.message);
         }
       }
       const server = startBunServer(env);
       const response = await fetch(server.url + "/events", {
         method: "POST",
         headers: { Authorization: "Bearer ${TOKEN}", "Content-Type": "application/json" },
         body: JSON.stringify(${JSON.stringify(realisticEvents(2, 5))}),
       });
       console.log("status " + response.status);
       console.log("reloaded " + await server.reloadTokens());
       console.log("saved " + await server.shutdown());`,
    );
    const { code, stdout, stderr } = await new Deno.Command(
      `${TOOLS}/node_modules/.bin/bun`,
      {
        args: ["run", `${dir}/sync.mjs`],
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      },
    ).output();
    const output = new TextDecoder().decode(stdout);
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.deepEqual(
      output.split("\n").filter((line) => !line.includes("listening on")),
      [
        "refused: Cannot start: SIEM_CONFIG_FILE is set but startBunServer() reads no file; use serveBun()",
        "refused: Cannot start: SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE is set but startBunServer() reads no file; use serveBun()",
        "status 202",
        "reloaded false",
        "saved 0",
        "",
      ],
    );
    assert.equal(datadog.logs.length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
