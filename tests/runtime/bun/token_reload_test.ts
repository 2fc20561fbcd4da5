// Issue 19.4 on Bun: the Bun entry reads SIEM_CONFIG_FILE and re-reads its
// tokens from it on SIGHUP and every INGEST_TOKENS_RELOAD_MS, keeping the
// tokens in use when the new ones cannot be read.
import assert from "node:assert/strict";
import { realisticEvents } from "../../fixtures/events.ts";
import { startFakeDatadog } from "../../fakes/fake_datadog.ts";
import { ensureRuntimeTools } from "../runtime_tools.ts";
import { type BunProcess, postEvents, startBun } from "./bun_process.ts";

const A = "producer-a-token-0123456789abcdef";
const B = "producer-b-token-0123456789abcdef";

/** Runs `body` with a Bun server whose tokens are in `<dir>/config.json`. */
async function withBunServer(
  tokens: unknown[],
  env: Record<string, string>,
  body: (
    bun: BunProcess,
    write: (text: string) => Promise<void>,
    path: string,
  ) => Promise<void>,
): Promise<void> {
  await ensureRuntimeTools();
  await using datadog = startFakeDatadog({ apiKey: "bun-dd-key" });
  const dir = await Deno.makeTempDir();
  const path = `${dir}/config.json`;
  const write = (text: string): Promise<void> => Deno.writeTextFile(path, text);
  try {
    await write(JSON.stringify({ ingestTokens: tokens }));
    const bun = await startBun(dir, {
      SIEM_CONFIG_FILE: path,
      SIEM_DESTINATIONS: JSON.stringify([{
        platform: "datadog",
        endpoint: datadog.url,
        token: "bun-dd-key",
      }]),
      STOP_TIMEOUT_MS: "2000",
      DATA_DIR: `${dir}/data`,
      ...env,
    });
    try {
      await body(bun, write, path);
    } finally {
      const { code, output } = await bun.stop("SIGTERM");
      assert.equal(code, 0, output);
      // No token in anything it logged.
      for (const token of [A, B]) {
        assert.equal(bun.lines.join("\n").includes(token), false);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const events = realisticEvents(1, 3);

Deno.test("the Bun entry on SIGHUP re-reads SIEM_CONFIG_FILE: a dropped token gets 403, an added one 202, without a restart", async () => {
  await withBunServer([{ name: "a", token: A }], {}, async (bun, write) => {
    assert.equal(await postEvents(bun.url, A, events), 202);
    assert.equal(await postEvents(bun.url, B, events), 403);

    await write(JSON.stringify({ ingestTokens: [{ name: "b", token: B }] }));
    const from = bun.lines.length;
    bun.signal("SIGHUP");
    assert.match(
      await bun.waitForLine(/ingest token/, from),
      /ingest tokens reloaded: 1 token\(s\) of b/,
    );
    assert.equal(await postEvents(bun.url, A, events), 403);
    assert.equal(await postEvents(bun.url, B, events), 202);
  });
});

Deno.test("the Bun entry re-reads its tokens every INGEST_TOKENS_RELOAD_MS", async () => {
  await withBunServer(
    [{ name: "a", token: A }],
    { INGEST_TOKENS_RELOAD_MS: "50" },
    async (bun, write) => {
      assert.equal(await postEvents(bun.url, A, events), 202);
      const from = bun.lines.length;
      await write(JSON.stringify({ ingestTokens: [{ name: "b", token: B }] }));
      // No signal: the interval's reload.
      await bun.waitForLine(/ingest tokens reloaded: 1 token\(s\) of b/, from);
      assert.equal(await postEvents(bun.url, A, events), 403);
      assert.equal(await postEvents(bun.url, B, events), 202);
    },
  );
});

Deno.test("the Bun entry keeps its tokens when the reloaded file is broken, malformed or gone, and says why without quoting it", async () => {
  await withBunServer(
    [{ name: "a", token: A }],
    {},
    async (bun, write, path) => {
      const reloadFails = async (reason: RegExp): Promise<string> => {
        const from = bun.lines.length;
        bun.signal("SIGHUP");
        const line = await bun.waitForLine(/ingest token/, from);
        assert.match(line, /reload failed, keeping the 1 token\(s\) in use: /);
        assert.match(line, reason);
        assert.equal(await postEvents(bun.url, A, events), 202);
        assert.equal(await postEvents(bun.url, B, events), 403);
        return line;
      };
      // Not JSON (the text, which holds a token, is not quoted).
      await write(`{"ingestTokens": [{"name": "b", "token": "${B}"}`);
      await reloadFails(/config\.json is not valid JSON/);
      // A malformed entry.
      await write(
        JSON.stringify({ ingestTokens: [{ name: "b", sha256: "not-a-hash" }] }),
      );
      await reloadFails(/ingestTokens\[0\]\.sha256 must be 64 hex digits/);
      // An empty list would open the ingest to anyone.
      await write(JSON.stringify({ ingestTokens: [] }));
      await reloadFails(/has no token/);
      // The file is gone: Bun.file().text() rejects.
      await Deno.remove(path);
      await reloadFails(/config\.json/);
    },
  );
});
