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
