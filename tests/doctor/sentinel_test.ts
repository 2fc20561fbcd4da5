import assert from "node:assert/strict";
import { checkDestination } from "../../src/doctor/check_destination.ts";
import { formatDiagnosis } from "../../src/doctor/format.ts";
import type {
  DestinationDiagnosis,
  DoctorStep,
} from "../../src/doctor/report.ts";
import { TEST_EVENT_ACTION } from "../../src/doctor/test_event.ts";
import { SENTINEL, startSentinelFakes } from "../support/sentinel.ts";

/** The failing step and its message; asserts there is exactly one. */
function failure(
  diagnosis: DestinationDiagnosis,
): { step: DoctorStep; message: string } {
  assert.equal(diagnosis.canDeliver, false, JSON.stringify(diagnosis));
  const failed = diagnosis.checks.filter((c) => c.status === "fail");
  assert.equal(failed.length, 1, JSON.stringify(diagnosis.checks));
  return { step: failed[0]!.step, message: failed[0]!.message };
}

function statuses(diagnosis: DestinationDiagnosis): string[] {
  return diagnosis.checks.map((c) => `${c.step}:${c.status}`);
}

/** No secret and no issued token anywhere in the diagnosis or its text. */
function assertNoCredential(
  diagnosis: DestinationDiagnosis,
  credentials: readonly string[],
): void {
  const text = JSON.stringify(diagnosis) + formatDiagnosis(diagnosis);
  for (const credential of credentials) {
    assert.equal(text.includes(credential), false, credential);
  }
}

Deno.test("doctor: a healthy Sentinel destination can deliver, and nothing is stored", async () => {
  await using fakes = startSentinelFakes();
  const diagnosis = await checkDestination(fakes.config());
  assert.equal(diagnosis.canDeliver, true, JSON.stringify(diagnosis));
  assert.deepEqual(statuses(diagnosis), [
    "authentication:ok",
    "connection:ok",
    "platform:ok",
    "permission:ok",
    "test_event:skipped",
  ]);
  assert.match(diagnosis.checks[4]!.message, /--send-test-event/);
  // The upload was an empty array: nothing stored.
  assert.deepEqual(fakes.sentinel.rows, []);
  assert.deepEqual(
    fakes.sentinel.requests.map((r) => new TextDecoder().decode(r.body)),
    ["[]"],
  );
  assertNoCredential(diagnosis, [
    SENTINEL.clientSecret,
    ...fakes.entra.tokens,
  ]);
});

Deno.test("doctor: a wrong client secret is named as such, before the endpoint is asked", async () => {
  await using fakes = startSentinelFakes();
  const config = fakes.config();
  const wrong = "wrong-SECRET~0123456789.abcdef";
  config.sentinel = { ...config.sentinel!, clientSecret: wrong };
  const diagnosis = await checkDestination(config);
  const { step, message } = failure(diagnosis);
  assert.equal(step, "authentication");
  assert.match(message, /AADSTS7000215/);
  assert.match(
    message,
    /The client secret is wrong: set sentinel\.clientSecret \(SIEM_SENTINEL_CLIENT_SECRET\) to the secret's Value, not its Secret ID/,
  );
  assert.equal(fakes.sentinel.requests.length, 0);
  assertNoCredential(diagnosis, [wrong, SENTINEL.clientSecret]);
});

Deno.test("doctor: a wrong tenant and a wrong client id are told apart", async () => {
  await using fakes = startSentinelFakes();
  const base = fakes.config();
  const tenant = failure(
    await checkDestination({
      ...base,
      sentinel: { ...base.sentinel!, tenantId: "other.onmicrosoft.com" },
    }),
  );
  assert.equal(tenant.step, "authentication");
  assert.match(tenant.message, /Tenant other\.onmicrosoft\.com is not known/);
  const client = failure(
    await checkDestination({
      ...base,
      sentinel: {
        ...base.sentinel!,
        clientId: "99999999-9999-4999-8999-999999999999",
      },
    }),
  );
  assert.equal(client.step, "authentication");
  assert.match(
    client.message,
    /No application with client id 99999999-9999-4999-8999-999999999999 in tenant/,
  );
});

Deno.test("doctor: a wrong stream name is named, with where to look", async () => {
  await using fakes = startSentinelFakes();
  const base = fakes.config();
  const diagnosis = await checkDestination({
    ...base,
    sentinel: { ...base.sentinel!, streamName: "Custom-Audit" },
  });
  const { step, message } = failure(diagnosis);
  assert.equal(step, "platform");
  assert.match(message, /HTTP 404/);
  assert.match(message, /Stream 'Custom-Audit' is not declared/);
  assert.match(
    message,
    /its stream Custom-Audit is not found at this endpoint: check sentinel\.dcrImmutableId, sentinel\.streamName/,
  );
  assert.deepEqual(statuses(diagnosis), [
    "authentication:ok",
    "connection:ok",
    "platform:fail",
  ]);
});

Deno.test("doctor: a missing Monitoring Metrics Publisher role is a permission failure", async () => {
  await using fakes = startSentinelFakes();
  fakes.sentinel.assignRole(false);
  const { step, message } = failure(await checkDestination(fakes.config()));
  assert.equal(step, "permission");
  assert.match(message, /OperationFailed/);
  assert.match(message, /Monitoring Metrics Publisher role on the DCR/);
});

Deno.test("doctor: --send-test-event sends one row through the exporter", async () => {
  await using fakes = startSentinelFakes();
  const diagnosis = await checkDestination(fakes.config(), {
    sendTestEvent: true,
  });
  assert.equal(diagnosis.canDeliver, true, JSON.stringify(diagnosis));
  assert.equal(diagnosis.checks.at(-1)?.status, "ok");
  assert.equal(fakes.sentinel.rows.length, 1);
  assert.equal(fakes.sentinel.rows[0]!.action, TEST_EVENT_ACTION);
  assertNoCredential(diagnosis, [
    SENTINEL.clientSecret,
    ...fakes.entra.tokens,
  ]);
});

/** Entra answers with `token`; the upload URL with `upload`. */
function scripted(
  token: { status: number; json: unknown },
  upload: { status: number; body: string; type?: string },
): { fetch: typeof fetch; asked: string[] } {
  const asked: string[] = [];
  const doFetch: typeof fetch = (input, init) => {
    const request = new Request(input, init);
    asked.push(`${request.method} ${new URL(request.url).pathname}`);
    if (request.url.includes("/oauth2/v2.0/token")) {
      return Promise.resolve(
        Response.json(token.json, { status: token.status }),
      );
    }
    return Promise.resolve(
      new Response(upload.status === 204 ? null : upload.body, {
        status: upload.status,
        headers: { "content-type": upload.type ?? "application/json" },
      }),
    );
  };
  return { fetch: doFetch, asked };
}

const SCRIPTED_CONFIG = {
  platform: "sentinel" as const,
  endpoint: "https://dce-1.westeurope-1.ingest.monitor.azure.com",
  sentinel: { ...SENTINEL },
};
const ISSUED = {
  access_token: "eyJ0eXAiOiJKV1QiLCJhbGciOi.issued.token",
  expires_in: 3599,
  token_type: "Bearer",
};

Deno.test("doctor: a Logs Ingestion 401 is an authentication failure; another JSON error is the platform's; a page is foreign", async () => {
  const cases: Array<[number, string, string, string]> = [
    [
      401,
      '{"error":{"code":"InvalidToken","message":"token audience"}}',
      "application/json",
      "authentication:fail",
    ],
    [
      404,
      '{"error":{"code":"NotFound","message":"no such DCR for eyJ0eXAiOiJKV1QiLCJhbGciOi.issued.token"}}',
      "application/json",
      "platform:fail",
    ],
    [
      500,
      '{"error":{"code":"InternalServerError","message":"boom"}}',
      "application/json",
      "platform:fail",
    ],
    [
      502,
      "<html><title>Bad Gateway</title></html>",
      "text/html",
      "platform:fail",
    ],
  ];
  for (const [status, body, type, expected] of cases) {
    const fake = scripted({ status: 200, json: ISSUED }, {
      status,
      body,
      type,
    });
    const diagnosis = await checkDestination(SCRIPTED_CONFIG, {
      fetch: fake.fetch,
    });
    assert.deepEqual(statuses(diagnosis), [
      "authentication:ok",
      "connection:ok",
      expected,
    ], `${status}`);
    if (type === "application/json") {
      assert.match(
        diagnosis.checks[2]!.message,
        new RegExp(
          `\\(HTTP ${status}, application/json\\) answered \\{"error"`,
        ),
      );
    } else {
      assert.match(
        diagnosis.checks[2]!.message,
        /not Azure Monitor's but a page titled "Bad Gateway"/,
      );
    }
    assertNoCredential(diagnosis, [SENTINEL.clientSecret, ISSUED.access_token]);
  }
});

Deno.test("doctor: a 200 from Entra without an access token is an authentication failure, and nothing is uploaded", async () => {
  for (const json of [{ token_type: "Bearer" }, { access_token: "" }]) {
    const fake = scripted({ status: 200, json }, { status: 204, body: "" });
    const diagnosis = await checkDestination(SCRIPTED_CONFIG, {
      fetch: fake.fetch,
    });
    assert.deepEqual(statuses(diagnosis), ["authentication:fail"]);
    assert.equal(fake.asked.length, 1);
  }
});

Deno.test("doctor: the empty upload carries the issued token as Bearer, and an unreachable ingestion endpoint is a connection failure", async () => {
  let authorization: string | null = null;
  const doFetch: typeof fetch = (input, init) => {
    const request = new Request(input, init);
    if (request.url.includes("/oauth2/v2.0/token")) {
      return Promise.resolve(Response.json(ISSUED));
    }
    authorization = request.headers.get("authorization");
    return Promise.reject(
      new TypeError("error sending request: Connection refused (os error 111)"),
    );
  };
  const diagnosis = await checkDestination(SCRIPTED_CONFIG, { fetch: doFetch });
  assert.equal(authorization, `Bearer ${ISSUED.access_token}`);
  assert.deepEqual(statuses(diagnosis), [
    "authentication:ok",
    "connection:fail",
  ]);
  assert.match(diagnosis.checks[1]!.message, /refused the connection/);
});

Deno.test("doctor: a busy token endpoint (503) is an authentication failure that says to try again; a redirect names the login host", async () => {
  const busy = scripted(
    { status: 503, json: { error: "temporarily_unavailable" } },
    { status: 204, body: "" },
  );
  const diagnosis = await checkDestination(SCRIPTED_CONFIG, {
    fetch: busy.fetch,
  });
  assert.deepEqual(statuses(diagnosis), ["authentication:fail"]);
  assert.equal(
    diagnosis.checks[0]!.message,
    "Entra token request failed (HTTP 503): temporarily_unavailable. The token endpoint is busy: try again.",
  );
  assert.equal(busy.asked.length, 1);
  const moved: typeof fetch = () =>
    Promise.resolve(
      new Response(null, {
        status: 302,
        headers: { location: "https://login.example.com/" },
      }),
    );
  const redirected = await checkDestination(SCRIPTED_CONFIG, { fetch: moved });
  assert.deepEqual(statuses(redirected), ["connection:fail"]);
  assert.match(
    redirected.checks[0]!.message,
    /redirects \(HTTP 302\) to https:\/\/login\.example\.com\//,
  );
});
