import assert from "node:assert/strict";
import { createIngestApp } from "../../src/ingest/app.ts";
import {
  checkProducerTokens,
  ProducerTokens,
} from "../../src/ingest/producer_tokens.ts";
import { serverConfig } from "../../src/ingest/server_config.ts";
import { reloadTokens } from "../../src/ingest/token_reload.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { memorySink } from "../support/memory_sink.ts";
import { serveIngest } from "../support/serve_ingest.ts";

const BILLING = "billing-token-0123456789abcdef";
const AUTH = "auth-service-token-0123456789";
const EVENT = {
  correlation_id: "c-1",
  event_type: "request",
  actor: "agent-7",
  action: "read",
  status: "success",
};

async function sha256Hex(text: string): Promise<string> {
  const bytes = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("named producers: a token and a SHA-256 of a token both authenticate over HTTP; others get 403", async () => {
  const sink = memorySink();
  const app = createIngestApp({
    sink,
    tokens: [
      { name: "billing", token: BILLING },
      { name: "auth", sha256: await sha256Hex(AUTH) },
    ],
  });
  await using served = serveIngest(app);
  assert.equal((await served.post(BILLING, EVENT)).status, 202);
  assert.equal((await served.post(AUTH, EVENT)).status, 202);
  const wrong = await served.post("auth-service-token-012345678X", EVENT);
  assert.equal(wrong.status, 403);
  await wrong.body?.cancel();
  assert.equal(sink.events.length, 2);
});

Deno.test("named producers: an expired or not-yet-valid token gets 401 with a clear error that names the producer, not the token", async () => {
  const clock = new FakeClock(Date.parse("2026-06-01T00:00:00Z"));
  const app = createIngestApp({
    sink: memorySink(),
    clock,
    tokens: [
      {
        name: "billing",
        token: BILLING,
        expiresAt: "2026-06-01T12:00:00Z",
      },
      {
        name: "billing",
        token: "billing-token-next-0123456789",
        notBefore: "2026-06-01T10:00:00Z",
      },
    ],
  });
  await using served = serveIngest(app);
  assert.equal((await served.post(BILLING, EVENT)).status, 202);
  const early = await served.post("billing-token-next-0123456789", EVENT);
  assert.equal(early.status, 401);
  const earlyBody = await early.text();
  assert.match(earlyBody, /"code":"token_not_yet_valid"/);
  assert.doesNotMatch(earlyBody, /billing-token/);

  await clock.advance(11 * 3600_000); // both valid: the rotation's overlap
  assert.equal((await served.post(BILLING, EVENT)).status, 202);
  assert.equal(
    (await served.post("billing-token-next-0123456789", EVENT)).status,
    202,
  );

  await clock.advance(2 * 3600_000); // the old one has expired
  const expired = await served.post(BILLING, EVENT);
  assert.equal(expired.status, 401);
  assert.match(
    expired.headers.get("www-authenticate") ?? "",
    /error="invalid_token"/,
  );
  const body = await expired.json();
  assert.equal(body.error.code, "token_expired");
  assert.match(body.error.message, /producer "billing" has expired/);
  assert.doesNotMatch(JSON.stringify(body), /billing-token/);
});

Deno.test("named producers: config errors name the entry and the problem, never the token", () => {
  const secret = "super-secret-token-0123456789";
  const cases: [unknown[], RegExp][] = [
    [
      [{ name: "a", token: secret }, { name: "a", token: BILLING }],
      /tokens\[1\]: duplicate producer name "a"/,
    ],
    [[{ name: "a", sha256: "abc" }], /tokens\[0\]\.sha256 must be 64 hex/],
    [
      [{ name: "a", sha256: "g".repeat(64) }],
      /tokens\[0\]\.sha256 must be 64 hex/,
    ],
    [
      [{
        name: "a",
        token: secret,
        notBefore: "2026-02-01T00:00:00Z",
        expiresAt: "2026-01-01T00:00:00Z",
      }],
      /tokens\[0\]\.expiresAt must be later than its notBefore/,
    ],
    [[{ name: "a", token: secret, expiresAt: "soon" }], /ISO 8601/],
    [[{ name: "a b", token: secret }], /tokens\[0\]\.name must be/],
    [
      [{ name: "a", token: secret, sha256: "0".repeat(64) }],
      /either token or sha256/,
    ],
    [[{ name: "a", token: "short" }], /tokens\[0\]\.token must be 16/],
    [
      [{ name: "a", token: secret }, { name: "b", token: secret }],
      /repeats a token/,
    ],
  ];
  for (const [entries, expected] of cases) {
    assert.throws(
      () => checkProducerTokens(entries as never, "tokens"),
      (error: Error) => {
        assert.match(error.message, expected);
        assert.doesNotMatch(error.message, /super-secret/);
        return true;
      },
    );
  }
  // A rotation: the same name twice, each with a validity window.
  checkProducerTokens([
    { name: "a", token: secret, expiresAt: "2026-02-01T00:00:00Z" },
    { name: "a", token: BILLING, notBefore: "2026-01-15T00:00:00Z" },
  ], "tokens");
  assert.throws(
    () =>
      createIngestApp({
        sink: memorySink(),
        tokens: [{ name: "a", sha256: "x" }],
      }),
    /Cannot create ingest app: tokens\[0\]\.sha256/,
  );
});

Deno.test("named producers: INGEST_TOKENS takes name:token pairs and bare tokens (producer default); the file takes objects", async () => {
  const config = serverConfig({
    INGEST_TOKENS: `billing:${BILLING}, ${AUTH}`,
  });
  assert.deepEqual(config.tokens, [{ name: "billing", token: BILLING }, AUTH]);
  const tokens = new ProducerTokens(config.tokens);
  assert.deepEqual(tokens.names, ["billing", "default"]);
  assert.deepEqual(await tokens.match(AUTH, Date.now()), {
    kind: "accepted",
    name: "default",
  });
  const hash = await sha256Hex(BILLING);
  const fromFile = serverConfig({}, {
    ingestTokens: [{ name: "billing", sha256: hash }],
  });
  assert.deepEqual(fromFile.tokens, [{ name: "billing", sha256: hash }]);
  assert.deepEqual(
    await new ProducerTokens(fromFile.tokens).match(BILLING, Date.now()),
    { kind: "accepted", name: "billing" },
  );
});

Deno.test("named producers: a token is valid from notBefore exactly, and up to but not at expiresAt", async () => {
  const from = Date.parse("2026-01-01T00:00:00.000Z");
  const until = Date.parse("2026-02-01T00:00:00.000Z");
  const tokens = new ProducerTokens([{
    name: "billing",
    token: BILLING,
    notBefore: "2026-01-01T00:00:00.000Z",
    expiresAt: "2026-02-01T00:00:00.000Z",
  }]);
  const kinds = [];
  for (const now of [from - 1, from, until - 1, until]) {
    kinds.push((await tokens.match(BILLING, now)).kind);
  }
  assert.deepEqual(kinds, [
    "not_yet_valid",
    "accepted",
    "accepted",
    "expired",
  ]);
  assert.deepEqual(await tokens.match(AUTH, from), { kind: "unknown" });
});

Deno.test("named producers: names of 1 to 64 characters, tokens of 16 or more, a window of at least 1 ms", () => {
  const ok = (entry: unknown): boolean => {
    try {
      checkProducerTokens([entry as never], "tokens");
      return true;
    } catch {
      return false;
    }
  };
  assert.equal(ok({ name: "a".repeat(64), token: BILLING }), true);
  assert.equal(ok({ name: "a".repeat(65), token: BILLING }), false);
  assert.equal(ok({ name: "", token: BILLING }), false);
  assert.equal(ok({ name: "a", token: "t".repeat(16) }), true);
  assert.equal(ok({ name: "a", token: "t".repeat(15) }), false);
  assert.equal(ok("t".repeat(16)), true);
  assert.equal(ok({ name: "a", token: "token-with-a:colon-0123" }), false);
  assert.equal(
    ok({
      name: "a",
      token: BILLING,
      notBefore: "2026-01-01T00:00:00.000Z",
      expiresAt: "2026-01-01T00:00:00.001Z",
    }),
    true,
  );
  assert.equal(
    ok({
      name: "a",
      token: BILLING,
      notBefore: "2026-01-01T00:00:00.000Z",
      expiresAt: "2026-01-01T00:00:00.000Z",
    }),
    false,
  );
  // Neither a string nor an object; a time that is not a string.
  for (const entry of [42, null]) {
    assert.throws(
      () => checkProducerTokens([entry as never], "tokens"),
      /tokens\[0\] must be a token or \{name, token\|sha256\}/,
    );
  }
  assert.throws(
    () =>
      checkProducerTokens(
        [{ name: "a", token: BILLING, expiresAt: 1_800_000_000_000 as never }],
        "tokens",
      ),
    /tokens\[0\]\.expiresAt must be an ISO 8601 time/,
  );
});

Deno.test("named producers: a hash given twice, in upper and lower case, is a repeated token", async () => {
  const hex = await sha256Hex(BILLING);
  assert.throws(
    () =>
      checkProducerTokens([
        { name: "a", sha256: hex },
        { name: "b", sha256: hex.toUpperCase() },
      ], "tokens"),
    /tokens\[1\] repeats a token or hash given before it/,
  );
  // An upper-case hash authenticates like a lower-case one.
  const tokens = new ProducerTokens([{ name: "a", sha256: hex.toUpperCase() }]);
  assert.deepEqual(await tokens.match(BILLING, 0), {
    kind: "accepted",
    name: "a",
  });
});

Deno.test("reloadTokens(): the same tokens again change nothing and log nothing; a failed load keeps the tokens and logs why", async () => {
  const entries = [{ name: "billing", token: BILLING }];
  const tokens = new ProducerTokens(entries);
  const lines: string[] = [];
  const log = (line: string) => void lines.push(line);
  assert.equal(
    await reloadTokens(tokens, () => Promise.resolve(entries), log),
    true,
  );
  assert.deepEqual(lines, []);
  assert.equal(
    await reloadTokens(tokens, () => Promise.reject("disk gone"), log),
    false,
  );
  assert.equal(
    await reloadTokens(tokens, () => Promise.resolve([]), log),
    false,
  );
  assert.equal(
    await reloadTokens(
      tokens,
      () => Promise.resolve([{ name: "auth", token: AUTH }, "t".repeat(16)]),
      log,
    ),
    true,
  );
  assert.deepEqual(lines, [
    "ingest token reload failed, keeping the 1 token(s) in use: disk gone",
    "ingest token reload failed, keeping the 1 token(s) in use: the new config has no token",
    "ingest tokens reloaded: 2 token(s) of auth, default",
  ]);
  assert.equal((await tokens.match(BILLING, 0)).kind, "unknown");
  assert.deepEqual(await tokens.match(AUTH, 0), {
    kind: "accepted",
    name: "auth",
  });
});

Deno.test("INGEST_TOKENS: spaces around names, tokens and commas are trimmed; empty items are skipped", () => {
  assert.deepEqual(
    serverConfig({ INGEST_TOKENS: ` billing:${BILLING} ,, ${AUTH} ,` }).tokens,
    [{ name: "billing", token: BILLING }, AUTH],
  );
});

Deno.test("reloadTokens(): a rotation (one name, two tokens) is logged with the name once", async () => {
  const tokens = new ProducerTokens([{ name: "billing", token: BILLING }]);
  const lines: string[] = [];
  assert.equal(
    await reloadTokens(
      tokens,
      () =>
        Promise.resolve([
          { name: "auth", token: AUTH, expiresAt: "2026-02-01T00:00:00Z" },
          { name: "auth", token: BILLING, notBefore: "2026-01-15T00:00:00Z" },
        ]),
      (line) => void lines.push(line),
    ),
    true,
  );
  assert.deepEqual(lines, ["ingest tokens reloaded: 2 token(s) of auth"]);
  assert.deepEqual(tokens.names, ["auth"]);
});
