import assert from "node:assert/strict";
import { SENTINEL, startSentinelFakes } from "../support/sentinel.ts";

const ROW = {
  TimeGenerated: "2026-01-31T12:00:00.123Z",
  event_id: "e1",
  correlation_id: "c",
  timestamp: "2026-01-31T12:00:00.123Z",
  event_type: "request",
  actor: "a",
  action: "x",
  metadata: {},
  status: "success",
  source: "harombe",
  severity: "info",
};

async function token(
  fakes: ReturnType<typeof startSentinelFakes>,
  form: Record<string, string> = {},
): Promise<Response> {
  return await fetch(
    `${fakes.entra.url}/${SENTINEL.tenantId}/oauth2/v2.0/token`,
    {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: SENTINEL.clientId,
        scope: "https://monitor.azure.com/.default",
        client_secret: SENTINEL.clientSecret,
        grant_type: "client_credentials",
        ...form,
      }),
    },
  );
}

async function upload(
  fakes: ReturnType<typeof startSentinelFakes>,
  body: BodyInit,
  options: {
    bearer?: string;
    query?: string;
    stream?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; code: string | null; text: string }> {
  const response = await fetch(
    `${fakes.sentinel.url}/dataCollectionRules/${SENTINEL.dcrImmutableId}/streams/${
      options.stream ?? SENTINEL.streamName
    }${options.query ?? "?api-version=2023-01-01"}`,
    {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        ...(options.bearer
          ? { Authorization: `Bearer ${options.bearer}` }
          : {}),
        ...options.headers,
      },
      body,
    },
  );
  return {
    status: response.status,
    code: response.headers.get("x-ms-error-code"),
    text: await response.text(),
  };
}

async function gzip(text: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("fake Entra: checks the form and tells the tenant, client, secret and scope errors apart", async () => {
  await using fakes = startSentinelFakes();
  const ok = await token(fakes);
  const body = await ok.json();
  assert.equal(ok.status, 200);
  assert.equal(body.token_type, "Bearer");
  assert.equal(body.expires_in, 60);
  for (
    const [form, status, code] of [
      [{ client_secret: "wrong" }, 401, 7000215],
      [{ client_id: "00000000-0000-0000-0000-000000000009" }, 400, 700016],
      [{ scope: "https://monitor.azure.com" }, 400, 1002012],
      [{ grant_type: "password" }, 400, 70003],
    ] as const
  ) {
    const answer = await token(fakes, form);
    const error = await answer.json();
    assert.equal(answer.status, status, JSON.stringify(form));
    assert.deepEqual(error.error_codes, [code]);
    assert.match(error.error_description, new RegExp(`^AADSTS${code}: `));
  }
  fakes.entra.expireSecret(true);
  assert.deepEqual((await (await token(fakes)).json()).error_codes, [7000222]);
});

Deno.test("fake Logs Ingestion API: 204 for an array of declared columns, and the documented refusals", async () => {
  let now = 0;
  await using fakes = startSentinelFakes({ now: () => now });
  const bearer = (await (await token(fakes)).json()).access_token as string;
  const rows = JSON.stringify([ROW]);
  assert.equal((await upload(fakes, rows, { bearer })).status, 204);
  assert.equal((await upload(fakes, "[]", { bearer })).status, 204);
  assert.deepEqual(fakes.sentinel.rows, [ROW]);
  // Refusals: status and x-ms-error-code.
  const refusals: Array<
    [Promise<{ status: number; code: string | null }>, number, string]
  > = [
    [upload(fakes, rows), 401, "InvalidAuthenticationToken"],
    [
      upload(fakes, rows, { bearer: "made-up" }),
      401,
      "InvalidAuthenticationToken",
    ],
    [upload(fakes, rows, { bearer, query: "" }), 400, "InvalidApiVersion"],
    [
      upload(fakes, rows, { bearer, stream: "Custom-Other" }),
      404,
      "InvalidStream",
    ],
    [
      upload(fakes, rows, {
        bearer,
        headers: { "Content-Type": "text/plain" },
      }),
      415,
      "UnsupportedMediaType",
    ],
    [upload(fakes, JSON.stringify(ROW), { bearer }), 400, "InvalidRequestBody"],
    [
      upload(fakes, JSON.stringify([{ ...ROW, extra: 1 }]), { bearer }),
      400,
      "InvalidRequestBody",
    ],
    [
      upload(fakes, JSON.stringify([{ ...ROW, duration_ms: "12" }]), {
        bearer,
      }),
      400,
      "InvalidRequestBody",
    ],
    [
      upload(fakes, JSON.stringify([{ ...ROW, TimeGenerated: undefined }]), {
        bearer,
      }),
      400,
      "InvalidRequestBody",
    ],
  ];
  for (const [answer, status, code] of refusals) {
    const got = await answer;
    assert.equal(got.status, status, code);
    assert.equal(got.code, code);
  }
  // The token expires on the fake's clock.
  now = 60_000;
  const expired = await upload(fakes, rows, { bearer });
  assert.equal(expired.status, 401);
  assert.equal(expired.code, "ExpiredAuthenticationToken");
  assert.equal(fakes.sentinel.rows.length, 1);
});

Deno.test("fake Logs Ingestion API: the 1 MB cap holds before compression too", async () => {
  await using fakes = startSentinelFakes();
  const bearer = (await (await token(fakes)).json()).access_token as string;
  const big = JSON.stringify([{
    ...ROW,
    metadata: { blob: "x".repeat(1_048_576) },
  }]);
  const compressed = await gzip(big);
  assert.ok(compressed.byteLength < 100_000);
  const answer = await upload(fakes, compressed, {
    bearer,
    headers: { "Content-Encoding": "gzip" },
  });
  assert.equal(answer.status, 413);
  assert.equal(answer.code, "ContentLengthLimitExceeded");
  assert.match(
    answer.text,
    /Maximum allowed content length: 1048576 bytes \(1 MB\)\. Provided content length: \d+ bytes\./,
  );
  assert.equal(fakes.sentinel.rows.length, 0);
});

Deno.test("fake Logs Ingestion API: 403 OperationFailed without the role", async () => {
  await using fakes = startSentinelFakes();
  fakes.sentinel.assignRole(false);
  const bearer = (await (await token(fakes)).json()).access_token as string;
  const answer = await upload(fakes, JSON.stringify([ROW]), { bearer });
  assert.equal(answer.status, 403);
  assert.match(
    answer.text,
    /does not have access to ingest data for the data collection rule/,
  );
});
