import assert from "node:assert/strict";
import { checkDestination } from "../../src/doctor/check_destination.ts";
import { formatDiagnosis } from "../../src/doctor/format.ts";
import type { DestinationDiagnosis } from "../../src/doctor/report.ts";
import { startFakeHttpReceiver } from "../fakes/fake_http_receiver.ts";
import { startFakeProxy } from "../fakes/fake_proxy.ts";

const KEY = "doctor-key-0123456789";
const SUMO_CODE = "DoctorSumoCode0123456789abcdef==";

function statuses(diagnosis: DestinationDiagnosis): string[] {
  return diagnosis.checks.map((check) => `${check.step}:${check.status}`);
}

Deno.test("doctor: an http receiver that takes the key can deliver; nothing is sent without --send-test-event", async () => {
  await using receiver = startFakeHttpReceiver({
    requiredHeaders: { "x-api-key": KEY },
  });
  const config = {
    platform: "http" as const,
    endpoint: receiver.endpoint,
    http: { headers: { "X-API-Key": KEY } },
  };
  const diagnosis = await checkDestination(config);
  assert.deepEqual(statuses(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:skipped",
  ]);
  assert.equal(diagnosis.canDeliver, true);
  assert.deepEqual(receiver.requests.map((r) => r.method), ["HEAD"]);
  assert.equal(receiver.events.length, 0);

  const sent = await checkDestination(config, { sendTestEvent: true });
  assert.equal(sent.checks.at(-1)?.step, "test_event");
  assert.equal(sent.checks.at(-1)?.status, "ok");
  assert.equal(receiver.events.length, 1);
  assert.equal(receiver.events[0]?.action, "harombe_siem_doctor_test");
});

Deno.test("doctor: a refused http credential is named as such", async () => {
  await using receiver = startFakeHttpReceiver({
    requiredHeaders: { "x-api-key": KEY },
  });
  const diagnosis = await checkDestination({
    platform: "http",
    endpoint: receiver.endpoint,
    http: { headers: { "X-API-Key": "wrong-key-0123456789" } },
  });
  assert.deepEqual(statuses(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:fail",
  ]);
  assert.match(diagnosis.checks[2]!.message, /refuses the credential/);
});

Deno.test("doctor: a proxy's HTML page at an http destination's URL fails the endpoint step", async () => {
  await using proxy = startFakeProxy({ status: 200 });
  const diagnosis = await checkDestination({
    platform: "http",
    endpoint: `${proxy.url}/hook`,
  });
  assert.deepEqual(statuses(diagnosis), ["connection:ok", "platform:fail"]);
  assert.match(diagnosis.checks[1]!.message, /is an HTML page/);
});

Deno.test("doctor: a Sumo Logic URL with a wrong code is named, and its token appears nowhere in the diagnosis", async () => {
  await using sumo = startFakeHttpReceiver({
    sumo: true,
    framing: "ndjson",
    path: `/receiver/v1/http/${SUMO_CODE}`,
  });
  const wrong = "WrongSumoCode0123456789abcdef==";
  const diagnosis = await checkDestination({
    platform: "http",
    endpoint: `${sumo.url}/receiver/v1/http/${wrong}`,
    http: { preset: "sumo_logic" },
  });
  assert.deepEqual(statuses(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:fail",
  ]);
  assert.match(diagnosis.checks[2]!.message, /Sumo Logic refuses the URL/);
  assert.equal(diagnosis.endpoint, sumo.url);
  const text = `${JSON.stringify(diagnosis)}\n${formatDiagnosis(diagnosis)}`;
  assert.ok(!text.includes(wrong.slice(0, 10)), text);
  assert.ok(!text.includes("/receiver/v1/http"), text);

  const right = await checkDestination({
    platform: "http",
    endpoint: sumo.endpoint,
    http: { preset: "sumo_logic" },
  }, { sendTestEvent: true });
  assert.equal(right.canDeliver, true, JSON.stringify(right));
  assert.equal(sumo.events.length, 1);
  assert.equal(sumo.requests.at(-1)?.headers.get("content-encoding"), "gzip");
  assert.ok(!JSON.stringify(right).includes(SUMO_CODE.slice(0, 10)));
});

Deno.test("doctor: a receiver that answers HEAD with its framework's 404 page is only a warning; the test event proves the URL", async () => {
  const shutdown = new AbortController();
  const posted: string[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: shutdown.signal,
    onListen(): void {},
  }, async (request) => {
    if (request.method !== "POST") {
      return new Response(`<pre>Cannot ${request.method} /hook</pre>`, {
        status: 404,
        headers: { "content-type": "text/html" },
      });
    }
    posted.push(await request.text());
    return new Response(null, { status: 204 });
  });
  try {
    const config = {
      platform: "http" as const,
      endpoint: `http://127.0.0.1:${server.addr.port}/hook`,
    };
    const diagnosis = await checkDestination(config);
    assert.deepEqual(statuses(diagnosis), [
      "connection:ok",
      "platform:warn",
      "authentication:skipped",
    ]);
    assert.equal(diagnosis.canDeliver, true);
    assert.match(
      diagnosis.checks[1]!.message,
      /many receivers take POST alone/,
    );
    assert.equal(posted.length, 0);
    const sent = await checkDestination(config, { sendTestEvent: true });
    assert.deepEqual(statuses(sent), [
      "connection:ok",
      "platform:warn",
      "test_event:ok",
    ]);
    assert.equal(posted.length, 1);
  } finally {
    shutdown.abort();
    await server.finished;
  }
});

Deno.test("doctor: HEAD answered 401 or 403 (even as an HTML page) is a refused credential; the headers sent are the exporter's, without Content-Type", async () => {
  for (const status of [401, 403]) {
    for (const html of [false, true]) {
      let sent: Headers | undefined;
      let method = "";
      const answer: typeof fetch = (input, init) => {
        const request = new Request(input, init);
        sent = request.headers;
        method = request.method;
        return Promise.resolve(
          new Response(html ? "<html><title>Denied</title></html>" : null, {
            status,
            headers: html ? { "content-type": "text/html" } : {},
          }),
        );
      };
      const diagnosis = await checkDestination({
        platform: "http",
        endpoint: "https://hooks.example.com/in",
        token: KEY,
        http: { headers: { "X-Tenant": "t1" } },
      }, { fetch: answer });
      assert.deepEqual(statuses(diagnosis), [
        "connection:ok",
        "platform:ok",
        "authentication:fail",
      ], `${status} html=${html}`);
      assert.match(
        diagnosis.checks[2]!.message,
        new RegExp(
          `^hooks\\.example\\.com \\(HTTP ${status}, [^)]*\\): the receiver refuses the credential`,
        ),
      );
      assert.equal(method, "HEAD");
      assert.equal(sent?.get("authorization"), `Bearer ${KEY}`);
      assert.equal(sent?.get("x-tenant"), "t1");
      assert.equal(sent?.get("content-type"), null);
    }
  }
});

Deno.test("doctor: a Sumo Logic URL answering HEAD with 403 names the HTTP Source URL; a 405 is a warning with the hint to copy it again", async () => {
  const endpoint =
    `https://endpoint1.collection.sumologic.com/receiver/v1/http/${SUMO_CODE}`;
  const config = {
    platform: "http" as const,
    endpoint,
    http: { preset: "sumo_logic" as const },
  };
  const at = (status: number): typeof fetch => () =>
    Promise.resolve(new Response(null, { status }));
  const refused = await checkDestination(config, { fetch: at(403) });
  assert.equal(refused.checks[2]!.status, "fail");
  assert.match(
    refused.checks[2]!.message,
    /Sumo Logic refuses the URL's token\. Copy the HTTP Source URL again/,
  );
  const unrouted = await checkDestination(config, { fetch: at(405) });
  assert.deepEqual(statuses(unrouted), [
    "connection:ok",
    "platform:warn",
    "authentication:skipped",
  ]);
  assert.match(
    unrouted.checks[1]!.message,
    /copy the HTTP Source URL again from Sumo Logic/,
  );
  assert.match(
    unrouted.checks[2]!.message,
    /^Sumo Logic did not refuse the credential on HEAD \(HTTP 405\)/,
  );
  assert.equal(JSON.stringify(refused).includes(SUMO_CODE), false);
});
