import assert from "node:assert/strict";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import { excerpt, type ResponseVerdict } from "../../src/platforms/verdict.ts";

// Every reason a user reads (in the log, `lastError`, a dead letter) must be
// a sentence that names the HTTP status and what the body said, whatever
// the body: empty, an HTML page, plain text, or JSON of another shape.
const PLATFORMS = [
  { platform: "splunk", endpoint: "https://hec.example.com:8088", token: "t" },
  { platform: "elasticsearch", endpoint: "https://es.example.com:9200" },
  { platform: "datadog", endpoint: "https://http-intake.logs.datadoghq.com" },
] as const;

const JSON_TYPE = { "content-type": "application/json" };
const BODIES: {
  name: string;
  body: string;
  headers: Record<string, string>;
}[] = [
  { name: "empty", body: "", headers: {} },
  { name: "blank", body: "  \n ", headers: JSON_TYPE },
  {
    name: "HTML",
    body: "<html><body><h1>503 Service Unavailable</h1></body></html>",
    headers: { "content-type": "text/html" },
  },
  { name: "plain text", body: "upstream connect error", headers: {} },
  { name: "truncated JSON", body: '{"code":', headers: JSON_TYPE },
  { name: "empty object", body: "{}", headers: JSON_TYPE },
  { name: "other object", body: '{"message":"busy"}', headers: JSON_TYPE },
  { name: "JSON null", body: "null", headers: JSON_TYPE },
  { name: "JSON array", body: "[]", headers: JSON_TYPE },
  { name: "HEC code, no text", body: '{"code":9}', headers: JSON_TYPE },
  {
    name: "HEC text, no code",
    body: '{"text":"Server is busy"}',
    headers: JSON_TYPE,
  },
  { name: "HEC empty text", body: '{"text":"","code":6}', headers: JSON_TYPE },
  { name: "Datadog empty errors", body: '{"errors":[]}', headers: JSON_TYPE },
  {
    name: "Datadog odd errors",
    body: '{"errors":[{},null,""]}',
    headers: JSON_TYPE,
  },
  {
    name: "Datadog odd title",
    body: '{"errors":[{"title":5},"busy"]}',
    headers: JSON_TYPE,
  },
  { name: "ES empty error", body: '{"error":{}}', headers: JSON_TYPE },
  {
    name: "ES null error",
    body: '{"error":null,"status":500}',
    headers: JSON_TYPE,
  },
  { name: "ES empty items", body: '{"items":[]}', headers: JSON_TYPE },
];
const STATUSES = [200, 400, 401, 403, 404, 413, 429, 500, 503];

function reasons(verdict: ResponseVerdict): string[] {
  switch (verdict.kind) {
    case "delivered":
      return [];
    case "retry":
    case "split":
      return [verdict.reason];
    case "partial":
      return [...verdict.retry, ...verdict.rejected].map((f) => f.reason);
  }
}

for (const config of PLATFORMS) {
  Deno.test(`${config.platform} classify(): every reason names the status and what the body said`, () => {
    const exporter = createExporter(config);
    const faults: string[] = [];
    for (const status of STATUSES) {
      for (const { name, body, headers } of BODIES) {
        const verdict = exporter.classify(
          status,
          new Headers(headers),
          body,
          1,
          0,
        );
        for (const reason of reasons(verdict)) {
          const where = `${status} ${name}: ${JSON.stringify(reason)}`;
          // The body quoted as it came may say anything; the words around
          // it may not.
          const quoted = excerpt(body);
          const own = quoted ? reason.replace(quoted, "<body>") : reason;
          if (/undefined|null\b|\[object|NaN/.test(own)) {
            faults.push(`says undefined/null: ${where}`);
          }
          if (/:\s*$|:\s\s|[:;]\s*;|""|''|\(\s*\)/.test(own)) {
            faults.push(`has an empty part: ${where}`);
          }
          if (!reason.includes(`HTTP ${status}`)) {
            faults.push(`does not name HTTP ${status}: ${where}`);
          }
          if (body.trim() === "" && !/empty body/.test(reason)) {
            faults.push(`does not say the body was empty: ${where}`);
          }
        }
      }
    }
    assert.deepEqual(faults, []);
  });
}
