import assert from "node:assert/strict";
import { startFakeSplunk } from "../../fakes/fake_splunk.ts";
import { createWorker } from "../../../src/runtime/cloudflare/worker.ts";
import {
  kvTokenSource,
  parseTokenEntry,
} from "../../../src/runtime/cloudflare/kv_tokens.ts";
import { FakeClock } from "../../support/fake_clock.ts";
import { MemoryLogger } from "../../support/receivers.ts";

const A = "worker-producer-a-0123456789";
const B = "worker-producer-b-0123456789";
const EVENT = {
  correlation_id: "c-1",
  event_type: "request",
  actor: "agent-7",
  action: "read",
  status: "success",
};

/** A KV namespace holding one entry, counting reads. */
function fakeKv(text: string): {
  text: string;
  reads: number;
  get(key: string): Promise<string | null>;
  put(key: string, value: string): Promise<void>;
} {
  const kv = {
    text,
    reads: 0,
    get(key: string): Promise<string | null> {
      kv.reads++;
      return Promise.resolve(key === "ingest-tokens" ? kv.text : null);
    },
    put(_key: string, value: string): Promise<void> {
      kv.text = value;
      return Promise.resolve();
    },
  };
  return kv;
}

Deno.test("Workers: tokens from a KV binding are read per request with a 30 s cache; a revoked token is refused once the cache expires; a bad entry keeps the tokens and logs why", async () => {
  await using hec = startFakeSplunk({ token: "hec-token-for-kv-test" });
  const clock = new FakeClock(Date.parse("2026-06-01T00:00:00Z"));
  const logger = new MemoryLogger();
  const kv = fakeKv(JSON.stringify([
    { name: "a", token: A },
    { name: "b", token: B },
  ]));
  const env = {
    INGEST_TOKENS_KV: kv,
    SIEM_SPLUNK_URL: hec.url,
    SIEM_SPLUNK_TOKEN: "hec-token-for-kv-test",
  };
  const worker = createWorker({ clock, logger });
  const pending: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p) };
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen(): void {} },
    (request) => worker.fetch(request, env, ctx),
  );
  const post = async (token: string): Promise<number> => {
    const answer = await fetch(`http://127.0.0.1:${server.addr.port}/events`, {
      method: "POST",
      body: JSON.stringify(EVENT),
      headers: {
        "Content-Type": "application/json",
        Authorization: `Bearer ${token}`,
      },
    });
    await answer.body?.cancel();
    return answer.status;
  };
  assert.equal(await post(A), 202);
  assert.equal(await post(B), 202);
  assert.equal(kv.reads, 1);

  await kv.put("ingest-tokens", JSON.stringify([{ name: "a", token: A }]));
  assert.equal(await post(B), 202); // still cached in this isolate
  await clock.advance(30_000);
  assert.equal(await post(B), 403);
  assert.equal(await post(A), 202);
  assert.equal(kv.reads, 2);
  assert.ok(
    logger.lines.some((l) =>
      /ingest tokens reloaded: 1 token\(s\) of a/.test(l)
    ),
    logger.lines.join("\n"),
  );

  await kv.put("ingest-tokens", `[{"name":"a","token":"${A}"`);
  await clock.advance(30_000);
  assert.equal(await post(A), 202);
  const failure = logger.lines.find((l) => /reload failed/.test(l));
  assert.match(
    failure ?? "",
    /keeping the 1 token\(s\) in use: the KV entry is not valid JSON/,
  );
  assert.doesNotMatch(failure ?? "", /worker-producer/);
  await Promise.all(pending);
});

Deno.test("Workers: without a readable KV entry at the first request, the ingest answers 503 and says why", async () => {
  const logger = new MemoryLogger();
  const kv = fakeKv("");
  kv.get = () => Promise.resolve(null);
  const worker = createWorker({ logger });
  const answer = await worker.fetch(
    new Request("http://worker/events", { method: "POST", body: "{}" }),
    { INGEST_TOKENS_KV: kv, SIEM_SPLUNK_URL: "http://127.0.0.1:1" },
    { waitUntil: () => {} },
  );
  assert.equal(answer.status, 503);
  assert.equal((await answer.json()).error.code, "overloaded");
  assert.match(logger.lines.join("\n"), /the KV entry is missing/);
});

Deno.test("kvTokenSource(): the cache holds for cacheMs less 1 ms and is read again at cacheMs; a failed first read is tried again only after the cache time", async () => {
  const clock = new FakeClock(0);
  const lines: string[] = [];
  const kv = fakeKv("");
  let fail = true;
  kv.get = (key: string) => {
    kv.reads++;
    return Promise.resolve(
      fail ? null : key === "custom-key" ? `a:${A}` : null,
    );
  };
  const source = kvTokenSource({
    key: "custom-key",
    cacheMs: 1000,
    clock,
    log: (line) => void lines.push(line),
  });
  await assert.rejects(() => source.current(kv), /the KV entry is missing/);
  fail = false;
  await clock.advance(999);
  // Within the cache time of the failed read: not read again.
  await assert.rejects(() => source.current(kv), /the KV entry is missing/);
  assert.equal(kv.reads, 1);
  await clock.advance(1);
  const tokens = await source.current(kv);
  assert.deepEqual(tokens.names, ["a"]);
  assert.equal(kv.reads, 2);
  await clock.advance(999);
  assert.equal(await source.current(kv), tokens);
  assert.equal(kv.reads, 2);
  await clock.advance(1);
  await source.current(kv);
  assert.equal(kv.reads, 3);
  assert.deepEqual(lines, []);
});

Deno.test("kvTokenSource(): a first entry with no token is refused (never an open ingest); parseTokenEntry() reads both formats", async () => {
  const source = kvTokenSource({
    key: "ingest-tokens",
    cacheMs: 0,
    clock: { now: () => 0 },
    log: () => {},
  });
  await assert.rejects(
    () => source.current(fakeKv("[]")),
    /the KV entry has no token/,
  );
  await assert.rejects(
    () => source.current(fakeKv(" , ")),
    /the KV entry has no token/,
  );
  assert.deepEqual(parseTokenEntry(` [{"name":"a","token":"${A}"}]`), [
    { name: "a", token: A },
  ]);
  assert.deepEqual(parseTokenEntry(`a:${A}, ${B}`), [
    { name: "a", token: A },
    B,
  ]);
  assert.throws(
    () => parseTokenEntry(`[${A}`),
    (error: Error) =>
      error.message === "the KV entry is not valid JSON" &&
      !error.message.includes(A),
  );
});

Deno.test("Workers: INGEST_TOKENS_KV_KEY and INGEST_TOKENS_CACHE_MS choose the entry and the cache; an unreadable KV answers 503 with Retry-After 5", async () => {
  const clock = new FakeClock(0);
  const reads: string[] = [];
  const kv = {
    get(key: string): Promise<string | null> {
      reads.push(key);
      return key === "tokens-v2"
        ? Promise.resolve(`a:${A}`)
        : Promise.reject(new Error("KV down"));
    },
    put: () => Promise.resolve(),
  };
  await using hec = startFakeSplunk({ token: "hec-token-for-kv-test" });
  const pending: Promise<unknown>[] = [];
  const post = (worker: ReturnType<typeof createWorker>, env: object) =>
    worker.fetch(
      new Request("http://worker/events", {
        method: "POST",
        body: JSON.stringify(EVENT),
        headers: {
          "Content-Type": "application/json",
          Authorization: `Bearer ${A}`,
        },
      }),
      {
        ...env,
        SIEM_SPLUNK_URL: hec.url,
        SIEM_SPLUNK_TOKEN: "hec-token-for-kv-test",
      },
      { waitUntil: (promise) => void pending.push(promise) },
    );
  const worker = createWorker({ clock, logger: new MemoryLogger() });
  const env = {
    INGEST_TOKENS_KV: kv,
    INGEST_TOKENS_KV_KEY: "tokens-v2",
    INGEST_TOKENS_CACHE_MS: "5000",
  };
  assert.equal((await post(worker, env)).status, 202);
  await clock.advance(4999);
  assert.equal((await post(worker, env)).status, 202);
  assert.deepEqual(reads, ["tokens-v2"]);
  await clock.advance(1);
  assert.equal((await post(worker, env)).status, 202);
  assert.deepEqual(reads, ["tokens-v2", "tokens-v2"]);

  // Unset, or unreadable: the default 30 s.
  for (const cache of [undefined, "soon"]) {
    const other = createWorker({ clock, logger: new MemoryLogger() });
    const defaults = { ...env, INGEST_TOKENS_CACHE_MS: cache };
    reads.length = 0;
    assert.equal((await post(other, defaults)).status, 202);
    await clock.advance(29_999);
    assert.equal((await post(other, defaults)).status, 202);
    assert.equal(reads.length, 1, String(cache));
    await clock.advance(1);
    assert.equal((await post(other, defaults)).status, 202);
    assert.equal(reads.length, 2, String(cache));
  }

  // 0: no cache, the entry is read on every request.
  const uncached = createWorker({ clock, logger: new MemoryLogger() });
  const everyTime = { ...env, INGEST_TOKENS_CACHE_MS: "0" };
  reads.length = 0;
  for (let i = 0; i < 3; i++) {
    assert.equal((await post(uncached, everyTime)).status, 202);
  }
  assert.equal(reads.length, 3);

  const logger = new MemoryLogger();
  const down = createWorker({ clock, logger });
  const answer = await post(down, { INGEST_TOKENS_KV: kv });
  assert.equal(answer.status, 503);
  assert.equal(answer.headers.get("retry-after"), "5");
  assert.deepEqual(await answer.json(), {
    error: {
      code: "overloaded",
      message: "the ingest tokens cannot be read now",
    },
  });
  assert.deepEqual(logger.lines, [
    'error cannot read the ingest tokens from KV {"error":"KV down"}',
  ]);
  await Promise.all(pending);
});
