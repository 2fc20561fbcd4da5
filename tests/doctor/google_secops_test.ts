import assert from "node:assert/strict";
import { checkDestination } from "../../src/doctor/check_destination.ts";
import type { DestinationDiagnosis } from "../../src/doctor/report.ts";
import type {
  GoogleServiceAccountKey,
  SIEMConfigInput,
} from "../../src/platforms/siem_config.ts";
import {
  type FakeGoogleToken,
  makeServiceAccount,
  startFakeGoogleToken,
  type TestServiceAccount,
} from "../fakes/fake_google_token.ts";
import {
  type FakeGoogleSecOps,
  startFakeGoogleSecOps,
} from "../fakes/fake_google_secops.ts";

const EMAIL = "siem-writer@test-project.iam.gserviceaccount.com";
const INSTANCE = "ebdc4bb9-878b-11e7-8455-10604b7cb5c1";

interface Google extends AsyncDisposable {
  tokens: FakeGoogleToken;
  chronicle: FakeGoogleSecOps;
  account: TestServiceAccount;
  config(
    logType?: string,
    key?: GoogleServiceAccountKey,
  ): SIEMConfigInput;
}

async function startGoogle(): Promise<Google> {
  const tokens = startFakeGoogleToken({ email: EMAIL });
  const account = await makeServiceAccount(tokens.tokenUri, EMAIL);
  tokens.trust(account.publicKey);
  const chronicle = startFakeGoogleSecOps({
    tokens,
    project: "test-project",
    location: "eu",
    instance: INSTANCE,
    logTypes: ["HAROMBE_AUDIT"],
  });
  return {
    tokens,
    chronicle,
    account,
    config: (logType = "HAROMBE_AUDIT", key = account.key) => ({
      platform: "google_secops",
      endpoint: chronicle.url,
      googleSecOps: {
        credentials: key,
        project: "test-project",
        location: "eu",
        instance: INSTANCE,
        logType,
      },
    }),
    async [Symbol.asyncDispose](): Promise<void> {
      await chronicle.close();
      await tokens.close();
    },
  };
}

function step(diagnosis: DestinationDiagnosis, name: string): string {
  const check = diagnosis.checks.find((c) => c.step === name);
  return check ? `${check.status}: ${check.message}` : "(none)";
}

Deno.test("checkDestination() google_secops: a working setup passes every step and sends no log", async () => {
  await using google = await startGoogle();
  const diagnosis = await checkDestination(google.config());
  assert.equal(diagnosis.canDeliver, true);
  assert.deepEqual(diagnosis.checks.map((c) => [c.step, c.status]), [
    ["authentication", "ok"],
    ["connection", "ok"],
    ["platform", "ok"],
    ["permission", "ok"],
    ["test_event", "skipped"],
  ]);
  assert.equal(google.chronicle.logs.length, 0);
});

Deno.test("checkDestination() google_secops: with sendTestEvent, one log is imported", async () => {
  await using google = await startGoogle();
  const diagnosis = await checkDestination(google.config(), {
    sendTestEvent: true,
  });
  assert.match(
    step(diagnosis, "test_event"),
    /^ok: A test event was delivered/,
  );
  assert.equal(google.chronicle.logs.length, 1);
});

Deno.test("checkDestination() google_secops: a key Google refuses is an authentication failure, in words", async () => {
  await using google = await startGoogle();
  const other = await makeServiceAccount(google.tokens.tokenUri, EMAIL);
  google.tokens.trust(other.publicKey);
  const diagnosis = await checkDestination(google.config());
  assert.equal(diagnosis.canDeliver, false);
  assert.match(
    step(diagnosis, "authentication"),
    /^fail: token endpoint answered HTTP 400: invalid_grant: Invalid JWT Signature\..*Google refused the service-account key/,
  );
  assert.equal(google.chronicle.requests.length, 0);
});

Deno.test("checkDestination() google_secops: a private key that cannot be read is an authentication failure", async () => {
  await using google = await startGoogle();
  const diagnosis = await checkDestination(google.config("HAROMBE_AUDIT", {
    client_email: EMAIL,
    private_key:
      "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
    token_uri: google.tokens.tokenUri,
  }));
  assert.match(
    step(diagnosis, "authentication"),
    /^fail: cannot read the service account's private key/,
  );
  assert.equal(google.tokens.requests.length, 0);
});

Deno.test("checkDestination() google_secops: a missing permission is a permission failure naming the role", async () => {
  await using google = await startGoogle();
  google.chronicle.permitted = false;
  const diagnosis = await checkDestination(google.config());
  assert.match(
    step(diagnosis, "permission"),
    /^fail: .* may not use instance .*Chronicle API Editor/,
  );
});

Deno.test("checkDestination() google_secops: an unknown log type is named", async () => {
  await using google = await startGoogle();
  const diagnosis = await checkDestination(google.config("NOT_A_TYPE"));
  assert.match(
    step(diagnosis, "permission"),
    /^fail: Chronicle does not know log type NOT_A_TYPE in instance/,
  );
});

Deno.test("checkDestination() google_secops: an unreachable token endpoint is a connection failure", async () => {
  await using google = await startGoogle();
  const diagnosis = await checkDestination(google.config("HAROMBE_AUDIT", {
    ...google.account.key,
    token_uri: "http://127.0.0.1:1/token",
  }));
  assert.match(
    step(diagnosis, "connection"),
    /^fail: No access token from 127\.0\.0\.1:1: token request failed: network error/,
  );
});

/** The real token endpoint; the log type's GET answered by `answer`. */
function logTypeAnswer(
  tokens: FakeGoogleToken,
  answer: { status: number; body: string; type: string },
): { fetch: typeof fetch; authorization: () => string | null } {
  let authorization: string | null = null;
  const doFetch: typeof fetch = (input, init) => {
    const request = new Request(input, init);
    if (request.url.startsWith(tokens.tokenUri)) return fetch(request);
    authorization = request.headers.get("authorization");
    // A gateway that echoes the request's token where "{TOKEN}" stands.
    const token = authorization?.replace(/^Bearer /, "") ?? "";
    return Promise.resolve(
      new Response(answer.body.replaceAll("{TOKEN}", token), {
        status: answer.status,
        headers: { "content-type": answer.type },
      }),
    );
  };
  return { fetch: doFetch, authorization: () => authorization };
}

Deno.test("checkDestination() google_secops: a 401, another JSON error and a foreign page at the log type are told apart", async () => {
  await using google = await startGoogle();
  const cases: Array<[number, string, string, string, RegExp]> = [
    [
      401,
      '{"error":{"code":401,"message":"Request had invalid authentication credentials."}}',
      "application/json",
      "authentication",
      /^fail: The Chronicle API refuses the access token \(HTTP 401 \(Request had invalid authentication credentials\.\)\): check that the endpoint is the Chronicle API host of location eu\./,
    ],
    [
      500,
      '{"error":{"code":500,"message":"Internal error encountered. {TOKEN}"}}',
      "application/json",
      "platform",
      /^fail: Chronicle answered HTTP 500 \(Internal error encountered\. \[redacted\]\) for the log type\.$/,
    ],
    [
      502,
      "<html><title>502 Bad Gateway {TOKEN}</title></html>",
      "text/html",
      "platform",
      /^fail: The answer from .* is not Google SecOps's but a page titled "502 Bad Gateway \[redacted\]"/,
    ],
  ];
  for (const [status, body, type, name, message] of cases) {
    const fake = logTypeAnswer(google.tokens, { status, body, type });
    const diagnosis = await checkDestination(google.config(), {
      fetch: fake.fetch,
    });
    assert.deepEqual(
      diagnosis.checks.map((c) => `${c.step}:${c.status}`),
      ["authentication:ok", "connection:ok", `${name}:fail`],
    );
    const last = diagnosis.checks.at(-1)!;
    assert.match(`${last.status}: ${last.message}`, message);
    assert.match(fake.authorization() ?? "", /^Bearer \S+$/);
    for (const issued of google.tokens.issued.keys()) {
      assert.equal(JSON.stringify(diagnosis).includes(issued), false);
    }
  }
});

Deno.test("checkDestination() google_secops: the log type is asked at /v1beta/projects/…/logTypes/<type>", async () => {
  await using google = await startGoogle();
  let asked = "";
  const doFetch: typeof fetch = (input, init) => {
    const request = new Request(input, init);
    if (request.url.startsWith(google.tokens.tokenUri)) return fetch(request);
    asked = `${request.method} ${request.url}`;
    return Promise.resolve(Response.json({ name: "x" }));
  };
  const config = google.config();
  await checkDestination(config, { fetch: doFetch });
  assert.equal(
    asked,
    `GET ${google.chronicle.url}/v1beta/projects/test-project/locations/eu/instances/${INSTANCE}/logTypes/HAROMBE_AUDIT`,
  );
});
