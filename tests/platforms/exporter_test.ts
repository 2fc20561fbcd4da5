import assert from "node:assert/strict";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import { RequestAbortedError } from "../../src/platforms/exporter_request.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { goldenSIEMEvents } from "../fixtures/events.ts";
import { SENTINEL } from "../support/sentinel.ts";

const TOKEN = "11111111-2222-3333-4444-555555555555";
const SPLUNK: SIEMConfigInput = {
  platform: "splunk",
  endpoint: "https://hec.example.com:8088",
  token: TOKEN,
};

/** A `fetch` that records the request and answers with `response`. */
function answering(
  response: () => Response,
): { fetch: typeof fetch; requests: Request[] } {
  const requests: Request[] = [];
  return {
    requests,
    fetch: (input, init) => {
      requests.push(new Request(input, init));
      return Promise.resolve(response());
    },
  };
}

Deno.test("Exporter.post(): a redirect is a retry with its status and Location, the credential taken out; redirects are never followed", async () => {
  const exporter = createExporter(SPLUNK);
  for (const status of [301, 302, 307, 308]) {
    const fake = answering(() =>
      new Response(null, {
        status,
        headers: { location: `https://login.example.com/sso?token=${TOKEN}` },
      })
    );
    const outcome = await exporter.send(goldenSIEMEvents(), {
      fetch: fake.fetch,
      now: () => 5,
    });
    assert.deepEqual(outcome, {
      verdict: {
        kind: "retry",
        status,
        reason:
          `unexpected redirect (HTTP ${status}) to https://login.example.com/sso?token=[redacted]: check the endpoint`,
      },
      status,
      latencyMs: 0,
    });
    assert.equal(fake.requests[0]!.redirect, "manual");
  }
  const bare = answering(() => new Response(null, { status: 303 }));
  const outcome = await exporter.send(goldenSIEMEvents(), {
    fetch: bare.fetch,
  });
  assert.equal(
    outcome.verdict.kind === "retry" && outcome.verdict.reason,
    "unexpected redirect (HTTP 303) to (no location): check the endpoint",
  );
});

Deno.test("Exporter.post(): status and latency come from the answer and the injected clock", async () => {
  const exporter = createExporter(SPLUNK);
  let t = 1000;
  const fake = answering(() => {
    t += 250;
    return Response.json({ text: "Success", code: 0 });
  });
  const outcome = await exporter.send(goldenSIEMEvents(), {
    fetch: fake.fetch,
    now: () => t,
  });
  assert.deepEqual(outcome, {
    verdict: { kind: "delivered" },
    status: 200,
    latencyMs: 250,
  });
  const request = fake.requests[0]!;
  assert.equal(request.method, "POST");
  assert.equal(
    request.url,
    "https://hec.example.com:8088/services/collector/event",
  );
  assert.equal(request.headers.get("authorization"), `Splunk ${TOKEN}`);
  assert.equal(request.headers.get("content-encoding"), null);
});

Deno.test("Exporter.prepare(): gzip compresses the exact bytes, keeps the uncompressed size, and post() says Content-Encoding: gzip", async () => {
  const exporter = createExporter({ ...SPLUNK, compression: "gzip" });
  const plain = createExporter(SPLUNK).formatBatch(goldenSIEMEvents());
  const prepared = await exporter.prepare(goldenSIEMEvents());
  assert.equal(
    prepared.uncompressedBytes,
    new TextEncoder().encode(plain).length,
  );
  const unzipped = await new Response(
    new Blob([prepared.body]).stream().pipeThrough(
      new DecompressionStream("gzip"),
    ),
  ).text();
  assert.equal(unzipped, plain);
  const fake = answering(() => Response.json({ text: "Success", code: 0 }));
  await exporter.post(prepared, { fetch: fake.fetch });
  assert.equal(fake.requests[0]!.headers.get("content-encoding"), "gzip");
  assert.deepEqual(
    new Uint8Array(await fake.requests[0]!.arrayBuffer()),
    prepared.body,
  );
});

Deno.test("Exporter.post(): a signing failure is a retry with status 0, its setup hint kept and the secret taken out; without a hint, none", async () => {
  const sentinel = createExporter({
    platform: "sentinel",
    endpoint: "https://dce.westeurope-1.ingest.monitor.azure.com",
    sentinel: { ...SENTINEL },
  });
  const refused = answering(() =>
    Response.json({
      error: "invalid_client",
      error_description:
        `AADSTS7000215: Invalid client secret provided: ${SENTINEL.clientSecret}`,
      error_codes: [7000215],
    }, { status: 401 })
  );
  const outcome = await sentinel.send(goldenSIEMEvents(), {
    fetch: refused.fetch,
  });
  assert.equal(outcome.status, 0);
  assert.equal(outcome.latencyMs, 0);
  assert.equal(outcome.verdict.kind, "retry");
  assert.ok(outcome.verdict.kind === "retry");
  assert.match(
    outcome.verdict.reason,
    /^cannot sign the request: Entra token request failed \(HTTP 401\)/,
  );
  assert.match(outcome.verdict.setup ?? "", /client secret is wrong/);
  assert.equal(JSON.stringify(outcome).includes(SENTINEL.clientSecret), false);
  assert.equal(
    refused.requests.length,
    1,
    "only the token request: nothing posted",
  );
  const busy = answering(() => new Response("busy", { status: 503 }));
  const transient = await sentinel.send(goldenSIEMEvents(), {
    fetch: busy.fetch,
  });
  assert.equal(transient.verdict.kind, "retry");
  assert.equal("setup" in transient.verdict, false);
});

Deno.test("Exporter.post(): an abort while signing or sending rejects with RequestAbortedError", async () => {
  const sentinel = createExporter({
    platform: "sentinel",
    endpoint: "https://dce.westeurope-1.ingest.monitor.azure.com",
    sentinel: { ...SENTINEL },
  });
  const controller = new AbortController();
  const aborting: typeof fetch = (_input, init) =>
    new Promise((_, reject) => {
      init?.signal?.addEventListener(
        "abort",
        () => reject(init.signal!.reason),
      );
      controller.abort(new Error("stop"));
    });
  await assert.rejects(
    sentinel.send(goldenSIEMEvents(), {
      fetch: aborting,
      signal: controller.signal,
    }),
    RequestAbortedError,
  );
  const splunk = createExporter(SPLUNK);
  const second = new AbortController();
  const abortingPost: typeof fetch = (_input, init) =>
    new Promise((_, reject) => {
      init?.signal?.addEventListener(
        "abort",
        () => reject(init.signal!.reason),
      );
      second.abort(new Error("stop"));
    });
  await assert.rejects(
    splunk.send(goldenSIEMEvents(), {
      fetch: abortingPost,
      signal: second.signal,
    }),
    RequestAbortedError,
  );
});

Deno.test("Exporter.post(): a network error is a retry with status 0 and the cause's text, the credential taken out", async () => {
  const splunk = createExporter(SPLUNK);
  // The clock does not start at 0: latency is a difference, not a time.
  let t = 1_764_000_000_000;
  const failing: typeof fetch = () => {
    t += 40;
    return Promise.reject(
      new TypeError("fetch failed", {
        cause: new Error(`connect ECONNREFUSED for token ${TOKEN}`),
      }),
    );
  };
  const outcome = await splunk.send(goldenSIEMEvents(), {
    fetch: failing,
    now: () => t,
  });
  assert.equal(outcome.status, 0);
  assert.equal(outcome.latencyMs, 40);
  assert.equal(outcome.verdict.kind, "retry");
  assert.match(
    outcome.verdict.kind === "retry" ? outcome.verdict.reason : "",
    /^network error: .*ECONNREFUSED for token \[redacted\]/,
  );
});
