import assert from "node:assert/strict";
import { checkDestination } from "../../src/doctor/check_destination.ts";
import type { DestinationDiagnosis } from "../../src/doctor/report.ts";
import { type Script, scriptedFetch } from "./_scripted_fetch.ts";

const TOKEN = "11111111-2222-3333-4444-555555555555";
const BASE = "https://hec.example.com:8088";
const HEALTH = `GET ${BASE}/services/collector/health`;
const EVENT = `POST ${BASE}/services/collector/event`;
const HEALTHY = { status: 200, json: { text: "HEC is healthy", code: 17 } };

async function diagnose(
  script: Script,
  extra: Record<string, unknown> = { token: TOKEN },
  sendTestEvent = false,
): Promise<{ diagnosis: DestinationDiagnosis; methods: string[] }> {
  const fake = scriptedFetch(script);
  const diagnosis = await checkDestination(
    { platform: "splunk", endpoint: BASE, ...extra },
    { fetch: fake.fetch, sendTestEvent },
  );
  assert.deepEqual(fake.unexpected, []);
  return {
    diagnosis,
    methods: fake.requests.map((r) => `${r.method} ${r.url}`),
  };
}

function steps(diagnosis: DestinationDiagnosis): string[] {
  return diagnosis.checks.map((c) => `${c.step}:${c.status}`);
}

function last(diagnosis: DestinationDiagnosis): string {
  return diagnosis.checks.at(-1)!.message;
}

Deno.test("doctor splunk: the token probe is an empty POST with Authorization: Splunk <token>; the health probe has no credential", async () => {
  const fake = scriptedFetch({
    [HEALTH]: HEALTHY,
    [EVENT]: { status: 400, json: { text: "No data", code: 5 } },
  });
  const diagnosis = await checkDestination(
    { platform: "splunk", endpoint: BASE, token: TOKEN },
    { fetch: fake.fetch },
  );
  assert.equal(diagnosis.canDeliver, true);
  const [health, event] = fake.requests;
  assert.equal(health!.headers.get("authorization"), null);
  assert.equal(event!.headers.get("authorization"), `Splunk ${TOKEN}`);
  assert.equal(event!.body, "");
  assert.deepEqual(steps(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:ok",
    "permission:skipped",
  ]);
  assert.match(diagnosis.checks[0]!.message, /^hec\.example\.com:8088 answers/);
  assert.match(diagnosis.checks[1]!.message, /code 17/);
});

Deno.test("doctor splunk: a health answer in HEC's shape but not code 17 is a wrong endpoint, not a healthy HEC", async () => {
  const answers: Array<[number, number]> = [[200, 0], [400, 6], [404, 404]];
  for (const [status, code] of answers) {
    const { diagnosis, methods } = await diagnose({
      [HEALTH]: { status, json: { text: "Something else", code } },
    });
    assert.equal(diagnosis.canDeliver, false, `${status}/${code}`);
    assert.deepEqual(steps(diagnosis), ["connection:ok", "platform:fail"]);
    assert.match(
      last(diagnosis),
      new RegExp(
        `hec\\.example\\.com:8088 \\(HTTP ${status}, application/json\\) answered "Something else" \\(code ${code}\\) instead of HEC's health`,
      ),
    );
    assert.match(last(diagnosis), /8088 by default/);
    // Stops at the platform: no token probe.
    assert.deepEqual(methods, [HEALTH]);
  }
});

Deno.test("doctor splunk: a 503 health answer says HEC is unhealthy, with its text and code", async () => {
  const { diagnosis, methods } = await diagnose({
    [HEALTH]: { status: 503, json: { text: "Queues are full", code: 18 } },
  });
  assert.deepEqual(steps(diagnosis), ["connection:ok", "platform:fail"]);
  assert.match(last(diagnosis), /unhealthy: "Queues are full" \(code 18\)/);
  assert.deepEqual(methods, [HEALTH]);
});

Deno.test("doctor splunk: a token answer that is not HEC's is an authentication failure naming the foreign answer", async () => {
  const { diagnosis } = await diagnose({
    [HEALTH]: HEALTHY,
    [EVENT]: {
      status: 403,
      text: "<html><head><title>Access denied</title></head></html>",
      headers: { "content-type": "text/html" },
    },
  });
  assert.deepEqual(steps(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:fail",
  ]);
  assert.match(
    last(diagnosis),
    /not Splunk HEC's but a page titled "Access denied"/,
  );
  assert.match(last(diagnosis), /\(HTTP 403, text\/html\)/);
});

Deno.test("doctor splunk: each HEC code of the token probe is told apart", async () => {
  const cases: Array<[number, number, RegExp, Record<string, unknown>?]> = [
    [403, 4, /HEC does not know this token \(HTTP 403, "t", code 4\)/],
    [403, 1, /The token is disabled \(HTTP 403, "t", code 1\): enable it/],
    [
      401,
      2,
      /HEC received no token \(HTTP 401, "t", code 2\) though one is configured: a proxy/,
    ],
    [
      401,
      2,
      /^No HEC token is configured \(HTTP 401, "t", code 2\): set the destination's token/,
      {},
    ],
    [401, 3, /did not read the Authorization header \(HTTP 401, "t", code 3\)/],
    [400, 10, /indexer acknowledgement turned on \(HTTP 400, "t", code 10\)/],
    [400, 11, /indexer acknowledgement turned on \(HTTP 400, "t", code 11\)/],
    [400, 14, /indexer acknowledgement turned on \(HTTP 400, "t", code 14\)/],
    [503, 9, /HEC is busy \(HTTP 503, "t", code 9\)/],
    [
      400,
      6,
      /answered an empty request with HTTP 400, "t", code 6, not the expected code 5/,
    ],
    [200, 0, /answered an empty request with HTTP 200, "t", code 0/],
  ];
  for (const [status, code, message, extra] of cases) {
    const { diagnosis, methods } = await diagnose({
      [HEALTH]: HEALTHY,
      [EVENT]: { status, json: { text: "t", code } },
    }, extra ?? { token: TOKEN });
    assert.equal(diagnosis.canDeliver, false, `code ${code}`);
    assert.deepEqual(steps(diagnosis), [
      "connection:ok",
      "platform:ok",
      "authentication:fail",
    ], `code ${code}`);
    assert.match(last(diagnosis), message, `code ${code}`);
    assert.deepEqual(methods, [HEALTH, EVENT]);
  }
});

Deno.test("doctor splunk: code 5 is the only token answer that passes, whatever its status", async () => {
  const { diagnosis } = await diagnose({
    [HEALTH]: HEALTHY,
    [EVENT]: { status: 400, json: { text: "No data", code: 5 } },
  });
  assert.equal(diagnosis.checks[2]!.status, "ok");
  assert.match(diagnosis.checks[2]!.message, /code 5 "No data"/);
});

Deno.test("doctor splunk: with --send-test-event, a delivered event passes the permission step, naming the index", async () => {
  let posts = 0;
  const { diagnosis, methods } = await diagnose(
    {
      [HEALTH]: HEALTHY,
      [EVENT]: () =>
        ++posts === 1
          ? { status: 400, json: { text: "No data", code: 5 } }
          : { status: 200, json: { text: "Success", code: 0 } },
    },
    { token: TOKEN, index: "sec" },
    true,
  );
  assert.deepEqual(steps(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:ok",
    "permission:ok",
    "test_event:ok",
  ]);
  assert.equal(
    diagnosis.checks[3]!.message,
    'The token may write to index "sec".',
  );
  assert.deepEqual(methods, [HEALTH, EVENT, EVENT]);
  assert.equal(diagnosis.canDeliver, true);
});

Deno.test("doctor splunk: with --send-test-event, another refusal than the index is the test event's failure", async () => {
  let posts = 0;
  const { diagnosis } = await diagnose(
    {
      [HEALTH]: HEALTHY,
      [EVENT]: () =>
        ++posts === 1 ? { status: 400, json: { text: "No data", code: 5 } } : {
          status: 400,
          json: {
            text: "Invalid data format",
            code: 6,
            "invalid-event-number": 0,
          },
        },
    },
    { token: TOKEN },
    true,
  );
  assert.deepEqual(steps(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:ok",
    "test_event:fail",
  ]);
  assert.match(last(diagnosis), /Invalid data format/);
});

Deno.test("doctor splunk: the test event's time limit is the step's, kept within what a destination takes (1 s to 120 s)", async () => {
  for (const stepTimeoutMs of [200, 500_000]) {
    let posts = 0;
    const fake = scriptedFetch({
      [HEALTH]: HEALTHY,
      [EVENT]: () =>
        ++posts === 1
          ? { status: 400, json: { text: "No data", code: 5 } }
          : { status: 200, json: { text: "Success", code: 0 } },
    });
    const diagnosis = await checkDestination(
      { platform: "splunk", endpoint: BASE, token: TOKEN },
      { fetch: fake.fetch, sendTestEvent: true, stepTimeoutMs },
    );
    assert.deepEqual(steps(diagnosis).slice(-2), [
      "permission:ok",
      "test_event:ok",
    ], `${stepTimeoutMs}`);
  }
});
