import assert from "node:assert/strict";
import {
  bearerToken,
  digestAll,
  matchesAnyToken,
} from "../../src/ingest/bearer_token.ts";

Deno.test("bearerToken() reads the token of a Bearer header", () => {
  assert.equal(bearerToken("Bearer abc"), "abc");
  assert.equal(
    bearerToken("Bearer tok-0123456789._~+/abcdef=="),
    "tok-0123456789._~+/abcdef==",
  );
});

Deno.test("bearerToken() reads the scheme in any case", () => {
  assert.equal(bearerToken("bearer abc"), "abc");
  assert.equal(bearerToken("BEARER abc"), "abc");
  assert.equal(bearerToken("bEaReR abc"), "abc");
});

Deno.test("bearerToken() allows extra spaces around the token", () => {
  assert.equal(bearerToken("Bearer    abc"), "abc");
  assert.equal(bearerToken("Bearer abc   "), "abc");
  assert.equal(bearerToken("Bearer   abc  "), "abc");
});

Deno.test("bearerToken() returns undefined for a missing header", () => {
  assert.equal(bearerToken(null), undefined);
  assert.equal(bearerToken(""), undefined);
});

Deno.test("bearerToken() returns undefined for another scheme", () => {
  assert.equal(bearerToken("Basic x"), undefined);
  assert.equal(bearerToken("Basic YWxhZGRpbjpvcGVuc2VzYW1l"), undefined);
  assert.equal(bearerToken("Token abc"), undefined);
  assert.equal(bearerToken("Bearerabc"), undefined);
});

Deno.test("bearerToken() returns undefined for a scheme without a token", () => {
  assert.equal(bearerToken("Bearer"), undefined);
  assert.equal(bearerToken("Bearer "), undefined);
  assert.equal(bearerToken("Bearer    "), undefined);
});

Deno.test("bearerToken() returns undefined for a token with invalid characters", () => {
  for (
    const header of [
      "Bearer abc def",
      'Bearer ab"c',
      "Bearer abc,def",
      "Bearer ab\tc",
      "Bearer abc\n",
      "Bearer é",
      "Bearer abc;",
    ]
  ) {
    assert.equal(bearerToken(header), undefined, JSON.stringify(header));
  }
});

Deno.test("matchesAnyToken() accepts each of several tokens", async () => {
  const tokens = ["token-old-0123456789", "token-new-abcdefghij", "third"];
  for (const token of tokens) {
    assert.equal(await matchesAnyToken(token, tokens), true, token);
  }
});

Deno.test("matchesAnyToken() refuses a prefix, a longer string and an empty string", async () => {
  const tokens = ["token-old-0123456789", "token-new-abcdefghij"];
  assert.equal(await matchesAnyToken("token-old-012345678", tokens), false);
  assert.equal(await matchesAnyToken("token-old", tokens), false);
  assert.equal(await matchesAnyToken("token-old-0123456789x", tokens), false);
  assert.equal(await matchesAnyToken("xtoken-new-abcdefghij", tokens), false);
  assert.equal(await matchesAnyToken("", tokens), false);
  assert.equal(await matchesAnyToken("TOKEN-OLD-0123456789", tokens), false);
});

Deno.test("matchesAnyToken() refuses everything when no token is configured", async () => {
  assert.equal(await matchesAnyToken("anything", []), false);
  assert.equal(await matchesAnyToken("", []), false);
});

Deno.test("matchesAnyToken() takes the digests of digestAll(), computed once, as it takes the tokens", async () => {
  const tokens = ["token-old-0123456789", "token-new-abcdefghij"];
  const digests = digestAll(tokens);
  assert.equal(await matchesAnyToken("token-new-abcdefghij", digests), true);
  assert.equal(await matchesAnyToken("token-old-0123456789", digests), true);
  assert.equal(await matchesAnyToken("token-new-abcdefghiJ", digests), false);
  assert.equal((await digests).length, 2);
  assert.equal((await digests)[0]!.length, 32);
});
