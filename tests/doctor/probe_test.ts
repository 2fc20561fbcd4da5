import assert from "node:assert/strict";
import { connectionMessage, probe } from "../../src/doctor/probe.ts";
import { checkDestination } from "../../src/doctor/check_destination.ts";

const SECRET = "probe-secret-0123456789";

function answering(response: () => Response): typeof fetch {
  return () => Promise.resolve(response());
}

Deno.test("connectionMessage(): DNS, refused, an untrusted certificate, a TLS mix-up each way, and anything else", () => {
  const https = "https://siem.example.com:8088/services/collector/health";
  const http = "http://siem.example.com:8088/";
  assert.match(
    connectionMessage(https, "dns error: failed to lookup address information"),
    /^Cannot resolve the host name siem\.example\.com \(dns error/,
  );
  assert.match(
    connectionMessage(https, "Connection refused (os error 111)"),
    /^siem\.example\.com:8088 refused the connection \(.*\): nothing listens on that port/,
  );
  assert.match(
    connectionMessage(https, "invalid peer certificate: UnknownIssuer"),
    /^siem\.example\.com:8088 has a TLS certificate this machine does not trust \(invalid peer certificate: UnknownIssuer\): check the certificate's host name and issuer/,
  );
  // Over plain http, a certificate word is no certificate problem.
  assert.doesNotMatch(
    connectionMessage(http, "self-signed certificate"),
    /does not trust/,
  );
  assert.match(
    connectionMessage(
      https,
      "received corrupt message of type InvalidContentType",
    ),
    /^TLS with siem\.example\.com:8088 failed \(.*\): the port seems to serve plain HTTP; use http:\/\//,
  );
  assert.match(
    connectionMessage(http, "invalid HTTP version parsed; tls handshake"),
    /^siem\.example\.com:8088 did not answer plain HTTP \(.*\): the port seems to serve HTTPS; use https:\/\//,
  );
  assert.equal(
    connectionMessage(https, "connection reset by peer"),
    "Cannot reach siem.example.com:8088 (connection reset by peer).",
  );
});

Deno.test("probe(): a redirect, with or without Location, is no answer; a 400 saying HTTPS port is the TLS hint; the secret is taken out of both", async () => {
  const ctx = (doFetch: typeof fetch) => ({
    fetch: doFetch,
    stepTimeoutMs: 2000,
    secrets: [SECRET],
  });
  const url = "http://siem.example.com:8088/x";
  const moved = await probe(
    ctx(answering(() =>
      new Response(null, {
        status: 307,
        headers: { location: `https://sso.example.com/?t=${SECRET}` },
      })
    )),
    url,
    { method: "GET" },
  );
  assert.deepEqual(moved, {
    ok: false,
    message:
      "siem.example.com:8088 redirects (HTTP 307) to https://sso.example.com/?t=[redacted]: set the endpoint to the URL it redirects to.",
  });
  const bare = await probe(
    ctx(answering(() => new Response(null, { status: 302 }))),
    url,
    { method: "GET" },
  );
  assert.equal(bare.ok, false);
  assert.match(
    bare.ok ? "" : bare.message,
    /redirects \(HTTP 302\) to \(no location\)/,
  );
  const tls = await probe(
    ctx(
      answering(() =>
        new Response(
          "<html>The plain HTTP request was sent to HTTPS port</html>",
          {
            status: 400,
            headers: { "content-type": "text/html" },
          },
        )
      ),
    ),
    url,
    { method: "GET" },
  );
  assert.deepEqual(tls, {
    ok: false,
    message:
      "siem.example.com:8088 serves HTTPS, and the endpoint says http: use https:// in the endpoint.",
  });
  const echo = await probe(
    ctx(answering(() => new Response(`token ${SECRET}`, { status: 400 }))),
    url,
    { method: "GET" },
  );
  assert.equal(echo.ok && echo.text, "token [redacted]");
  // 300 and 399 are redirects too; 200 and 400 are answers.
  for (const status of [300, 399]) {
    const answer = await probe(
      ctx(answering(() => new Response(null, { status }))),
      url,
      { method: "GET" },
    );
    assert.equal(answer.ok, false, `${status}`);
  }
});

Deno.test("probe(): JSON is read under a JSON content type, +json, or none; not under another type", async () => {
  const body = '{"a":1}';
  const read = async (type: string | undefined) => {
    const answer = await probe(
      {
        fetch: answering(() =>
          new Response(body, { headers: type ? { "content-type": type } : {} })
        ),
        stepTimeoutMs: 2000,
        secrets: [],
      },
      "https://x.example.com/",
      { method: "GET" },
    );
    assert.ok(answer.ok);
    return answer.json;
  };
  assert.deepEqual(await read("application/json; charset=utf-8"), { a: 1 });
  assert.deepEqual(await read("Application/JSON"), { a: 1 });
  assert.deepEqual(await read("application/problem+json"), { a: 1 });
  assert.equal(await read("text/plain"), undefined);
  assert.equal(await read("text/html"), undefined);
  // A byte body gets no content type: read as JSON.
  const bare = await probe(
    {
      fetch: answering(() => new Response(new TextEncoder().encode(body))),
      stepTimeoutMs: 2000,
      secrets: [],
    },
    "https://x.example.com/",
    { method: "GET" },
  );
  assert.ok(bare.ok);
  assert.equal(bare.headers.get("content-type"), null);
  assert.deepEqual(bare.json, { a: 1 });
});

Deno.test("checkDestination(): each step has 3000 ms by default", async () => {
  const hanging: typeof fetch = (_input, init) =>
    new Promise((_, reject) =>
      init?.signal?.addEventListener("abort", () => reject(init.signal!.reason))
    );
  const diagnosis = await checkDestination(
    { platform: "splunk", endpoint: "https://hec.example.com:8088" },
    { fetch: hanging },
  );
  assert.equal(diagnosis.checks[0]!.status, "fail");
  assert.match(diagnosis.checks[0]!.message, /did not answer within 3000 ms/);
});
