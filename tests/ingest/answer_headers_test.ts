/**
 * Exactly the headers of each answer of the ingest app, none missing and
 * none extra: a client acts on them (a 401 names its scheme in
 * `WWW-Authenticate`, RFC 6750 §3 and RFC 9110 §11.6.1; a 405 lists the
 * methods in `Allow`, RFC 9110 §15.5.6; a 503 says when to come back in
 * `Retry-After`, delay-seconds, RFC 9110 §10.2.3; Prometheus reads the
 * text format by its content type,
 * https://prometheus.io/docs/instrumenting/exposition_formats/#basic-info).
 *
 * @module
 */
import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { createIngestApp } from "../../src/ingest/app.ts";
import { integratorSink } from "../../src/ingest/sink.ts";

const TOKEN = "ingest-token-0123456789";
const JSON_TYPE = { "content-type": "application/json" };
const EVENT = JSON.stringify({
  correlation_id: "c",
  event_type: "tool_call",
  actor: "a",
  action: "x",
  status: "success",
});

/** An integrator whose one destination is never reached (no flush runs). */
function integrator(): SIEMIntegrator {
  return new SIEMIntegrator([{
    platform: "splunk",
    endpoint: "http://127.0.0.1:1",
    token: "hec-token-0123456789",
  }], { autoFlush: false });
}

function headersOf(response: Response): Record<string, string> {
  return Object.fromEntries(response.headers);
}

interface Case {
  name: string;
  request: [string, RequestInit?];
  status: number;
  headers: Record<string, string>;
  full?: boolean;
}

const auth = { Authorization: `Bearer ${TOKEN}` };
const post = (
  headers: Record<string, string>,
  body = EVENT,
): RequestInit => ({ method: "POST", headers, body });

const CASES: Case[] = [
  {
    name: "accepted",
    request: ["/events", post({ ...auth, "Content-Type": "application/json" })],
    status: 202,
    headers: JSON_TYPE,
  },
  {
    name: "no token",
    request: ["/events", post({ "Content-Type": "application/json" })],
    status: 401,
    headers: {
      ...JSON_TYPE,
      "www-authenticate": 'Bearer realm="harombe-siem"',
    },
  },
  {
    name: "a token of another scheme",
    request: ["/events", {
      ...post({ "Content-Type": "application/json" }),
      headers: {
        Authorization: `Basic ${btoa(`u:${TOKEN}`)}`,
        "Content-Type": "application/json",
      },
    }],
    status: 401,
    headers: {
      ...JSON_TYPE,
      "www-authenticate": 'Bearer realm="harombe-siem"',
    },
  },
  {
    name: "a wrong token",
    request: [
      "/events",
      post({
        Authorization: "Bearer not-the-ingest-token-at-all",
        "Content-Type": "application/json",
      }),
    ],
    status: 403,
    headers: JSON_TYPE,
  },
  {
    name: "GET /events",
    request: ["/events", { headers: auth }],
    status: 405,
    headers: { ...JSON_TYPE, allow: "POST" },
  },
  {
    name: "POST /health",
    request: ["/health", { method: "POST" }],
    status: 405,
    headers: { ...JSON_TYPE, allow: "GET" },
  },
  {
    name: "DELETE /metrics",
    request: ["/metrics", { method: "DELETE", headers: auth }],
    status: 405,
    headers: { ...JSON_TYPE, allow: "GET" },
  },
  {
    name: "PUT /stats",
    request: ["/stats", { method: "PUT", headers: auth }],
    status: 405,
    headers: { ...JSON_TYPE, allow: "GET" },
  },
  {
    name: "an unknown path",
    request: ["/nope", { headers: auth }],
    status: 404,
    headers: JSON_TYPE,
  },
  {
    name: "a text body",
    request: ["/events", post({ ...auth, "Content-Type": "text/plain" })],
    status: 415,
    headers: JSON_TYPE,
  },
  {
    name: "malformed JSON",
    request: [
      "/events",
      post({ ...auth, "Content-Type": "application/json" }, "{"),
    ],
    status: 400,
    headers: JSON_TYPE,
  },
  {
    name: "full buffers",
    request: ["/events", post({ ...auth, "Content-Type": "application/json" })],
    status: 503,
    headers: { ...JSON_TYPE, "retry-after": "7" },
    full: true,
  },
  {
    name: "GET /health",
    request: ["/health"],
    status: 200,
    headers: JSON_TYPE,
  },
  {
    name: "GET /health when it cannot take events",
    request: ["/health"],
    status: 503,
    headers: JSON_TYPE,
    full: true,
  },
  {
    name: "GET /stats",
    request: ["/stats", { headers: auth }],
    status: 200,
    headers: JSON_TYPE,
  },
  {
    name: "GET /stats without a token",
    request: ["/stats"],
    status: 401,
    headers: {
      ...JSON_TYPE,
      "www-authenticate": 'Bearer realm="harombe-siem"',
    },
  },
  {
    name: "GET /metrics",
    request: ["/metrics", { headers: auth }],
    status: 200,
    headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
  },
  {
    name: "GET /metrics without a token",
    request: ["/metrics"],
    status: 401,
    headers: {
      ...JSON_TYPE,
      "www-authenticate": 'Bearer realm="harombe-siem"',
    },
  },
];

for (const item of CASES) {
  Deno.test(`ingest answer headers: ${item.name} → ${item.status} with exactly its headers`, async () => {
    const inner = integrator();
    try {
      const sink = integratorSink(inner);
      const app = createIngestApp({
        sink: item.full ? { ...sink, capacity: () => 0 } : sink,
        tokens: [TOKEN],
        retryAfterSeconds: 7,
      });
      const response = await app.request(...item.request);
      await response.body?.cancel();
      assert.equal(response.status, item.status);
      assert.deepEqual(headersOf(response), item.headers);
    } finally {
      await inner.stop({ timeoutMs: 0 });
    }
  });
}
