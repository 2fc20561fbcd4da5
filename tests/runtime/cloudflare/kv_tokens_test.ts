import assert from "node:assert/strict";
import { startFakeSplunk } from "../../fakes/fake_splunk.ts";
import { createWorker } from "../../../src/runtime/cloudflare/worker.ts";
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
