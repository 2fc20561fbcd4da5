import assert from "node:assert/strict";
import {
  EntraTokenCache,
  EntraTokenError,
  entraTokenFailure,
} from "../../src/platforms/entra_token.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import type { SentinelConfig } from "../../src/platforms/sentinel_config.ts";
import { startSentinelFakes } from "../support/sentinel.ts";

function settings(
  config: ReturnType<
    ReturnType<typeof startSentinelFakes>["config"]
  >,
): SentinelConfig {
  return parseSIEMConfig(config).sentinel!;
}

Deno.test("EntraTokenCache renews a token at the earlier of 5 minutes before expiry and half its life", async () => {
  let now = 1_000_000;
  await using fakes = startSentinelFakes({
    now: () => now,
    tokenLifetimeSeconds: 3599,
  });
  const cache = new EntraTokenCache(settings(fakes.config()));
  const get = () => cache.get({ fetch, nowMs: now, timeoutMs: 5000 });
  const first = await get();
  now += 3599_000 - 300_000 - 1;
  assert.equal(await get(), first);
  assert.equal(fakes.entra.issuedTokens, 1);
  now += 1;
  const second = await get();
  assert.notEqual(second, first);
  assert.equal(fakes.entra.issuedTokens, 2);
  // A 60 s token is renewed after 30 s, not at once.
  const short = startSentinelFakes({
    now: () => now,
    tokenLifetimeSeconds: 60,
  });
  await using _short = short;
  const quick = new EntraTokenCache(settings(short.config()));
  const a = await quick.get({ fetch, nowMs: now, timeoutMs: 5000 });
  assert.equal(
    await quick.get({ fetch, nowMs: now + 29_999, timeoutMs: 5000 }),
    a,
  );
  assert.notEqual(
    await quick.get({ fetch, nowMs: now + 30_000, timeoutMs: 5000 }),
    a,
  );
});

Deno.test("EntraTokenCache keeps serving an unexpired token when its renewal fails, and fails once it has expired", async () => {
  let now = 0;
  await using fakes = startSentinelFakes({
    now: () => now,
    tokenLifetimeSeconds: 60,
  });
  const cache = new EntraTokenCache(settings(fakes.config()));
  const first = await cache.get({ fetch, nowMs: now, timeoutMs: 5000 });
  fakes.entra.down({ status: 503 });
  now = 45_000;
  assert.equal(
    await cache.get({ fetch, nowMs: now, timeoutMs: 5000 }),
    first,
  );
  now = 60_000;
  await assert.rejects(
    cache.get({ fetch, nowMs: now, timeoutMs: 5000 }),
    (error: unknown) =>
      error instanceof EntraTokenError && error.status === 503 &&
      error.setup === undefined,
  );
});

Deno.test("EntraTokenCache.invalidate() drops the refused token only", async () => {
  await using fakes = startSentinelFakes();
  const cache = new EntraTokenCache(settings(fakes.config()));
  const options = { fetch, nowMs: Date.now(), timeoutMs: 5000 };
  const first = await cache.get(options);
  cache.invalidate("some-older-token");
  assert.equal(await cache.get(options), first);
  cache.invalidate(first);
  assert.equal(cache.current, undefined);
  assert.notEqual(await cache.get(options), first);
});

Deno.test("entraTokenFailure() tells the tenant, the client id, the secret and a foreign answer apart", () => {
  const config = {
    tenantId: "contoso.onmicrosoft.com",
    clientId: "00000000-0000-0000-0000-000000000001",
    authorityHost: "https://login.microsoftonline.com",
    scope: "https://monitor.azure.com/.default",
  };
  const entra = (status: number, error: string, code: number) =>
    entraTokenFailure(
      status,
      JSON.stringify({
        error,
        error_description: `AADSTS${code}: text.`,
        error_codes: [code],
      }),
      config,
    );
  assert.match(entra(400, "invalid_request", 90002).setup!, /tenant/);
  assert.match(
    entra(400, "unauthorized_client", 700016).setup!,
    /no application with client id/,
  );
  assert.match(entra(401, "invalid_client", 7000215).setup!, /secret is wrong/);
  assert.match(
    entra(401, "invalid_client", 7000222).setup!,
    /secret has expired/,
  );
  assert.match(entra(400, "invalid_scope", 1002012).setup!, /scope/);
  const page = entraTokenFailure(502, "<html>bad gateway</html>", config);
  assert.equal(page.setup, undefined);
  const proxy = entraTokenFailure(404, "<html>not found</html>", config);
  assert.match(proxy.setup!, /not Microsoft Entra's/);
});

Deno.test("EntraTokenCache never quotes the client secret, even when the token endpoint's error answer echoes the request", async () => {
  // A gateway or debugging proxy in front of the token endpoint may answer
  // an error with the form it received: the secret must not reach the
  // error message (logged, kept as lastError, shown on /health).
  await using fakes = startSentinelFakes();
  await using echo = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen(): void {},
  }, async (request) => {
    const form = new URLSearchParams(await request.text());
    return Response.json({
      error: "invalid_request",
      error_description: `AADSTS900144: received client_secret=${
        form.get("client_secret")
      }`,
      error_codes: [900144],
    }, { status: 400 });
  });
  const base = fakes.config();
  const config = settings({
    ...base,
    sentinel: {
      ...base.sentinel!,
      authorityHost: `http://127.0.0.1:${echo.addr.port}`,
    },
  });
  const secret = config.clientSecret;
  const cache = new EntraTokenCache(config);
  const error = await cache.get({ fetch, nowMs: 0, timeoutMs: 5000 }).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(error instanceof EntraTokenError, String(error));
  assert.equal(error.status, 400);
  // The answer is read, the secret in it is not quoted.
  assert.match(error.message, /AADSTS900144/);
  assert.ok(
    !error.message.includes(secret),
    error.message,
  );
});
