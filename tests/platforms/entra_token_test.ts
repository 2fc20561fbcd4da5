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

const CONFIG: SentinelConfig = {
  tenantId: "contoso.onmicrosoft.com",
  clientId: "00000000-0000-0000-0000-000000000001",
  clientSecret: "app-secret~Value.0123456789",
  dcrImmutableId: "dcr-0123456789abcdef0123456789abcdef",
  streamName: "Custom-HarombeSecurity",
  authorityHost: "https://login.microsoftonline.com",
  scope: "https://monitor.azure.com/.default",
};

/** A token endpoint answering from `answers` in turn; records each request. */
function tokenEndpoint(
  answers: Array<{ status: number; body: unknown }>,
): { fetch: typeof fetch; requests: Request[]; bodies: string[] } {
  const requests: Request[] = [];
  const bodies: string[] = [];
  const doFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    requests.push(request);
    bodies.push(await request.clone().text());
    const answer = answers[Math.min(requests.length, answers.length) - 1]!;
    return new Response(
      typeof answer.body === "string"
        ? answer.body
        : JSON.stringify(answer.body),
      {
        status: answer.status,
        headers: { "content-type": "application/json" },
      },
    );
  };
  return { fetch: doFetch, requests, bodies };
}

Deno.test("EntraTokenCache asks with a client-credentials form at <authority>/<tenant>/oauth2/v2.0/token, redirects not followed", async () => {
  const endpoint = tokenEndpoint([
    {
      status: 200,
      body: { access_token: "tok-1", expires_in: "3599", token_type: "Bearer" },
    },
  ]);
  const cache = new EntraTokenCache(CONFIG);
  assert.equal(
    await cache.get({ fetch: endpoint.fetch, nowMs: 0, timeoutMs: 5000 }),
    "tok-1",
  );
  const [request] = endpoint.requests;
  assert.equal(request!.method, "POST");
  assert.equal(
    request!.url,
    "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
  );
  assert.equal(request!.redirect, "manual");
  assert.equal(
    request!.headers.get("content-type"),
    "application/x-www-form-urlencoded",
  );
  assert.equal(request!.headers.get("accept"), "application/json");
  assert.deepEqual(
    Object.fromEntries(new URLSearchParams(endpoint.bodies[0])),
    {
      client_id: CONFIG.clientId,
      scope: CONFIG.scope,
      client_secret: CONFIG.clientSecret,
      grant_type: "client_credentials",
    },
  );
  // expires_in as a string (as some gateways send it) is read as seconds.
  assert.equal(
    await cache.get({
      fetch: endpoint.fetch,
      nowMs: 3599_000 - 300_001,
      timeoutMs: 5000,
    }),
    "tok-1",
  );
  assert.equal(endpoint.requests.length, 1);
});

Deno.test("EntraTokenCache refuses a 200 without a usable token: a blank or spaced token, no expiry, expires_in 0 or negative", async () => {
  for (
    const body of [
      { access_token: "", expires_in: 3599 },
      { access_token: "has space", expires_in: 3599 },
      { access_token: "tok", expires_in: 0 },
      { access_token: "tok", expires_in: -5 },
      { access_token: "tok" },
      { access_token: "tok", expires_in: "soon" },
      { expires_in: 3599 },
    ]
  ) {
    const endpoint = tokenEndpoint([{ status: 200, body }]);
    await assert.rejects(
      new EntraTokenCache(CONFIG).get({
        fetch: endpoint.fetch,
        nowMs: 0,
        timeoutMs: 5000,
      }),
      (error: unknown) =>
        error instanceof EntraTokenError && error.status === 200 &&
        /not Microsoft Entra's/.test(error.setup ?? ""),
      JSON.stringify(body),
    );
  }
});

Deno.test("EntraTokenCache keeps the last four replaced or refused tokens for redaction, newest first", async () => {
  const answers = [1, 2, 3, 4, 5, 6].map((n) => ({
    status: 200,
    body: { access_token: `tok-${n}`, expires_in: 60 },
  }));
  const endpoint = tokenEndpoint(answers);
  const cache = new EntraTokenCache(CONFIG);
  for (let n = 0; n < 6; n++) {
    await cache.get({
      fetch: endpoint.fetch,
      nowMs: n * 60_000,
      timeoutMs: 5000,
    });
  }
  assert.deepEqual(cache.recent, ["tok-6", "tok-5", "tok-4", "tok-3", "tok-2"]);
  cache.invalidate();
  assert.equal(cache.current, undefined);
  assert.deepEqual(cache.recent, ["tok-6", "tok-5", "tok-4", "tok-3"]);
});

Deno.test("EntraTokenCache: an aborted post throws the abort's reason, not a token error, and no stale token stands in", async () => {
  const controller = new AbortController();
  const reason = new Error("post aborted");
  const doFetch: typeof fetch = (_input, init) =>
    new Promise((_, reject) => {
      init?.signal?.addEventListener(
        "abort",
        () => reject(init.signal!.reason),
      );
      controller.abort(reason);
    });
  await assert.rejects(
    new EntraTokenCache(CONFIG).get({
      fetch: doFetch,
      nowMs: 0,
      timeoutMs: 5000,
      signal: controller.signal,
    }),
    (error: unknown) => error === reason,
  );
});

Deno.test("entraTokenFailure(): a redirect names the login host; each AADSTS code is read from error_codes or from the description alone; else the generic hint", () => {
  const config = CONFIG;
  const redirect = entraTokenFailure(302, "", config);
  assert.equal(redirect.status, 302);
  assert.equal(
    redirect.setup,
    "the token endpoint redirects: check sentinel.authorityHost (https://login.microsoftonline.com)",
  );
  assert.equal(
    redirect.message,
    "Entra token request failed (HTTP 302): (empty body)",
  );
  const cases: Array<[number, RegExp]> = [
    [7000222, /secret has expired/],
    [7000215, /secret is wrong/],
    [
      700016,
      /no application with client id 00000000-0000-0000-0000-000000000001 in tenant contoso\.onmicrosoft\.com/,
    ],
    [
      90002,
      /tenant contoso\.onmicrosoft\.com is not known to https:\/\/login\.microsoftonline\.com/,
    ],
    [900023, /tenant contoso\.onmicrosoft\.com is not known/],
    [90013, /tenant contoso\.onmicrosoft\.com is not known/],
    [1002012, /the scope https:\/\/monitor\.azure\.com\/\.default is refused/],
    [70011, /the scope https:\/\/monitor\.azure\.com\/\.default is refused/],
  ];
  for (const [code, hint] of cases) {
    const byCode = entraTokenFailure(
      400,
      JSON.stringify({ error: "invalid_request", error_codes: [code] }),
      config,
    );
    assert.match(byCode.setup ?? "", hint, `error_codes ${code}`);
    const byText = entraTokenFailure(
      400,
      JSON.stringify({
        error: "invalid_request",
        error_description: `AADSTS${code}: something.\r\nTrace ID: 1`,
      }),
      config,
    );
    assert.match(byText.setup ?? "", hint, `description ${code}`);
    // Only the description's first line is quoted.
    assert.equal(
      byText.message,
      `Entra token request failed (HTTP 400): invalid_request: AADSTS${code}: something.`,
    );
  }
  assert.match(
    entraTokenFailure(400, JSON.stringify({ error: "invalid_scope" }), config)
      .setup ?? "",
    /scope .* is refused/,
  );
  const other = entraTokenFailure(
    400,
    JSON.stringify({ error: "invalid_grant", error_codes: [12345] }),
    config,
  );
  assert.equal(
    other.message,
    "Entra token request failed (HTTP 400): invalid_grant",
  );
  assert.match(
    other.setup ?? "",
    /^check sentinel\.tenantId, sentinel\.clientId and sentinel\.clientSecret/,
  );
  for (const status of [408, 429, 500, 503]) {
    const busy = entraTokenFailure(
      status,
      JSON.stringify({ error: "temporarily_unavailable" }),
      config,
    );
    assert.equal(busy.setup, undefined, `${status}`);
    assert.equal(busy.status, status);
  }
});
