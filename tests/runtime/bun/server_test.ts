import assert from "node:assert/strict";
import { realisticEvents } from "../../fixtures/events.ts";
import { startFakeDatadog } from "../../fakes/fake_datadog.ts";
import { statusPage } from "../../../src/ingest/status_page.ts";
import { waitFor } from "../../support/fake_clock.ts";
import { bundle, ensureRuntimeTools, TOOLS } from "../runtime_tools.ts";

const TOKEN = "bun-ingest-token-0123456789";

/** The Bun entry, bundled and run under Bun, with its banner read. */
interface BunProcess {
  url: string;
  /** Sends a signal; resolves with the exit code and what went to stdout after the banner. */
  stop(signal: Deno.Signal): Promise<{ code: number; output: string }>;
}

async function startBun(
  dir: string,
  env: Record<string, string>,
): Promise<BunProcess> {
  await bundle("src/runtime/bun/server.ts", "deno", `${dir}/server.js`);
  const bun = new Deno.Command(`${TOOLS}/node_modules/.bin/bun`, {
    args: ["run", `${dir}/server.js`],
    env: { PORT: "0", INGEST_TOKENS: TOKEN, ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = bun.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const errors = new Response(bun.stderr).text();
  let banner = "";
  while (!/listening on (\S+)/.test(banner)) {
    const { done, value } = await output.read();
    if (done) break;
    banner += value;
  }
  const url = /listening on (\S+)/.exec(banner)?.[1];
  if (!url) {
    bun.kill("SIGKILL");
    await bun.status;
    throw new Error(`no banner: ${banner} ${await errors}`);
  }
  return {
    url,
    async stop(signal): Promise<{ code: number; output: string }> {
      bun.kill(signal);
      let rest = "";
      while (true) {
        const { done, value } = await output.read();
        if (done) break;
        rest += value;
      }
      const status = await bun.status;
      await errors;
      return { code: status.code, output: rest };
    },
  };
}

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
