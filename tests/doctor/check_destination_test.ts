import assert from "node:assert/strict";
import { checkDestination } from "../../src/doctor/check_destination.ts";
import type {
  DestinationDiagnosis,
  DoctorStep,
} from "../../src/doctor/report.ts";
import { TEST_EVENT_ACTION } from "../../src/doctor/test_event.ts";
import { startFakeDatadog } from "../fakes/fake_datadog.ts";
import { startFakeElasticsearch } from "../fakes/fake_elasticsearch.ts";
import { startFakeProxy } from "../fakes/fake_proxy.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";

const TOKEN = "11111111-2222-3333-4444-555555555555";

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

/** A `fetch` that sends each host to a fake, as DNS would; other hosts do not resolve. */
function routed(routes: Record<string, string>): typeof fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const target = routes[url.hostname];
    if (target === undefined) {
      return Promise.reject(
        new TypeError(
          "error sending request: dns error: failed to lookup address information: Name or service not known",
        ),
      );
    }
    return fetch(`${target}${url.pathname}${url.search}`, init);
  };
}

// Splunk HEC

Deno.test("doctor: a healthy Splunk HEC with a valid token can deliver, and nothing is indexed", async () => {
  await using hec = startFakeSplunk({ token: TOKEN });
  const diagnosis = await checkDestination({
    platform: "splunk",
    endpoint: hec.url,
    token: TOKEN,
  });
  assert.equal(diagnosis.canDeliver, true, JSON.stringify(diagnosis));
  assert.deepEqual(statuses(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:ok",
    "permission:skipped",
  ]);
  assert.match(diagnosis.checks[3]!.message, /--send-test-event/);
  assert.deepEqual(hec.events, []);
  assert.deepEqual(hec.requests.map((r) => `${r.method} ${r.path}`), [
    "GET /services/collector/health",
    "POST /services/collector/event",
  ]);
});

Deno.test("doctor: a wrong HEC token is named as such", async () => {
  await using hec = startFakeSplunk({ token: TOKEN });
  const diagnosis = await checkDestination({
    platform: "splunk",
    endpoint: hec.url,
    token: "not-the-token",
  });
  const { step, message } = failure(diagnosis);
  assert.equal(step, "authentication");
  assert.match(
    message,
    /HEC does not know this token \(HTTP 403, "Invalid token", code 4\)/,
  );
  assert.equal(message.includes("not-the-token"), false);
});

Deno.test("doctor: an unhealthy HEC (503 code 18) cannot deliver", async () => {
  await using hec = startFakeSplunk({ token: TOKEN });
  hec.failNext({
    status: 503,
    body: '{"text":"HEC is unhealthy, queues are full","code":18}',
  });
  const { step, message } = failure(
    await checkDestination({
      platform: "splunk",
      endpoint: hec.url,
      token: TOKEN,
    }),
  );
  assert.equal(step, "platform");
  assert.match(
    message,
    /unhealthy: "HEC is unhealthy, queues are full" \(code 18\)/,
  );
});

Deno.test("doctor: --send-test-event shows an index the HEC token may not write to", async () => {
  await using hec = startFakeSplunk({ token: TOKEN, allowedIndexes: ["main"] });
  const config = {
    platform: "splunk" as const,
    endpoint: hec.url,
    token: TOKEN,
    index: "security",
  };
  const { step, message } = failure(
    await checkDestination(config, { sendTestEvent: true }),
  );
  assert.equal(step, "permission");
  assert.match(
    message,
    /may not write to index "security" \(HEC code 7, "Incorrect index"\)/,
  );
  assert.deepEqual(hec.events, []);

  const allowed = await checkDestination({ ...config, index: "main" }, {
    sendTestEvent: true,
  });
  assert.equal(allowed.canDeliver, true, JSON.stringify(allowed));
  assert.deepEqual(statuses(allowed).slice(3), [
    "permission:ok",
    "test_event:ok",
  ]);
  assert.equal(hec.events.length, 1);
  const [sent] = hec.events as Array<Record<string, unknown>>;
  const event = sent?.event as Record<string, unknown>;
  assert.equal(event.action, TEST_EVENT_ACTION);
});

Deno.test("doctor: a proxy's HTML page is not taken for the platform", async () => {
  await using proxy = startFakeProxy({ status: 502 });
  for (
    const platform of ["splunk", "elasticsearch", "datadog"] as const
  ) {
    const { step, message } = failure(
      await checkDestination({ platform, endpoint: proxy.url, token: TOKEN }),
    );
    assert.equal(step, "platform", platform);
    assert.match(
      message,
      /\(HTTP 502, text\/html\) is not .*'s but a page titled "502 Bad Gateway": a proxy, load balancer or another service answers at this URL/,
    );
  }
});

Deno.test("doctor: https:// to a plain-HTTP port is named a TLS mix-up", async () => {
  await using hec = startFakeSplunk({ token: TOKEN });
  const { step, message } = failure(
    await checkDestination({
      platform: "splunk",
      endpoint: hec.url.replace("http:", "https:"),
      token: TOKEN,
    }),
  );
  assert.equal(step, "connection");
  assert.match(
    message,
    /^TLS with 127\.0\.0\.1:\d+ failed .*: the port seems to serve plain HTTP; use http:\/\//,
  );
});

Deno.test("doctor: a refused connection says nothing listens there", async () => {
  const gone = startFakeSplunk({ token: TOKEN });
  await gone.close();
  const { step, message } = failure(
    await checkDestination({
      platform: "splunk",
      endpoint: gone.url,
      token: TOKEN,
    }),
  );
  assert.equal(step, "connection");
  assert.match(
    message,
    /refused the connection .*: nothing listens on that port/,
  );
});

Deno.test("doctor: a server that never answers fails within the step's time limit", async () => {
  await using hec = startFakeSplunk({ token: TOKEN });
  hec.down({ hang: true });
  const { step, message } = failure(
    await checkDestination(
      { platform: "splunk", endpoint: hec.url, token: TOKEN },
      { stepTimeoutMs: 200 },
    ),
  );
  assert.equal(step, "connection");
  assert.match(message, /did not answer within 200 ms/);
});

Deno.test("doctor: a host name that does not resolve is named", async () => {
  const { step, message } = failure(
    await checkDestination(
      {
        platform: "splunk",
        endpoint: "https://hec.invalid:8088",
        token: TOKEN,
      },
      { fetch: routed({}) },
    ),
  );
  assert.equal(step, "connection");
  assert.match(message, /^Cannot resolve the host name hec\.invalid/);
});

// Elasticsearch

Deno.test("doctor: Elasticsearch with a key that may write to the index can deliver", async () => {
  await using es = startFakeElasticsearch({ apiKey: TOKEN });
  const diagnosis = await checkDestination({
    platform: "elasticsearch",
    endpoint: es.url,
    token: TOKEN,
  });
  assert.equal(diagnosis.canDeliver, true, JSON.stringify(diagnosis));
  assert.deepEqual(statuses(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:ok",
    "permission:ok",
  ]);
  assert.match(diagnosis.checks[1]!.message, /^Elasticsearch 8\.19\.0 answers/);
  assert.match(
    diagnosis.checks[2]!.message,
    /API key "harombe-siem" of user "fake-user" \(api_key\)/,
  );
  assert.deepEqual(es.documents, []);
});

Deno.test("doctor: a wrong Elasticsearch API key is named", async () => {
  await using es = startFakeElasticsearch({ apiKey: TOKEN });
  const { step, message } = failure(
    await checkDestination({
      platform: "elasticsearch",
      endpoint: es.url,
      token: "d3JvbmcK",
    }),
  );
  assert.equal(step, "authentication");
  assert.match(
    message,
    /^Elasticsearch refuses the API key \(HTTP 401, "unable to authenticate with provided credentials"\)/,
  );
});

Deno.test("doctor: a key without create_doc on the index is named, with the privilege to grant", async () => {
  await using es = startFakeElasticsearch({
    apiKey: TOKEN,
    writableIndexes: ["other-index"],
  });
  const { step, message } = failure(
    await checkDestination({
      platform: "elasticsearch",
      endpoint: es.url,
      token: TOKEN,
      index: "logs-audit-default",
    }),
  );
  assert.equal(step, "permission");
  assert.match(
    message,
    /may not write to "logs-audit-default": it lacks the create_doc privilege/,
  );
  const asked = JSON.parse(new TextDecoder().decode(es.requests.at(-1)!.body));
  assert.deepEqual(asked, {
    index: [{ names: ["logs-audit-default"], privileges: ["create_doc"] }],
  });
});

Deno.test("doctor: a cluster with security disabled can deliver, with a warning", async () => {
  await using es = startFakeElasticsearch();
  const diagnosis = await checkDestination(
    { platform: "elasticsearch", endpoint: es.url },
    { sendTestEvent: true },
  );
  assert.equal(diagnosis.canDeliver, true, JSON.stringify(diagnosis));
  assert.deepEqual(statuses(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:warn",
    "permission:skipped",
    "test_event:ok",
  ]);
  assert.match(
    diagnosis.checks[2]!.message,
    /^Security is disabled on this cluster/,
  );
  assert.equal(es.documents.length, 1);
});

// Datadog

Deno.test("doctor: a valid Datadog API key can deliver, and no log is sent", async () => {
  await using dd = startFakeDatadog({ apiKey: TOKEN });
  const diagnosis = await checkDestination({
    platform: "datadog",
    endpoint: dd.url,
    token: TOKEN,
  });
  assert.equal(diagnosis.canDeliver, true, JSON.stringify(diagnosis));
  assert.deepEqual(statuses(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:ok",
    "test_event:skipped",
  ]);
  assert.deepEqual(dd.logs, []);
  const validate = dd.requests.find((r) => r.path === "/api/v1/validate");
  assert.equal(validate?.headers.get("dd-api-key"), TOKEN);
});

Deno.test("doctor: Datadog validates the key on the API host of the endpoint's site", async () => {
  await using us = startFakeDatadog({ apiKey: TOKEN });
  const diagnosis = await checkDestination(
    {
      platform: "datadog",
      endpoint: "https://http-intake.logs.datadoghq.com",
      token: TOKEN,
    },
    {
      fetch: routed({
        "http-intake.logs.datadoghq.com": us.url,
        "api.datadoghq.com": us.url,
      }),
    },
  );
  assert.equal(diagnosis.canDeliver, true, JSON.stringify(diagnosis));
  assert.match(diagnosis.checks[2]!.message, /valid on site datadoghq\.com/);
});

Deno.test("doctor: a Datadog key of another site is named, with the endpoint to use", async () => {
  await using us = startFakeDatadog({ apiKey: "us-key" });
  await using eu = startFakeDatadog({ apiKey: "eu-key" });
  const fetchSites = routed({
    "http-intake.logs.datadoghq.com": us.url,
    "api.datadoghq.com": us.url,
    "api.datadoghq.eu": eu.url,
  });
  const config = {
    platform: "datadog" as const,
    endpoint: "https://http-intake.logs.datadoghq.com",
    token: "eu-key",
  };
  const wrongSite = failure(
    await checkDestination(config, { fetch: fetchSites }),
  );
  assert.equal(wrongSite.step, "authentication");
  assert.equal(
    wrongSite.message,
    "The API key belongs to Datadog site datadoghq.eu, not datadoghq.com (the site of the endpoint): set the endpoint to https://http-intake.logs.datadoghq.eu.",
  );

  const wrongKey = failure(
    await checkDestination({ ...config, token: "nobody-key" }, {
      fetch: fetchSites,
    }),
  );
  assert.equal(wrongKey.step, "authentication");
  assert.match(
    wrongKey.message,
    /^Datadog refuses the API key on site datadoghq\.com \(HTTP 403\), and no other Datadog site knows it/,
  );
});

Deno.test("doctor: a wrong Datadog key behind a relay (no site in the host) is named", async () => {
  await using dd = startFakeDatadog({ apiKey: TOKEN });
  const { step, message } = failure(
    await checkDestination({
      platform: "datadog",
      endpoint: dd.url,
      token: "x",
    }),
  );
  assert.equal(step, "authentication");
  assert.match(message, /^Datadog refuses the API key \(HTTP 403\)/);
});

Deno.test("doctor: calls fetch as a plain function, as workerd requires (no 'Illegal invocation')", async () => {
  await using hec = startFakeSplunk({ token: TOKEN });
  // workerd's fetch throws "Illegal invocation" when called as a method of
  // another object (`ctx.fetch(...)`); this stand-in does the same.
  const methodCalls: unknown[] = [];
  const workerdLikeFetch = function (
    this: unknown,
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> {
    if (this !== undefined && this !== globalThis) {
      methodCalls.push(this);
      return Promise.reject(new TypeError("Illegal invocation"));
    }
    return fetch(input, init);
  };
  const diagnosis = await checkDestination(
    { platform: "splunk", endpoint: hec.url, token: TOKEN },
    { fetch: workerdLikeFetch, sendTestEvent: true },
  );
  assert.equal(methodCalls.length, 0);
  assert.equal(diagnosis.canDeliver, true, JSON.stringify(diagnosis));
});
