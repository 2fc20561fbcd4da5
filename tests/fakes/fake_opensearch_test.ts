import assert from "node:assert/strict";
import { signAwsRequest } from "../../src/platforms/aws_sigv4.ts";
import { startFakeOpenSearch } from "./fake_opensearch.ts";

const CREDENTIALS = {
  accessKeyId: "AKIAFAKE0123456789",
  secretAccessKey: "fake-secret-0123456789",
};
const BODY = new TextEncoder().encode(
  '{"create":{}}\n{"@timestamp":"2026-11-30T00:00:00.000Z","a":1}\n',
);

async function post(
  url: string,
  headers: Record<string, string>,
  body: Uint8Array = BODY,
): Promise<{ status: number; json: Record<string, unknown> | string }> {
  const response = await fetch(`${url}/audit/_bulk`, {
    method: "POST",
    headers,
    body: body as Uint8Array<ArrayBuffer>,
  });
  const text = await response.text();
  try {
    return { status: response.status, json: JSON.parse(text) };
  } catch {
    return { status: response.status, json: text };
  }
}

async function signed(
  url: string,
  service: "es" | "aoss",
  options: { body?: Uint8Array; contentSha256Header?: boolean } = {},
): Promise<Record<string, string>> {
  const result = await signAwsRequest({
    method: "POST",
    url: `${url}/audit/_bulk`,
    headers: { "content-type": "application/x-ndjson" },
    body: options.body ?? BODY,
    region: "eu-west-1",
    service,
    credentials: CREDENTIALS,
    contentSha256Header: options.contentSha256Header,
  });
  const { host: _host, ...headers } = result.headers;
  return headers;
}

Deno.test("fake OpenSearch accepts a correct SigV4 signature and refuses a tampered body", async () => {
  await using os = startFakeOpenSearch({
    sigv4: { credentials: CREDENTIALS, region: "eu-west-1", service: "es" },
  });
  const ok = await post(os.url, await signed(os.url, "es"));
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.equal(os.documents.length, 1);

  const tampered = new Uint8Array(BODY);
  tampered[tampered.length - 3] = 0x32; // "a":2
  const refused = await post(os.url, await signed(os.url, "es"), tampered);
  assert.equal(refused.status, 403);
  assert.match(
    String((refused.json as { message: string }).message),
    /signature we calculated does not match/,
  );

  const unsigned = await post(os.url, {
    "content-type": "application/x-ndjson",
  });
  assert.deepEqual(unsigned, {
    status: 403,
    json: { message: "Missing Authentication Token" },
  });
});

Deno.test("fake OpenSearch Serverless requires x-amz-content-sha256 and refuses custom _id", async () => {
  await using os = startFakeOpenSearch({
    sigv4: { credentials: CREDENTIALS, region: "eu-west-1", service: "aoss" },
    serverless: true,
  });
  const withoutHash = await post(
    os.url,
    await signed(os.url, "aoss", { contentSha256Header: false }),
  );
  assert.equal(withoutHash.status, 403);

  const body = new TextEncoder().encode(
    '{"create":{"_id":"e-1"}}\n{"@timestamp":"2026-11-30T00:00:00.000Z"}\n{"create":{}}\n{"@timestamp":"2026-11-30T00:00:00.000Z"}\n',
  );
  const answer = await post(
    os.url,
    await signed(os.url, "aoss", { body }),
    body,
  );
  assert.equal(answer.status, 200);
  const items = (answer.json as {
    items: { create: { status: number; error?: { reason: string } } }[];
  }).items;
  assert.equal(items[0]!.create.status, 400);
  assert.equal(
    items[0]!.create.error!.reason,
    "Document ID is not supported in create/index operation request",
  );
  assert.equal(items[1]!.create.status, 201);
});

Deno.test("fake OpenSearch refuses the Elasticsearch compatibility media type and wrong Basic auth", async () => {
  await using os = startFakeOpenSearch({
    basic: { username: "siem", password: "pw-0123456789" },
  });
  const auth = `Basic ${btoa("siem:pw-0123456789")}`;
  const compat = await post(os.url, {
    authorization: auth,
    "content-type": "application/vnd.elasticsearch+x-ndjson; compatible-with=8",
  });
  assert.equal(compat.status, 406);
  const wrong = await post(os.url, {
    authorization: `Basic ${btoa("siem:nope")}`,
    "content-type": "application/x-ndjson",
  });
  assert.deepEqual(wrong, { status: 401, json: "Unauthorized" });
  const right = await post(os.url, {
    authorization: auth,
    "content-type": "application/x-ndjson",
  });
  assert.equal(right.status, 200);
});

Deno.test("fake OpenSearch installs an index template with flat_object and refuses flattened", async () => {
  await using os = startFakeOpenSearch();
  const put = async (type: string): Promise<number> => {
    const response = await fetch(`${os.url}/_index_template/t-${type}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        index_patterns: ["audit"],
        template: { mappings: { properties: { metadata: { type } } } },
      }),
    });
    await response.body?.cancel();
    return response.status;
  };
  assert.equal(await put("flat_object"), 200);
  assert.equal(await put("flattened"), 400);
  assert.deepEqual([...os.templates.keys()], ["t-flat_object"]);
});
