import assert from "node:assert/strict";
import { diagnosingLogger } from "../../src/doctor/diagnosing_logger.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";

Deno.test("diagnosingLogger: a destination's first failed delivery prints its diagnosis once", async () => {
  await using hec = startFakeSplunk({ token: "right" });
  const config = parseSIEMConfig({
    platform: "splunk",
    endpoint: hec.url,
    token: "wrong",
  });
  const inner: string[] = [];
  const printed: string[] = [];
  const logger = diagnosingLogger(
    [config],
    {
      warn: (message) => inner.push(`warn ${message}`),
      error: (message) => inner.push(`error ${message}`),
    },
    (text) => printed.push(text),
  );
  logger.warn("split stopped: too many requests", { destination: "splunk" });
  await logger.idle();
  assert.deepEqual(printed, []);
  logger.error("destination setup error", { destination: "splunk" });
  logger.warn("destination backing off", { destination: "splunk" });
  logger.error("destination setup error", { destination: "unknown" });
  await logger.idle();
  assert.deepEqual(inner, [
    "warn split stopped: too many requests",
    "error destination setup error",
    "warn destination backing off",
    "error destination setup error",
  ]);
  assert.equal(printed.length, 1);
  assert.match(
    printed[0]!,
    /^doctor: splunk failed a delivery; what the doctor finds:\nsplunk \(splunk, /,
  );
  assert.match(
    printed[0]!,
    /FAIL authentication {2}HEC does not know this token/,
  );
  // The doctor's own requests: health and the empty POST, nothing indexed.
  assert.equal(hec.requests.length, 2);
});

Deno.test('diagnosingLogger: retries that ran out ("destination backing off") also run the doctor, once per destination, never with a test event', async () => {
  await using hec = startFakeSplunk({ token: "right" });
  const configs = ["a", "b"].map((name) =>
    parseSIEMConfig({
      name,
      platform: "splunk",
      endpoint: hec.url,
      token: "right",
    })
  );
  const printed: string[] = [];
  const logger = diagnosingLogger(
    configs,
    { warn: () => {}, error: () => {} },
    (text) => printed.push(text),
    { sendTestEvent: true },
  );
  logger.warn("destination backing off", { destination: "a" });
  logger.warn("destination backing off", { destination: "a" });
  logger.warn("destination backing off", { destination: "b" });
  logger.warn("destination backing off", {});
  await logger.idle();
  // The two doctors run side by side: either may print first.
  assert.deepEqual(
    printed.map((text) => text.split(";")[0]).sort(),
    ["doctor: a failed a delivery", "doctor: b failed a delivery"],
  );
  // Two doctors, each health + empty POST; no test event indexed.
  assert.equal(hec.requests.length, 4);
  assert.deepEqual(hec.events, []);
});
