/**
 * Exactly the headers each platform's request carries as the strict fake
 * receives it, plain and gzip, sent by the exporter and by the integrator:
 * no header missing, none extra, each with its exact value. Only what the
 * HTTP client itself adds (host, length, accept, user agent) is left out.
 *
 * The contracts: Splunk HEC takes `Authorization: Splunk <token>` and JSON
 * (https://help.splunk.com/splunk-enterprise/get-data-in/collect-http-event-data/format-events-for-http-event-collector);
 * Elasticsearch's bulk API takes NDJSON (`application/x-ndjson`) and
 * `Authorization: ApiKey <base64>`
 * (https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk,
 * https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-security-create-api-key);
 * Datadog's logs v2 intake takes the key in `DD-API-KEY` and JSON
 * (https://docs.datadoghq.com/api/latest/logs/#send-logs); OpenSearch the
 * bulk NDJSON with Basic auth, or SigV4's `Authorization`, `x-amz-date`,
 * `x-amz-content-sha256` (required by Serverless) and, with temporary
 * credentials, `x-amz-security-token`
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html,
 * https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-clients.html);
 * `Content-Encoding: gzip` on a compressed body (RFC 9110 §8.4).
 *
 * @module
 */
import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { goldenSIEMEvents } from "../fixtures/events.ts";
import { startFakeDatadog } from "../fakes/fake_datadog.ts";
import { startFakeElasticsearch } from "../fakes/fake_elasticsearch.ts";
import { startFakeOpenSearch } from "../fakes/fake_opensearch.ts";
import type { RecordedRequest } from "../fakes/fake_receiver.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";

const HEC_TOKEN = "11111111-2222-3333-4444-555555555555";
const ES_KEY = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==";
const DD_KEY = "0123456789abcdef0123456789abcdef";
const OS_USER = "audit-writer";
const OS_PASSWORD = "os-password-0123456789";
const AWS = {
  region: "eu-west-1",
  accessKeyId: "ASIAFAKE0123456789",
  secretAccessKey: "fake/secret+access-key-0123456789",
  sessionToken: "FwoGZXIvYXdzEBYaDFakeSessionToken0123456789abcdef",
};

// Added by the HTTP client, whatever the exporter asks for.
const TRANSPORT = new Set([
  "host",
  "content-length",
  "accept",
  "accept-encoding",
  "accept-language",
  "user-agent",
  "connection",
]);

/** The request's headers, those of the transport left out. */
function sentHeaders(request: RecordedRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) {
    if (!TRANSPORT.has(name)) headers[name] = value;
  }
  return headers;
}

/** What a SigV4 header says, its signature left out (it changes with the time). */
function withoutSignature(
  headers: Record<string, string>,
): Record<string, string> {
  const { authorization = "", "x-amz-date": date = "", ...rest } = headers;
  assert.match(date, /^\d{8}T\d{6}Z$/);
  return {
    ...rest,
    "x-amz-date": "(a date)",
    authorization: authorization.replace(
      /Credential=(\w+)\/\d{8}\//,
      "Credential=$1/(day)/",
    ).replace(/Signature=[0-9a-f]{64}$/, "Signature=(64 hex)"),
  };
}

interface Case {
  name: string;
  start: () => {
    url: string;
    requests: RecordedRequest[];
    close(): Promise<void>;
  };
  config: (url: string) => SIEMConfigInput;
  expected: Record<string, string>;
  // SigV4: the signature part of the headers is compared without its time.
  signed?: boolean;
}

const CASES: Case[] = [
  {
    name: "splunk",
    start: () => startFakeSplunk({ token: HEC_TOKEN }),
    config: (url) => ({ platform: "splunk", endpoint: url, token: HEC_TOKEN }),
    expected: {
      authorization: `Splunk ${HEC_TOKEN}`,
      "content-type": "application/json",
    },
  },
  {
    name: "elasticsearch",
    start: () => startFakeElasticsearch({ apiKey: ES_KEY }),
    config: (url) => ({
      platform: "elasticsearch",
      endpoint: url,
      token: ES_KEY,
      index: "audit",
    }),
    expected: {
      authorization: `ApiKey ${ES_KEY}`,
      "content-type": "application/x-ndjson",
    },
  },
  {
    name: "datadog",
    start: () => startFakeDatadog({ apiKey: DD_KEY }),
    config: (url) => ({ platform: "datadog", endpoint: url, token: DD_KEY }),
    expected: {
      "dd-api-key": DD_KEY,
      "content-type": "application/json",
    },
  },
  {
    name: "opensearch with Basic auth",
    start: () =>
      startFakeOpenSearch({
        basic: { username: OS_USER, password: OS_PASSWORD },
      }),
    config: (url) => ({
      platform: "opensearch",
      endpoint: url,
      username: OS_USER,
      token: OS_PASSWORD,
      index: "audit",
    }),
    expected: {
      authorization: `Basic ${btoa(`${OS_USER}:${OS_PASSWORD}`)}`,
      "content-type": "application/x-ndjson",
    },
  },
  {
    name: "opensearch Serverless with SigV4 and a session token",
    start: () =>
      startFakeOpenSearch({
        sigv4: { credentials: AWS, region: AWS.region, service: "aoss" },
        serverless: true,
      }),
    config: (url) => ({
      platform: "opensearch",
      endpoint: url,
      index: "audit",
      allowInsecureHttp: true,
      aws: { ...AWS, service: "aoss" },
    }),
    signed: true,
    expected: {
      authorization:
        "AWS4-HMAC-SHA256 Credential=ASIAFAKE0123456789/(day)/eu-west-1/aoss/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=(64 hex)",
      "content-type": "application/x-ndjson",
      "x-amz-content-sha256": "(the body's SHA-256)",
      "x-amz-date": "(a date)",
      "x-amz-security-token": AWS.sessionToken,
    },
  },
];

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    bytes as Uint8Array<ArrayBuffer>,
  );
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** The expected headers of one request, for its compression and body. */
async function expectedFor(
  item: Case,
  gzip: boolean,
  request: RecordedRequest,
): Promise<Record<string, string>> {
  const expected = { ...item.expected };
  if (gzip) expected["content-encoding"] = "gzip";
  if (item.signed) {
    expected["x-amz-content-sha256"] = await sha256Hex(request.rawBody);
    if (gzip) {
      expected.authorization = expected.authorization!.replace(
        "SignedHeaders=content-type;",
        "SignedHeaders=content-encoding;content-type;",
      );
    }
  }
  return expected;
}

for (const item of CASES) {
  Deno.test(`${item.name}: the exporter's request carries exactly its headers, plain and gzip`, async () => {
    const fake = item.start();
    try {
      for (const compression of ["none", "gzip"] as const) {
        const exporter = createExporter({
          ...item.config(fake.url),
          compression,
        });
        const outcome = await exporter.send(goldenSIEMEvents());
        assert.deepEqual(outcome.verdict, { kind: "delivered" });
        const request = fake.requests.at(-1)!;
        assert.equal(request.method, "POST");
        const sent = sentHeaders(request);
        assert.deepEqual(
          item.signed ? withoutSignature(sent) : sent,
          await expectedFor(item, compression === "gzip", request),
          compression,
        );
      }
    } finally {
      await fake.close();
    }
  });

  Deno.test(`${item.name}: the integrator's requests carry the same headers`, async () => {
    const fake = item.start();
    try {
      const integrator = new SIEMIntegrator([
        { ...item.config(fake.url), compression: "gzip" },
      ], { autoFlush: false });
      const results = await integrator.exportEvents([{
        correlation_id: "c",
        event_type: "tool_call",
        actor: "a",
        action: "x",
        status: "success",
      }]);
      assert.equal(results[0]?.success, true, JSON.stringify(results));
      await integrator.stop({ timeoutMs: 1000 });
      assert.equal(fake.requests.length, 1);
      const request = fake.requests[0]!;
      const sent = sentHeaders(request);
      assert.deepEqual(
        item.signed ? withoutSignature(sent) : sent,
        await expectedFor(item, true, request),
      );
    } finally {
      await fake.close();
    }
  });
}
