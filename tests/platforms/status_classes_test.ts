/**
 * Every HTTP status from 400 to 599, each platform's error body, one table:
 * what the verdict does with the batch. A status one off a class boundary
 * (399/400, 499/500, 500/501) or one dropped from a list is a different
 * row here, so it cannot move without a failing test.
 *
 * The classes, from the platforms' docs and RFC 9110 §15: 408, 429 and 5xx
 * but 501 (Not Implemented, which no retry changes) are transient and
 * retried as they are, honouring Retry-After; 413 splits the batch; a
 * payload fault the platform names splits it too (Datadog's 400,
 * https://docs.datadoghq.com/api/latest/logs/#send-logs; Elasticsearch's
 * parse errors; HEC's event faults without an event number); any other 4xx
 * and 501 come from the setup (credential, path, cluster): retried with the
 * backlog kept and a hint of what to check, never dropped.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import type { SIEMPlatform } from "../../src/platforms/platform.ts";
import type { ResponseVerdict } from "../../src/platforms/verdict.ts";
import type { Exporter } from "../../src/platforms/exporter.ts";

/**
 * The platforms whose status classes this file holds; Sentinel's (an Entra
 * token first, 400 split to isolate a row) are in `sentinel_test.ts`, the
 * generic HTTP destination's (any other 4xx dead-lettered) in `http_test.ts`.
 */
type Platform = Exclude<SIEMPlatform, "sentinel" | "http">;

const JSON_HEADERS = { "content-type": "application/json; charset=UTF-8" };

/** The platform's own error body for `status`. */
// The platforms of the table; the success class below covers the ones
// with a token.
type TokenPlatform = Exclude<Platform, "google_secops">;

function errorBody(platform: Platform, status: number): string {
  switch (platform) {
    case "splunk":
      // Code 8, "Internal server error": no event named, no setup code.
      return JSON.stringify({ text: "Internal server error", code: 8 });
    case "elasticsearch":
    case "opensearch":
      return JSON.stringify({
        error: {
          root_cause: [{ type: "status_exception", reason: "refused" }],
          type: "status_exception",
          reason: "refused",
        },
        status,
      });
    case "datadog":
      return JSON.stringify({
        errors: [{ status: String(status), title: "Refused", detail: "x" }],
      });
    case "google_secops":
      // https://cloud.google.com/apis/design/errors
      return JSON.stringify({
        error: { code: status, message: "refused", status: "X" },
      });
  }
}

type Expected = "transient" | "split" | "setup";

function expected(platform: Platform, status: number): Expected {
  if (status === 408 || status === 429) return "transient";
  if (status >= 500) return status === 501 ? "setup" : "transient";
  if (status === 413) return "split";
  if (
    status === 400 && (platform === "datadog" || platform === "google_secops")
  ) return "split";
  return "setup";
}

function kindOf(verdict: ResponseVerdict): Expected | string {
  if (verdict.kind === "split") return "split";
  if (verdict.kind !== "retry") return verdict.kind;
  return verdict.setup === undefined ? "transient" : "setup";
}

const PLATFORMS: readonly Platform[] = [
  "splunk",
  "elasticsearch",
  "datadog",
  "opensearch",
  "google_secops",
];

function tableExporter(platform: Platform): Exporter {
  if (platform === "google_secops") {
    return createExporter({
      platform,
      endpoint: "https://chronicle.us.rep.googleapis.com",
      googleSecOps: {
        credentials: {
          client_email: "w@p.iam.gserviceaccount.com",
          private_key:
            "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
        },
        project: "test-project",
        location: "us",
        instance: "ebdc4bb9-878b-11e7-8455-10604b7cb5c1",
        logType: "HAROMBE_AUDIT",
      },
    });
  }
  return createExporter({
    platform,
    endpoint: "https://siem.example.com",
    token: "token-0123456789",
    ...(platform === "opensearch" ? { username: "u" } : {}),
  });
}

for (const platform of PLATFORMS) {
  Deno.test(`${platform}: every status from 400 to 599 is transient, split or setup as its class says`, () => {
    const exporter = tableExporter(platform);
    const wrong: string[] = [];
    for (let status = 400; status <= 599; status++) {
      const headers = new Headers({ ...JSON_HEADERS, "Retry-After": "3" });
      const verdict = exporter.classify(
        status,
        headers,
        errorBody(platform, status),
        2,
        0,
      );
      const want = expected(platform, status);
      const got = kindOf(verdict);
      if (got !== want) wrong.push(`${status}: ${got}, not ${want}`);
      if (verdict.kind === "retry") {
        // Retry-After is honoured whatever the class; the status is kept.
        if (verdict.retryAfterMs !== 3000 || verdict.status !== status) {
          wrong.push(`${status}: ${JSON.stringify(verdict)}`);
        }
      }
      if (verdict.kind === "split" && verdict.status !== status) {
        wrong.push(`${status}: split without its status`);
      }
    }
    assert.deepEqual(wrong, []);
  });
}

Deno.test("the success class: what each platform answers for a stored batch is delivered, a 2xx from something else is not", () => {
  const make = (platform: TokenPlatform) =>
    createExporter({
      platform,
      endpoint: "https://siem.example.com",
      token: "token-0123456789",
      ...(platform === "opensearch" ? { username: "u" } : {}),
    });
  const json = new Headers(JSON_HEADERS);
  const html = new Headers({ "content-type": "text/html" });
  // Datadog: 202 `{}` (any 2xx with JSON or an empty body).
  const datadog = make("datadog");
  for (const status of [200, 202, 204, 299]) {
    assert.deepEqual(
      datadog.classify(status, json, "{}", 2, 0),
      { kind: "delivered" },
      `datadog ${status}`,
    );
  }
  assert.equal(
    datadog.classify(200, html, "<html>ok</html>", 2, 0).kind,
    "retry",
  );
  // HEC: 200 with code 0 only.
  const splunk = make("splunk");
  const success = JSON.stringify({ text: "Success", code: 0 });
  assert.deepEqual(splunk.classify(200, json, success, 2, 0), {
    kind: "delivered",
  });
  for (const status of [201, 202, 299]) {
    assert.equal(kindOf(splunk.classify(status, json, success, 2, 0)), "setup");
  }
  // Bulk: 200 with one item per event.
  const items = JSON.stringify({
    errors: false,
    items: [{ create: { status: 201 } }, { create: { status: 201 } }],
  });
  for (const platform of ["elasticsearch", "opensearch"] as const) {
    assert.deepEqual(make(platform).classify(200, json, items, 2, 0), {
      kind: "delivered",
    });
    assert.equal(
      make(platform).classify(200, json, items, 3, 0).kind,
      "retry",
      `${platform}: items for 2 of 3 events`,
    );
  }
});
