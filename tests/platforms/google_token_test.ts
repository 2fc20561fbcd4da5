import assert from "node:assert/strict";
import {
  GoogleTokenError,
  GoogleTokenSource,
} from "../../src/platforms/google_token.ts";
import type { GoogleServiceAccountCredentials } from "../../src/platforms/google_secops_config.ts";
import { makeServiceAccount } from "../fakes/fake_google_token.ts";

const TOKEN_URI = "https://oauth2.example.com/token";
const SCOPE = "https://www.googleapis.com/auth/malachite-ingestion";
const account = await makeServiceAccount(
  TOKEN_URI,
  "w@p.iam.gserviceaccount.com",
);
const KEY: GoogleServiceAccountCredentials = {
  client_email: account.key.client_email,
  private_key: account.key.private_key,
  token_uri: TOKEN_URI,
};

/** A token endpoint answering from `answers` in turn; records each form. */
function endpoint(
  answers: Array<{ status: number; body: unknown }>,
): { fetch: typeof fetch; requests: Request[]; forms: URLSearchParams[] } {
  const requests: Request[] = [];
  const forms: URLSearchParams[] = [];
  const doFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    requests.push(request);
    forms.push(new URLSearchParams(await request.clone().text()));
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
  return { fetch: doFetch, requests, forms };
}

function decode(part: string): Record<string, unknown> {
  return JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/")));
}

Deno.test("GoogleTokenSource posts a JWT-bearer form whose RS256 assertion Google can verify: iss, scope, aud, iat in seconds, exp one hour later", async () => {
  const fake = endpoint([{
    status: 200,
    body: { access_token: "ya29.a", expires_in: 3599 },
  }]);
  const source = new GoogleTokenSource(KEY, SCOPE);
  const nowMs = 1_764_000_000_999;
  assert.equal(
    await source.token(nowMs, fake.fetch, undefined, 5000),
    "ya29.a",
  );
  const [request] = fake.requests;
  assert.equal(request!.method, "POST");
  assert.equal(request!.url, TOKEN_URI);
  assert.equal(request!.redirect, "manual");
  assert.equal(
    request!.headers.get("content-type"),
    "application/x-www-form-urlencoded",
  );
  const form = fake.forms[0]!;
  assert.deepEqual([...form.keys()], ["grant_type", "assertion"]);
  assert.equal(
    form.get("grant_type"),
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
  );
  const [header, claims, signature] = form.get("assertion")!.split(".");
  assert.deepEqual(decode(header!), { alg: "RS256", typ: "JWT" });
  assert.deepEqual(decode(claims!), {
    iss: "w@p.iam.gserviceaccount.com",
    scope: SCOPE,
    aud: TOKEN_URI,
    iat: 1_764_000_000,
    exp: 1_764_003_600,
  });
  const raw = atob(signature!.replace(/-/g, "+").replace(/_/g, "/"));
  const verified = await crypto.subtle.verify(
    "RSASSA-PKCS1-v1_5",
    account.publicKey,
    Uint8Array.from(raw, (c) => c.charCodeAt(0)),
    new TextEncoder().encode(`${header}.${claims}`),
  );
  assert.equal(verified, true);
  assert.equal(source.current, "ya29.a");
  // The assertion and the token are both held for redaction.
  assert.deepEqual(source.issued, ["ya29.a", form.get("assertion")]);
});

Deno.test("GoogleTokenSource refreshes 5 minutes before expiry, or at four fifths of a short life; no expires_in is one hour", async () => {
  const cases: Array<[unknown, number]> = [
    [3600, 3_300_000],
    [100, 80_000],
    [undefined, 3_300_000],
    [0, 3_300_000],
    ["3600", 3_300_000],
  ];
  for (const [expiresIn, refreshAt] of cases) {
    const fake = endpoint([
      { status: 200, body: { access_token: "first", expires_in: expiresIn } },
      { status: 200, body: { access_token: "second", expires_in: 3600 } },
    ]);
    const source = new GoogleTokenSource(KEY, SCOPE);
    await source.token(0, fake.fetch, undefined, 5000);
    assert.equal(
      await source.token(refreshAt - 1, fake.fetch, undefined, 5000),
      "first",
      `${expiresIn}`,
    );
    assert.equal(
      await source.token(refreshAt, fake.fetch, undefined, 5000),
      "second",
      `${expiresIn}`,
    );
    assert.equal(fake.requests.length, 2);
  }
});

Deno.test("GoogleTokenSource: a refusal is a setup error quoting Google's error; 408/429/5xx are not; a 200 without a token names token_uri", async () => {
  const source = () => new GoogleTokenSource(KEY, SCOPE);
  const refused = endpoint([{
    status: 400,
    body: {
      error: "invalid_grant",
      error_description: "Invalid JWT Signature.",
    },
  }]);
  await assert.rejects(
    source().token(0, refused.fetch, undefined, 5000),
    (error: unknown) =>
      error instanceof GoogleTokenError && error.status === 400 &&
      error.message ===
        "token endpoint answered HTTP 400: invalid_grant: Invalid JWT Signature." &&
      /^Google refused the service-account key \(invalid_grant\)/.test(
        error.setup ?? "",
      ),
  );
  const page = endpoint([{ status: 403, body: "<html>denied</html>" }]);
  await assert.rejects(
    source().token(0, page.fetch, undefined, 5000),
    (error: unknown) =>
      error instanceof GoogleTokenError &&
      error.message ===
        "token endpoint answered HTTP 403: <html>denied</html>" &&
      /^Google refused the service-account key \(HTTP 403\)/.test(
        error.setup ?? "",
      ),
  );
  for (const status of [408, 429, 500, 503]) {
    const busy = endpoint([{ status, body: { error: "backendError" } }]);
    await assert.rejects(
      source().token(0, busy.fetch, undefined, 5000),
      (error: unknown) =>
        error instanceof GoogleTokenError && error.status === status &&
        error.setup === undefined,
      `${status}`,
    );
  }
  const empty = endpoint([{ status: 200, body: { token_type: "Bearer" } }]);
  await assert.rejects(
    source().token(0, empty.fetch, undefined, 5000),
    (error: unknown) =>
      error instanceof GoogleTokenError && error.status === 200 &&
      /answered without an access_token: check token_uri/.test(
        error.setup ?? "",
      ),
  );
});

Deno.test("GoogleTokenSource: a network error has status 0 and no setup; an aborted request throws the abort as is", async () => {
  const failing: typeof fetch = () =>
    Promise.reject(new TypeError("error sending request: connection reset"));
  await assert.rejects(
    new GoogleTokenSource(KEY, SCOPE).token(
      0,
      failing,
      undefined,
      5000,
    ),
    (error: unknown) =>
      error instanceof GoogleTokenError && error.status === 0 &&
      error.setup === undefined &&
      /^token request failed: network error: .*connection reset/.test(
        error.message,
      ),
  );
  const controller = new AbortController();
  const reason = new DOMException("stopped", "AbortError");
  const aborting: typeof fetch = (_input, init) =>
    new Promise((_, reject) => {
      init?.signal?.addEventListener("abort", () => reject(reason));
      controller.abort();
    });
  await assert.rejects(
    new GoogleTokenSource(KEY, SCOPE).token(
      0,
      aborting,
      controller.signal,
      5000,
    ),
    (error: unknown) => error === reason,
  );
});

Deno.test("GoogleTokenSource.invalidate() forgets only the refused token; issued keeps the last four", async () => {
  const answers = [1, 2, 3].map((n) => ({
    status: 200,
    body: { access_token: `tok-${n}`, expires_in: 3600 },
  }));
  const fake = endpoint(answers);
  const source = new GoogleTokenSource(KEY, SCOPE);
  assert.equal(await source.token(0, fake.fetch, undefined, 5000), "tok-1");
  source.invalidate("not-this-one");
  assert.equal(await source.token(0, fake.fetch, undefined, 5000), "tok-1");
  source.invalidate("tok-1");
  assert.equal(source.current, undefined);
  assert.equal(await source.token(0, fake.fetch, undefined, 5000), "tok-2");
  source.invalidate();
  assert.equal(await source.token(0, fake.fetch, undefined, 5000), "tok-3");
  assert.equal(source.issued.length, 4);
  assert.equal(source.issued[0], "tok-3");
  assert.equal(source.issued[2], "tok-2");
});
