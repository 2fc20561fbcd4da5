import assert from "node:assert/strict";
import { checkDestination } from "../../src/doctor/check_destination.ts";
import type { DestinationDiagnosis } from "../../src/doctor/report.ts";
import { type Script, scriptedFetch } from "./_scripted_fetch.ts";

const KEY = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==";
const BASE = "https://es.example.com:9200";
const ROOT = `GET ${BASE}/`;
const AUTH = `GET ${BASE}/_security/_authenticate`;
const PRIVILEGES = `POST ${BASE}/_security/user/_has_privileges`;
const ELASTIC_ROOT = {
  status: 200,
  json: { version: { number: "8.15.0" }, tagline: "You Know, for Search" },
  headers: { "x-elastic-product": "Elasticsearch" },
};
const AUTHENTICATED = {
  status: 200,
  json: {
    username: "siem",
    api_key: { name: "siem-writer" },
    authentication_type: "api_key",
  },
};

async function diagnose(
  script: Script,
  extra: Record<string, unknown> = { token: KEY },
): Promise<
  {
    diagnosis: DestinationDiagnosis;
    requests: ReturnType<typeof scriptedFetch>["requests"];
  }
> {
  const fake = scriptedFetch(script);
  const diagnosis = await checkDestination(
    { platform: "elasticsearch", endpoint: BASE, ...extra },
    { fetch: fake.fetch },
  );
  assert.deepEqual(fake.unexpected, []);
  return { diagnosis, requests: fake.requests };
}

function steps(diagnosis: DestinationDiagnosis): string[] {
  return diagnosis.checks.map((c) => `${c.step}:${c.status}`);
}

function last(diagnosis: DestinationDiagnosis): string {
  return diagnosis.checks.at(-1)!.message;
}

Deno.test("doctor elasticsearch: every probe carries Authorization: ApiKey <key>; the privileges asked are create_doc on the index", async () => {
  const { diagnosis, requests } = await diagnose({
    [ROOT]: ELASTIC_ROOT,
    [AUTH]: AUTHENTICATED,
    [PRIVILEGES]: { status: 200, json: { has_all_requested: true } },
  }, { token: KEY, index: "audit-x" });
  assert.deepEqual(steps(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:ok",
    "permission:ok",
  ]);
  for (const request of requests) {
    assert.equal(request.headers.get("authorization"), `ApiKey ${KEY}`);
    assert.equal(request.headers.get("accept"), "application/json");
  }
  assert.equal(requests[2]!.headers.get("content-type"), "application/json");
  assert.deepEqual(JSON.parse(requests[2]!.body), {
    index: [{ names: ["audit-x"], privileges: ["create_doc"] }],
  });
  assert.equal(diagnosis.checks[1]!.message, "Elasticsearch 8.15.0 answers.");
  assert.equal(
    diagnosis.checks[2]!.message,
    'Elasticsearch accepts the credential: API key "siem-writer" of user "siem" (api_key).',
  );
  assert.equal(
    diagnosis.checks[3]!.message,
    'The credential may write to "audit-x" (create_doc).',
  );
});

Deno.test("doctor elasticsearch: an answer like Elasticsearch's without X-Elastic-Product is a warning, and the checks go on", async () => {
  const { diagnosis } = await diagnose({
    [ROOT]: {
      status: 200,
      json: { version: { number: "7.10.2" }, tagline: "You Know, for Search" },
    },
    [AUTH]: { status: 200, json: { username: "siem" } },
    [PRIVILEGES]: { status: 200, json: { has_all_requested: true } },
  });
  assert.deepEqual(steps(diagnosis), [
    "connection:ok",
    "platform:warn",
    "authentication:ok",
    "permission:ok",
  ]);
  assert.equal(diagnosis.canDeliver, true);
  assert.match(
    diagnosis.checks[1]!.message,
    /Elasticsearch 7\.10\.2 but without the header X-Elastic-Product/,
  );
  assert.equal(
    diagnosis.checks[2]!.message,
    'Elasticsearch accepts the credential: user "siem".',
  );
});

Deno.test("doctor elasticsearch: a root answer that is neither is a foreign answer", async () => {
  const { diagnosis, requests } = await diagnose({
    [ROOT]: { status: 200, json: { name: "other" } },
  });
  assert.deepEqual(steps(diagnosis), ["connection:ok", "platform:fail"]);
  assert.match(last(diagnosis), /is not Elasticsearch's/);
  assert.equal(requests.length, 1);
});

Deno.test("doctor elasticsearch: a 401 without a configured key asks for one; with one, names it refused", async () => {
  const refused = {
    status: 401,
    json: {
      error: { type: "security_exception", reason: "unable to authenticate" },
    },
  };
  const none = await diagnose({ [ROOT]: ELASTIC_ROOT, [AUTH]: refused }, {});
  assert.deepEqual(steps(none.diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:fail",
  ]);
  assert.match(
    last(none.diagnosis),
    /requires a credential and none is configured/,
  );
  assert.equal(none.requests[1]!.headers.get("authorization"), null);
  const wrong = await diagnose({ [ROOT]: ELASTIC_ROOT, [AUTH]: refused });
  assert.match(
    last(wrong.diagnosis),
    /refuses the API key \(HTTP 401, "unable to authenticate"\)/,
  );
});

Deno.test("doctor elasticsearch: an authenticate answer other than 200 with a user name fails, quoting the error", async () => {
  const cases: Array<[number, unknown, RegExp]> = [
    [
      403,
      { error: { type: "x", reason: "forbidden here" } },
      /with HTTP 403, "forbidden here"/,
    ],
    [403, { error: { type: "only_type" } }, /with HTTP 403, "only_type"/],
    [500, { error: "plain text error" }, /with HTTP 500, "plain text error"/],
    [
      200,
      { user: "not username" },
      /\(HTTP 200, application\/json\) answered the authenticate API with HTTP 200: check/,
    ],
    [201, { username: "siem" }, /with HTTP 201: check the endpoint/],
  ];
  for (const [status, json, message] of cases) {
    const { diagnosis } = await diagnose({
      [ROOT]: ELASTIC_ROOT,
      [AUTH]: { status, json },
    });
    assert.deepEqual(steps(diagnosis), [
      "connection:ok",
      "platform:ok",
      "authentication:fail",
    ], `${status}`);
    assert.match(last(diagnosis), message);
  }
});

Deno.test("doctor elasticsearch: security disabled is a warning with the key unused, and the permission is skipped", async () => {
  const answers = [
    {
      status: 400,
      json: {
        error:
          "no handler found for uri [/_security/_authenticate] and method [GET]",
      },
    },
    {
      status: 500,
      json: {
        error: {
          type: "exception",
          reason:
            "Security must be explicitly enabled when using a [basic] license.",
        },
      },
    },
  ];
  for (const answer of answers) {
    const { diagnosis } = await diagnose({
      [ROOT]: ELASTIC_ROOT,
      [AUTH]: answer,
    });
    assert.deepEqual(steps(diagnosis), [
      "connection:ok",
      "platform:ok",
      "authentication:warn",
      "permission:skipped",
    ]);
    assert.match(
      diagnosis.checks[2]!.message,
      /The configured API key is not used\./,
    );
    assert.equal(diagnosis.canDeliver, true);
  }
  const noKey = await diagnose(
    { [ROOT]: ELASTIC_ROOT, [AUTH]: answers[0]! },
    {},
  );
  assert.doesNotMatch(
    noKey.diagnosis.checks[2]!.message,
    /API key is not used/,
  );
  // "no handler found" on another status than 400 is no proof.
  const other = await diagnose({
    [ROOT]: ELASTIC_ROOT,
    [AUTH]: { status: 404, json: { error: "no handler found for uri" } },
  });
  assert.equal(other.diagnosis.checks[2]!.status, "fail");
});

Deno.test("doctor elasticsearch: a has-privileges answer that cannot be read fails the permission step", async () => {
  const cases: Array<[number, unknown, RegExp]> = [
    [
      403,
      { error: { type: "security_exception", reason: "action denied" } },
      /has-privileges API with HTTP 403, "action denied": the write permission could not be checked/,
    ],
    [200, { has_all_requested: "yes" }, /has-privileges API with HTTP 200:/],
    [201, { has_all_requested: true }, /has-privileges API with HTTP 201:/],
  ];
  for (const [status, json, message] of cases) {
    const { diagnosis } = await diagnose({
      [ROOT]: ELASTIC_ROOT,
      [AUTH]: AUTHENTICATED,
      [PRIVILEGES]: { status, json },
    });
    assert.deepEqual(steps(diagnosis), [
      "connection:ok",
      "platform:ok",
      "authentication:ok",
      "permission:fail",
    ], `${status}`);
    assert.match(last(diagnosis), message);
  }
  const missing = await diagnose({
    [ROOT]: ELASTIC_ROOT,
    [AUTH]: AUTHENTICATED,
    [PRIVILEGES]: { status: 200, json: { has_all_requested: false } },
  }, { token: KEY, index: "audit-y" });
  assert.match(
    last(missing.diagnosis),
    /may not write to "audit-y": it lacks the create_doc privilege/,
  );
  assert.match(
    last(missing.diagnosis),
    /\{"names":\["audit-y"\],"privileges":\["create_doc"\]\}/,
  );
});

Deno.test("doctor elasticsearch: a network failure on a later probe is that step's failure, not the connection's", async () => {
  const fake = scriptedFetch({ [ROOT]: ELASTIC_ROOT });
  const failing: typeof fetch = (input, init) => {
    const url = new Request(input, init).url;
    if (url.endsWith("/_security/_authenticate")) {
      return Promise.reject(
        new TypeError("error sending request: connection reset by peer"),
      );
    }
    return fake.fetch(input, init);
  };
  const diagnosis = await checkDestination(
    { platform: "elasticsearch", endpoint: BASE, token: KEY },
    { fetch: failing },
  );
  assert.deepEqual(steps(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:fail",
  ]);
  assert.match(last(diagnosis), /connection reset by peer/);
  const privilegesFail: typeof fetch = (input, init) => {
    const url = new Request(input, init).url;
    if (url.endsWith("/_has_privileges")) {
      return Promise.reject(
        new TypeError("error sending request: connection reset by peer"),
      );
    }
    return scriptedFetch({ [ROOT]: ELASTIC_ROOT, [AUTH]: AUTHENTICATED }).fetch(
      input,
      init,
    );
  };
  const later = await checkDestination(
    { platform: "elasticsearch", endpoint: BASE, token: KEY },
    { fetch: privilegesFail },
  );
  assert.deepEqual(steps(later), [
    "connection:ok",
    "platform:ok",
    "authentication:ok",
    "permission:fail",
  ]);
});
