import assert from "node:assert/strict";
import { IngestError } from "../../src/ingest/ingest_error.ts";
import { bodyFormat, parseEvents } from "../../src/ingest/parse_events.ts";
import { JSON_STYLES, writeJson } from "../support/json_styles.ts";

const encoder = new TextEncoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Runs `fn` and returns the IngestError it throws. */
function ingestErrorOf(fn: () => unknown): IngestError {
  try {
    fn();
  } catch (error) {
    assert.ok(
      error instanceof IngestError,
      `expected an IngestError, got ${String(error)}`,
    );
    return error;
  }
  assert.fail("expected an IngestError, nothing was thrown");
}

Deno.test("bodyFormat() reads application/json, with or without a charset", () => {
  assert.equal(bodyFormat("application/json"), "json");
  assert.equal(bodyFormat("application/json; charset=utf-8"), "json");
  assert.equal(bodyFormat("Application/JSON;charset=UTF-8"), "json");
});

Deno.test("bodyFormat() reads application/x-ndjson and application/ndjson", () => {
  assert.equal(bodyFormat("application/x-ndjson"), "ndjson");
  assert.equal(bodyFormat("application/ndjson"), "ndjson");
  assert.equal(bodyFormat("application/x-ndjson; charset=utf-8"), "ndjson");
});

Deno.test("bodyFormat() refuses other, missing and look-alike types with 415", () => {
  for (const type of ["text/plain", null, "", "application/jsonx"]) {
    const error = ingestErrorOf(() => bodyFormat(type));
    assert.equal(error.status, 415, `status for ${String(type)}`);
    assert.equal(error.code, "unsupported_media_type");
  }
});

Deno.test("parseEvents() turns one JSON object into one event", () => {
  const events = parseEvents(bytes('{"actor":"a","n":1}'), "json", 10);
  assert.deepEqual(events, [{ actor: "a", n: 1 }]);
});

Deno.test("parseEvents() turns a JSON array into its events", () => {
  const events = parseEvents(
    bytes('[{"actor":"a"},{"actor":"b"},{"actor":"c"}]'),
    "json",
    10,
  );
  assert.deepEqual(events, [{ actor: "a" }, { actor: "b" }, { actor: "c" }]);
});

Deno.test("parseEvents() reads NDJSON, skipping blank lines and accepting CRLF", () => {
  const body = '{"actor":"a"}\r\n\r\n{"actor":"b"}\n   \n{"actor":"c"}\r\n';
  const events = parseEvents(bytes(body), "ndjson", 10);
  assert.deepEqual(events, [{ actor: "a" }, { actor: "b" }, { actor: "c" }]);
});

Deno.test("parseEvents() refuses malformed JSON without quoting the body", () => {
  const secret = "zq-SECRET-BODY-7f3c9a";
  const body = `{"actor": "${secret}", "token": ${secret}`;
  const error = ingestErrorOf(() => parseEvents(bytes(body), "json", 10));
  assert.equal(error.status, 400);
  assert.equal(error.code, "malformed_body");
  const shown = error.message + JSON.stringify(error.toBody());
  assert.ok(!shown.includes(secret), `body leaked: ${shown}`);
  assert.ok(!shown.includes("SECRET"), `body leaked: ${shown}`);
  assert.ok(!shown.includes("7f3c9a"), `body leaked: ${shown}`);
});

Deno.test("parseEvents() reports the line of malformed NDJSON", () => {
  const secret = "zq-NDJSON-SECRET-4411";
  const body =
    `{"actor":"a"}\n{"actor":"b"}\n{"actor": ${secret}\n{"actor":"d"}\n`;
  const error = ingestErrorOf(() => parseEvents(bytes(body), "ndjson", 10));
  assert.equal(error.status, 400);
  assert.equal(error.code, "malformed_body");
  assert.equal(error.details.line, 3);
  assert.match(error.message, /line 3\b/);
  assert.equal(error.toBody().error.line, 3);
  assert.ok(!error.message.includes(secret));
});

Deno.test("parseEvents() counts blank lines when reporting the NDJSON line", () => {
  const body = '{"actor":"a"}\r\n\r\nnot json\r\n';
  const error = ingestErrorOf(() => parseEvents(bytes(body), "ndjson", 10));
  assert.equal(error.details.line, 3);
});

Deno.test("parseEvents() refuses a body that is not valid UTF-8", () => {
  const body = new Uint8Array([
    ...bytes('{"actor":"'),
    0xff,
    0xfe,
    0xc3,
    ...bytes('"}'),
  ]);
  for (const format of ["json", "ndjson"] as const) {
    const error = ingestErrorOf(() => parseEvents(body, format, 10));
    assert.equal(error.status, 400);
    assert.equal(error.code, "malformed_body");
    assert.match(error.message, /UTF-8/);
  }
});

Deno.test("parseEvents() refuses a body with no event", () => {
  const cases: [string, "json" | "ndjson"][] = [
    ["[]", "json"],
    ["", "ndjson"],
    ["\n\r\n  \n", "ndjson"],
  ];
  for (const [body, format] of cases) {
    const error = ingestErrorOf(() => parseEvents(bytes(body), format, 10));
    assert.equal(error.status, 400, `status for ${JSON.stringify(body)}`);
    assert.equal(error.code, "malformed_body");
    assert.match(error.message, /no event/);
  }
});

Deno.test("parseEvents() refuses an empty JSON body", () => {
  const error = ingestErrorOf(() => parseEvents(new Uint8Array(0), "json", 10));
  assert.equal(error.status, 400);
  assert.equal(error.code, "malformed_body");
});

Deno.test("parseEvents() refuses a JSON scalar", () => {
  for (const body of ["42", '"x"', "null", "true"]) {
    const error = ingestErrorOf(() => parseEvents(bytes(body), "json", 10));
    assert.equal(error.status, 400, `status for ${body}`);
    assert.equal(error.code, "malformed_body");
  }
});

Deno.test("parseEvents() refuses more than maxEvents with 413", () => {
  const json = JSON.stringify(Array.from({ length: 4 }, (_, i) => ({ i })));
  const ndjson = Array.from({ length: 4 }, (_, i) => `{"i":${i}}`).join("\n");
  for (
    const [body, format] of [[json, "json"], [ndjson, "ndjson"]] as const
  ) {
    const error = ingestErrorOf(() => parseEvents(bytes(body), format, 3));
    assert.equal(error.status, 413);
    assert.equal(error.code, "too_many_events");
  }
});

Deno.test("parseEvents() accepts exactly maxEvents", () => {
  const json = JSON.stringify(Array.from({ length: 3 }, (_, i) => ({ i })));
  assert.equal(parseEvents(bytes(json), "json", 3).length, 3);
  const ndjson = Array.from({ length: 3 }, (_, i) => `{"i":${i}}`).join("\n");
  assert.equal(parseEvents(bytes(ndjson), "ndjson", 3).length, 3);
  assert.equal(parseEvents(bytes('{"i":0}'), "json", 1).length, 1);
});

// Deno 2.9.6's JSON.parse gives the key "\" for an escaped key such as
// "\u0000" once a key "\" followed the same keys (src/events/json_text.ts).
Deno.test("parseEvents() keeps an escaped key that Deno 2.9.6's JSON.parse turns into another key", () => {
  const trap = '{"metadata":{"a":0,"\\\\":0}}';
  const event = '{"metadata":{"a":0,"\\u0000":1}}';
  for (const format of ["json", "ndjson"] as const) {
    parseEvents(bytes(trap), format, 10);
    const [parsed] = parseEvents(bytes(event), format, 10) as [
      { metadata: object },
    ];
    assert.deepEqual(Object.keys(parsed.metadata), ["a", "\u0000"], format);
  }
  // One body is enough: the second parse of the same text errs.
  const body = `[${event},${trap}]`;
  for (let i = 0; i < 3; i++) {
    const [first] = parseEvents(bytes(body), "json", 10) as [
      { metadata: object },
    ];
    assert.deepEqual(Object.keys(first.metadata), ["a", "\u0000"]);
  }
});

Deno.test("parseEvents() takes events as PHP, Python, .NET and PowerShell encoders write them (\\/, \\u escapes, CRLF, tabs), in JSON and NDJSON", () => {
  const event = {
    correlation_id: "req-1",
    event_type: "tool_call",
    actor: "José",
    action: "GET https://api.example.com/v1/files",
    status: "success",
    metadata: { "clé": "<b>&</b>", path: "a/b\\c", text: "x\r\ny" },
  };
  for (const style of JSON_STYLES) {
    const array = writeJson(
      [event, { ...event, correlation_id: "req-2" }],
      style,
    );
    assert.deepEqual(
      parseEvents(bytes(array), "json", 10),
      [event, { ...event, correlation_id: "req-2" }],
      `${style.name}: ${array}`,
    );
    // NDJSON is one event per line, so written on one line whatever the
    // style's indentation; lines end as the style's platform ends them.
    const line = writeJson(event, { ...style, indent: "" });
    const newline = style.newline === "\r\n" ? "\r\n" : "\n";
    assert.deepEqual(
      parseEvents(bytes(`${line}${newline}${line}${newline}`), "ndjson", 10),
      [event, event],
      `${style.name} NDJSON`,
    );
  }
});
