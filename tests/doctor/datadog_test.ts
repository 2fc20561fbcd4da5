import assert from "node:assert/strict";
import { checkDestination } from "../../src/doctor/check_destination.ts";
import type { DestinationDiagnosis } from "../../src/doctor/report.ts";
import { type Script, scriptedFetch } from "./_scripted_fetch.ts";

const KEY = "0123456789abcdef0123456789abcdef";
const INTAKE = "https://http-intake.logs.datadoghq.eu";
const INTAKE_GET = `GET ${INTAKE}/api/v2/logs`;
const VALIDATE = "GET https://api.datadoghq.eu/api/v1/validate";
const LOGS_POST = `POST ${INTAKE}/api/v2/logs`;

async function diagnose(
  script: Script,
  extra: Record<string, unknown> = { token: KEY },
  sendTestEvent = false,
): Promise<
  {
    diagnosis: DestinationDiagnosis;
    requests: ReturnType<typeof scriptedFetch>["requests"];
  }
> {
  const fake = scriptedFetch(script);
  const diagnosis = await checkDestination(
    { platform: "datadog", endpoint: INTAKE, ...extra },
    { fetch: fake.fetch, sendTestEvent },
  );
  assert.deepEqual(fake.unexpected, []);
  return { diagnosis, requests: fake.requests };
}

function steps(diagnosis: DestinationDiagnosis): string[] {
  return diagnosis.checks.map((c) => `${c.step}:${c.status}`);
}

Deno.test("doctor datadog: the intake probe carries no key; the validation carries DD-API-KEY to the site's API host", async () => {
  const { diagnosis, requests } = await diagnose({
    [INTAKE_GET]: { status: 405, text: "" },
    [VALIDATE]: { status: 200, json: { valid: true } },
  });
  assert.deepEqual(steps(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:ok",
    "test_event:skipped",
  ]);
  assert.equal(requests[0]!.headers.get("dd-api-key"), null);
  assert.equal(requests[1]!.headers.get("dd-api-key"), KEY);
  assert.equal(
    diagnosis.checks[0]!.message,
    "http-intake.logs.datadoghq.eu and api.datadoghq.eu answer.",
  );
  assert.equal(
    diagnosis.checks[2]!.message,
    "The API key is valid on site datadoghq.eu.",
  );
});

Deno.test("doctor datadog: {valid:false} with 200, or another JSON answer, fails the authentication quoting the answer", async () => {
  for (
    const [status, json] of [[200, { valid: false }], [500, {
      status: "error",
    }]] as const
  ) {
    const { diagnosis } = await diagnose({
      [INTAKE_GET]: { status: 405, text: "" },
      [VALIDATE]: { status, json },
    });
    assert.deepEqual(steps(diagnosis), [
      "connection:ok",
      "authentication:fail",
    ]);
    assert.match(
      diagnosis.checks[1]!.message,
      new RegExp(
        `^api\\.datadoghq\\.eu \\(HTTP ${status}, application/json\\) answered the API key validation with ${
          JSON.stringify(json).replace(/[{}]/g, "\\$&")
        }: check the endpoint and the API key\\.$`,
      ),
    );
  }
});

Deno.test("doctor datadog: a 403 without Datadog's errors array is not a refused key", async () => {
  const { diagnosis } = await diagnose({
    [INTAKE_GET]: { status: 405, text: "" },
    [VALIDATE]: { status: 403, json: { message: "blocked by WAF" } },
  });
  assert.deepEqual(steps(diagnosis), ["connection:ok", "authentication:fail"]);
  assert.match(diagnosis.checks[1]!.message, /blocked by WAF/);
});

Deno.test("doctor datadog: an HTML answer at the validation is a foreign answer", async () => {
  const { diagnosis } = await diagnose({
    [INTAKE_GET]: { status: 405, text: "" },
    [VALIDATE]: {
      status: 403,
      text: "<html><title>Forbidden</title></html>",
      headers: { "content-type": "text/html" },
    },
  });
  assert.deepEqual(steps(diagnosis), ["connection:ok", "platform:fail"]);
  assert.match(
    diagnosis.checks[1]!.message,
    /not Datadog's but a page titled "Forbidden"/,
  );
});

Deno.test("doctor datadog: no configured key is named as such, and no other site is asked", async () => {
  const { diagnosis, requests } = await diagnose({
    [INTAKE_GET]: { status: 405, text: "" },
    [VALIDATE]: { status: 403, json: { errors: ["Forbidden"] } },
  }, { token: "" });
  assert.deepEqual(steps(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:fail",
  ]);
  assert.match(
    diagnosis.checks[2]!.message,
    /^No Datadog API key is configured/,
  );
  assert.equal(requests.length, 2);
});

Deno.test("doctor datadog: a failed intake probe is a connection failure, and the key is not sent anywhere", async () => {
  const fake = scriptedFetch({});
  const failing: typeof fetch = (input, init) =>
    new Request(input, init).url.startsWith(INTAKE)
      ? Promise.reject(
        new TypeError(
          "error sending request: Connection refused (os error 111)",
        ),
      )
      : fake.fetch(input, init);
  const diagnosis = await checkDestination(
    { platform: "datadog", endpoint: INTAKE, token: KEY },
    { fetch: failing },
  );
  assert.deepEqual(steps(diagnosis), ["connection:fail"]);
  assert.match(diagnosis.checks[0]!.message, /refused the connection/);
  assert.equal(fake.requests.length, 0);
});

Deno.test("doctor datadog: --send-test-event posts one log to the intake and names the site", async () => {
  const { diagnosis, requests } = await diagnose(
    {
      [INTAKE_GET]: { status: 405, text: "" },
      [VALIDATE]: { status: 200, json: { valid: true } },
      [LOGS_POST]: { status: 202, json: {} },
    },
    { token: KEY },
    true,
  );
  assert.deepEqual(steps(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:ok",
    "test_event:ok",
  ]);
  assert.match(
    diagnosis.checks[3]!.message,
    /^A test event was delivered to Datadog \(datadoghq\.eu\)/,
  );
  assert.equal(requests.filter((r) => r.method === "POST").length, 1);
  assert.equal(requests[2]!.headers.get("dd-api-key"), KEY);
});

Deno.test("doctor datadog: a test log refused with a setup error says so, with the hint", async () => {
  const { diagnosis } = await diagnose(
    {
      [INTAKE_GET]: { status: 405, text: "" },
      [VALIDATE]: { status: 200, json: { valid: true } },
      [LOGS_POST]: { status: 403, json: { errors: ["Forbidden"] } },
    },
    { token: KEY },
    true,
  );
  assert.equal(diagnosis.canDeliver, false);
  assert.equal(diagnosis.checks[3]!.step, "test_event");
  assert.equal(diagnosis.checks[3]!.status, "fail");
  assert.equal(
    diagnosis.checks[3]!.message,
    "The test event to Datadog (datadoghq.eu) was not delivered: HTTP 403: Forbidden. check the API key (DD-API-KEY) and that the endpoint is its Datadog site.",
  );
});
