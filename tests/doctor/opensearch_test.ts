import assert from "node:assert/strict";
import { checkDestination } from "../../src/doctor/check_destination.ts";
import type { DestinationDiagnosis } from "../../src/doctor/report.ts";
import { startFakeOpenSearch } from "../fakes/fake_opensearch.ts";
import { startFakeProxy } from "../fakes/fake_proxy.ts";
import { scriptedFetch } from "./_scripted_fetch.ts";

const CREDENTIALS = {
  accessKeyId: "AKIAFAKEDOCTOR0123",
  secretAccessKey: "doctor-secret-0123456789abcdef",
};

function statuses(diagnosis: DestinationDiagnosis): string[] {
  return diagnosis.checks.map((check) => `${check.step}:${check.status}`);
}

Deno.test("doctor: OpenSearch with the right Basic password can deliver; the write is checked only on request", async () => {
  await using os = startFakeOpenSearch({
    basic: { username: "siem", password: "pw-0123456789" },
  });
  const config = {
    platform: "opensearch" as const,
    endpoint: os.url,
    username: "siem",
    token: "pw-0123456789",
    index: "audit",
  };
  const diagnosis = await checkDestination(config);
  assert.deepEqual(statuses(diagnosis), [
    "connection:ok",
    "platform:ok",
    "authentication:ok",
    "permission:skipped",
  ]);
  assert.equal(diagnosis.canDeliver, true);
  assert.match(diagnosis.checks[1]!.message, /OpenSearch 2\.19\.0 answers/);
  assert.equal(os.documents.length, 0, "nothing written without the flag");

  const sent = await checkDestination(config, { sendTestEvent: true });
  assert.equal(sent.checks.at(-1)?.step, "test_event");
  assert.equal(sent.checks.at(-1)?.status, "ok");
  assert.equal(os.documents.length, 1);
});

Deno.test("doctor: a wrong OpenSearch password is named", async () => {
  await using os = startFakeOpenSearch({
    basic: { username: "siem", password: "pw-0123456789" },
  });
  const diagnosis = await checkDestination({
    platform: "opensearch",
    endpoint: os.url,
    username: "siem",
    token: "wrong-0123456789",
  });
  assert.equal(diagnosis.canDeliver, false);
  const last = diagnosis.checks.at(-1)!;
  assert.equal(last.step, "authentication");
  assert.match(last.message, /OpenSearch refuses user "siem" \(HTTP 401\)/);
  assert.equal(JSON.stringify(diagnosis).includes("wrong-0123456789"), false);
});

Deno.test("doctor: Amazon OpenSearch checks the SigV4 signature, and names a wrong secret", async () => {
  await using os = startFakeOpenSearch({
    sigv4: { credentials: CREDENTIALS, region: "eu-west-1", service: "es" },
  });
  const config = {
    platform: "opensearch" as const,
    endpoint: os.url,
    aws: { region: "eu-west-1", service: "es" as const, ...CREDENTIALS },
  };
  const good = await checkDestination(config);
  assert.equal(good.canDeliver, true, JSON.stringify(good));
  assert.match(
    good.checks[2]!.message,
    /SigV4 signature \(service es, region eu-west-1\)/,
  );

  const bad = await checkDestination({
    ...config,
    aws: { ...config.aws, secretAccessKey: "not-the-secret-0123456789" },
  });
  assert.equal(bad.canDeliver, false);
  assert.match(
    bad.checks.at(-1)!.message,
    /Amazon OpenSearch refuses the SigV4 signature \(HTTP 403, "The request signature we calculated/,
  );
  assert.equal(
    JSON.stringify(bad).includes("not-the-secret-0123456789"),
    false,
  );
});

Deno.test("doctor: a proxy page is not taken for OpenSearch", async () => {
  await using proxy = startFakeProxy();
  const diagnosis = await checkDestination({
    platform: "opensearch",
    endpoint: proxy.url,
  });
  assert.equal(diagnosis.canDeliver, false);
  assert.equal(diagnosis.checks.at(-1)?.step, "platform");
});

Deno.test("doctor: an AWS secret echoed by a server never reaches the diagnosis", async () => {
  const secret = CREDENTIALS.secretAccessKey;
  const echo: typeof fetch = () =>
    Promise.resolve(
      new Response(
        `<html><head><title>Bad gateway ${secret}</title></head><body>key=${secret} token=session-token-0123456789</body></html>`,
        { status: 502, headers: { "content-type": "text/html" } },
      ),
    );
  const diagnosis = await checkDestination({
    platform: "opensearch",
    endpoint: "https://search-audit.eu-west-1.es.amazonaws.com",
    aws: {
      region: "eu-west-1",
      service: "es",
      ...CREDENTIALS,
      sessionToken: "session-token-0123456789",
    },
  }, { fetch: echo });
  assert.equal(diagnosis.canDeliver, false);
  const text = JSON.stringify(diagnosis);
  for (const value of [secret, "session-token-0123456789"]) {
    for (let i = 0; i + 8 <= value.length; i++) {
      assert.equal(
        text.includes(value.slice(i, i + 8)),
        false,
        `"${value.slice(i, i + 8)}" in ${text}`,
      );
    }
  }
});

Deno.test("doctor: OpenSearch Serverless skips the platform step, signs for aoss, and says the signature was not refused", async () => {
  const fake = scriptedFetch({
    "GET https://abc123.eu-west-1.aoss.amazonaws.com/": {
      status: 404,
      json: { message: "Not Found" },
    },
  });
  const diagnosis = await checkDestination({
    platform: "opensearch",
    endpoint: "https://abc123.eu-west-1.aoss.amazonaws.com",
    aws: { region: "eu-west-1", service: "aoss", ...CREDENTIALS },
  }, { fetch: fake.fetch });
  assert.deepEqual(fake.unexpected, []);
  assert.deepEqual(statuses(diagnosis), [
    "connection:ok",
    "platform:skipped",
    "authentication:ok",
    "permission:skipped",
  ]);
  assert.equal(
    diagnosis.checks[2]!.message,
    "The SigV4 signature (service aoss, region eu-west-1) was not refused.",
  );
  const authorization = fake.requests[0]!.headers.get("authorization") ?? "";
  assert.match(
    authorization,
    /^AWS4-HMAC-SHA256 Credential=AKIAFAKEDOCTOR0123\/\d{8}\/eu-west-1\/aoss\/aws4_request, /,
  );
});

Deno.test("doctor: OpenSearch that asks for a credential none is configured for says so; a 200 without distribution opensearch is foreign", async () => {
  for (const status of [401, 403]) {
    const fake = scriptedFetch({
      "GET https://os.example.com:9200/": {
        status,
        json: { error: "Unauthorized" },
      },
    });
    const diagnosis = await checkDestination({
      platform: "opensearch",
      endpoint: "https://os.example.com:9200",
    }, { fetch: fake.fetch });
    assert.deepEqual(statuses(diagnosis), [
      "connection:ok",
      "authentication:fail",
    ]);
    assert.equal(
      diagnosis.checks[1]!.message,
      `OpenSearch requires a credential (HTTP ${status}) and none is configured: set a username and password, or aws for Amazon OpenSearch.`,
    );
    assert.equal(fake.requests[0]!.headers.get("authorization"), null);
  }
  const elastic = scriptedFetch({
    "GET https://os.example.com:9200/": {
      status: 200,
      json: { version: { number: "8.15.0", build_flavor: "default" } },
    },
  });
  const diagnosis = await checkDestination({
    platform: "opensearch",
    endpoint: "https://os.example.com:9200",
  }, { fetch: elastic.fetch });
  assert.deepEqual(statuses(diagnosis), ["connection:ok", "platform:fail"]);
  const anonymous = scriptedFetch({
    "GET https://os.example.com:9200/": {
      status: 200,
      json: { version: { number: "2.19.0", distribution: "opensearch" } },
    },
  });
  const open = await checkDestination({
    platform: "opensearch",
    endpoint: "https://os.example.com:9200",
  }, { fetch: anonymous.fetch });
  assert.equal(
    open.checks[2]!.message,
    "OpenSearch answers without a credential.",
  );
});
