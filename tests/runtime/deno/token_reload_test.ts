import assert from "node:assert/strict";
import { realisticEvents } from "../../fixtures/events.ts";
import {
  postNdjson,
  type ServerProcess,
  startServerProcess,
} from "./subprocess_server.ts";

const KEPT = "kept-producer-token-0123456789";
const REVOKED = "revoked-producer-token-0123456789";
const ADDED = "added-producer-token-0123456789";

async function sha256Hex(text: string): Promise<string> {
  const bytes = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// Waits for the server's own log line (what it did, not a delay).
async function waitForLine(
  server: ServerProcess,
  pattern: RegExp,
  after: number,
): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const line = server.lines.slice(after).find((l) => pattern.test(l));
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no log line ${pattern}: ${server.lines.join("\n")}`);
}

Deno.test("deno task start on SIGHUP re-reads SIEM_CONFIG_FILE: a revoked token is refused without a restart; a bad reload keeps the tokens and logs why", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/config.json`;
  const write = (tokens: unknown[]): Promise<void> =>
    Deno.writeTextFile(path, JSON.stringify({ ingestTokens: tokens }));
  await write([
    { name: "kept", sha256: await sha256Hex(KEPT) },
    { name: "revoked", token: REVOKED },
  ]);
  try {
    const server = await startServerProcess({
      SIEM_CONFIG_FILE: path,
      DATA_DIR: `${dir}/data`,
    });
    try {
      const events = realisticEvents(1);
      assert.equal(await postNdjson(server.url, REVOKED, events), 202);
      assert.equal(await postNdjson(server.url, ADDED, events), 403);

      await write([
        { name: "kept", sha256: await sha256Hex(KEPT) },
        { name: "added", token: ADDED },
      ]);
      let from = server.lines.length;
      server.signal("SIGHUP");
      assert.match(
        await waitForLine(server, /ingest token/, from),
        /ingest tokens reloaded: 2 token\(s\) of kept, added/,
      );
      assert.equal(await postNdjson(server.url, REVOKED, events), 403);
      assert.equal(await postNdjson(server.url, ADDED, events), 202);
      assert.equal(await postNdjson(server.url, KEPT, events), 202);

      // A malformed entry: refused, the tokens in use stay.
      await write([{ name: "kept", sha256: "not-a-hash" }]);
      from = server.lines.length;
      server.signal("SIGHUP");
      const failed = await waitForLine(server, /ingest token/, from);
      assert.match(
        failed,
        /reload failed, keeping the 2 token\(s\) in use: ingestTokens\[0\]\.sha256 must be 64 hex digits/,
      );
      // Not JSON: the same, and the file's text is not quoted.
      await Deno.writeTextFile(path, `{"ingestTokens": ["${REVOKED}"`);
      from = server.lines.length;
      server.signal("SIGHUP");
      const broken = await waitForLine(server, /ingest token/, from);
      assert.match(broken, /reload failed.*is not valid JSON/);
      assert.doesNotMatch(broken, /revoked-producer/);
      assert.equal(await postNdjson(server.url, ADDED, events), 202);
      assert.equal(await postNdjson(server.url, REVOKED, events), 403);
    } finally {
      assert.equal(await server.stop("SIGTERM"), 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task start re-reads its tokens every INGEST_TOKENS_RELOAD_MS", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/config.json`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({ ingestTokens: [{ name: "revoked", token: REVOKED }] }),
  );
  try {
    const server = await startServerProcess({
      SIEM_CONFIG_FILE: path,
      DATA_DIR: `${dir}/data`,
      INGEST_TOKENS_RELOAD_MS: "50",
    });
    try {
      const events = realisticEvents(1);
      assert.equal(await postNdjson(server.url, REVOKED, events), 202);
      const from = server.lines.length;
      await Deno.writeTextFile(
        path,
        JSON.stringify({ ingestTokens: [{ name: "added", token: ADDED }] }),
      );
      await waitForLine(
        server,
        /ingest tokens reloaded: 1 token\(s\) of added/,
        from,
      );
      assert.equal(await postNdjson(server.url, REVOKED, events), 403);
      assert.equal(await postNdjson(server.url, ADDED, events), 202);
    } finally {
      assert.equal(await server.stop("SIGTERM"), 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
