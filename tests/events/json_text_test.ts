/**
 * The checked JSON parse: the same result as `JSON.parse` is specified to
 * give, and the right keys where Deno 2.9.6's `JSON.parse` returns another
 * key (see src/events/json_text.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.11.0";
import {
  hasEscapedKey,
  MAX_CHECKED_DEPTH,
  parseJsonText,
} from "../../src/events/json_text.ts";
import { fcParams } from "../properties/_fc_params.ts";
import { JSON_STYLES, writeJson } from "../support/json_styles.ts";
import { bundle } from "../runtime/runtime_tools.ts";

// Sets the trap: after this, JSON.parse of `{"a":0,"\u0000":0}` in this
// process gives the key "\" (one backslash) on Deno 2.9.6.
function setTrap(): void {
  JSON.parse('{"a":0,"\\\\":0}');
  JSON.parse('[{"a":0,"\\u0000":0},{"a":0,"\\\\":0}]');
}

Deno.test("parseJsonText() keeps an escaped key that JSON.parse turns into another key", () => {
  setTrap();
  for (
    const [text, key] of [
      ['{"a":0,"\\u0000":0}', "\u0000"],
      ['{"a":0,"\\u0041":0}', "A"],
      ['{"a":0,"\\"":0}', '"'],
      ['{"a":0,"\\n":0}', "\n"],
      ['[{"a":0,"\\u0000":0},{"a":0,"\\\\":0}]', "\u0000"],
    ] as const
  ) {
    const value = parseJsonText(text);
    const first = (Array.isArray(value) ? value[0] : value) as object;
    assert.deepEqual(Object.keys(first), ["a", key], text);
  }
  const both = parseJsonText('[{"a":0,"\\u0000":1},{"a":0,"\\\\":2}]');
  assert.deepEqual(both, [{ a: 0, "\u0000": 1 }, { a: 0, "\\": 2 }]);
});

Deno.test("hasEscapedKey() finds a key with an escape, and not an escaped value", () => {
  assert.equal(hasEscapedKey('{"a":"x\\ny","b":["\\u0000"]}'), false);
  assert.equal(hasEscapedKey('{"a":"\\":"}'), false);
  assert.equal(hasEscapedKey('{"a":{"b\\n" :1}}'), true);
  assert.equal(hasEscapedKey('[{"\\\\":1}]'), true);
  assert.equal(hasEscapedKey('{"a":1}'), false);
});

Deno.test("parseJsonText() refuses what JSON.parse refuses", () => {
  for (
    const text of [
      "",
      "{",
      '{"\\u0000":}',
      '{"\\u0000":1,}',
      '["\\u0000":1]',
      '{"\\u0000":1} x',
      '{"\\x":1}',
      '{"\\u00":1}',
      '{"\\n":01}',
      '{"\\n":1.}',
      '{"\\n":+1}',
      '{"\\n":"a\tb"}',
      '\ufeff{"\\n":1}',
      '{"\\n":tru}',
      "{'\\n':1}",
    ]
  ) {
    assert.throws(() => JSON.parse(text), SyntaxError, `JSON.parse ${text}`);
    assert.throws(() => parseJsonText(text), SyntaxError, text);
  }
  const deep = "[".repeat(MAX_CHECKED_DEPTH) + '{"\\n":1}' +
    "]".repeat(MAX_CHECKED_DEPTH);
  assert.throws(() => parseJsonText(deep), /nested too deeply/);
  // MAX_CHECKED_DEPTH levels are read, objects as arrays.
  const objects = (levels: number): string =>
    '{"\\n":'.repeat(levels) + "1" + "}".repeat(levels);
  assert.deepEqual(
    parseJsonText(objects(MAX_CHECKED_DEPTH)),
    JSON.parse(objects(MAX_CHECKED_DEPTH)),
  );
  assert.throws(
    () => parseJsonText(objects(MAX_CHECKED_DEPTH + 1)),
    /nested too deeply/,
  );
});

Deno.test("parseJsonText() keeps __proto__ as an own data key, duplicate keys last-wins in first place, -0 and number edges", () => {
  const value = parseJsonText(
    '{"__proto__":{"x":1},"\\u0062":-0,"b":2,"n":1e400,"m":5e-324,"s":"\\ud800"}',
  ) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.ok(Object.hasOwn(value, "__proto__"));
  assert.deepEqual(Object.keys(value), ["__proto__", "b", "n", "m", "s"]);
  assert.equal(value.b, 2);
  assert.equal(value.n, Infinity);
  assert.equal(value.m, 5e-324);
  assert.equal(value.s, "\ud800");
  assert.ok(
    Object.is((parseJsonText('{"\\n":-0}') as { "\n": number })["\n"], -0),
  );
});

// Keys drawn so that the escaped ones are written with an escape by
// JSON.stringify (control characters, quote, backslash) or by hand (\\u).
const key = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom("\u0000", "\\", '"', "\n", "a\\", "__proto__", "0", "é"),
);

function escapeSome(text: string): string {
  // Writes every "é" as \u00e9: JSON.parse takes both forms.
  return text.replaceAll("é", "\\u00e9");
}

Deno.test("property: parseJsonText() reads back exactly what JSON.stringify wrote, with keys escaped or not", () => {
  setTrap();
  fc.assert(
    fc.property(
      fc.jsonValue({ maxDepth: 4 }),
      fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
      fc.array(key, { minLength: 1, maxLength: 3 }),
      (value, object, trapKeys) => {
        // Shapes with keys holding a backslash, as an earlier request could
        // have left them (JSON.parse is the only reference that cannot be
        // used here: it is the one that errs).
        JSON.parse(JSON.stringify(trapKeys.map((k) => ({ [k]: 0, "\\": 0 }))));
        const pair = [value, object];
        for (
          const [text, expected] of [
            [JSON.stringify(value), JSON.stringify(value)],
            [JSON.stringify(object), JSON.stringify(object)],
            [JSON.stringify(pair, null, 1), JSON.stringify(pair)],
            [escapeSome(JSON.stringify(pair)), JSON.stringify(pair)],
          ]
        ) {
          assert.equal(JSON.stringify(parseJsonText(text!)), expected);
        }
      },
    ),
    fcParams(300),
  );
});

// Whether JSON.stringify writes some key of `value` with an escape: a key
// holding a quote, a backslash, a control character or a lone surrogate.
function someKeyEscaped(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(someKeyEscaped);
  if (value === null || typeof value !== "object") return false;
  return Object.entries(value).some(([k, v]) =>
    JSON.stringify(k).slice(1, -1).includes("\\") || someKeyEscaped(v)
  );
}

Deno.test("property: hasEscapedKey() is true exactly when a key is written with an escape, whatever the values hold", () => {
  const text = fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.constantFrom("\\", '"', "\n", '\\":', '":1,"', "\\\\", "é"),
  );
  fc.assert(
    fc.property(
      fc.jsonValue({ maxDepth: 4 }),
      fc.dictionary(key, fc.oneof(text, fc.jsonValue({ maxDepth: 2 })), {
        maxKeys: 5,
      }),
      fc.array(text, { maxLength: 4 }),
      (value, object, values) => {
        const whole = [value, object, values, { [values[0] ?? "k"]: object }];
        for (const item of [value, object, values, whole]) {
          const expected = someKeyEscaped(item);
          assert.equal(hasEscapedKey(JSON.stringify(item)), expected);
          assert.equal(hasEscapedKey(JSON.stringify(item, null, 2)), expected);
        }
      },
    ),
    fcParams(500),
  );
});

// An audit event as a PHP, Python, .NET or PowerShell producer sends it:
// URLs (PHP writes `\/`), names and symbols outside ASCII (`\u` escapes,
// a pair for the emoji), HTML-sensitive text (.NET escapes it), and a
// metadata key outside ASCII, which makes the key escaped in every style
// that escapes non-ASCII, so the checked parser reads these texts.
const PRODUCER_EVENT = {
  correlation_id: "req-7f3a/2026",
  event_type: "tool_call",
  actor: "José Müller",
  action: "open https://intranet.example.com/a/b?x=1&y=2",
  status: "success",
  metadata: {
    "clé": "valeur 🔒",
    html: `<b>"quoted" & 'single'</b>`,
    path: "C:\\Users\\josé\\file.txt",
    lines: "one\r\ntwo\tthree",
    nested: [{ "ключ": null, n: -1.5e-7 }, [], {}],
  },
  duration_ms: 1200,
};

Deno.test('parseJsonText() reads an event as PHP, Python, .NET and PowerShell write it: \\/, \\u escapes, CRLF, tabs, ", "', () => {
  setTrap();
  for (const style of JSON_STYLES) {
    // With a key every style escapes, so that the checked parser reads it.
    const value = { "line\nkey": 1, events: [PRODUCER_EVENT] };
    const text = writeJson(value, style);
    assert.ok(hasEscapedKey(text), `${style.name}: no escaped key`);
    assert.deepEqual(parseJsonText(text), value, `${style.name}: ${text}`);
  }
  // The forms each style is there for are in its text.
  const php = writeJson(PRODUCER_EVENT, JSON_STYLES[0]!);
  assert.match(php, /https:\\\/\\\/intranet/);
  assert.match(php, /"cl\\u00e9"/);
  assert.match(php, /\\ud83d\\udd12/);
  const dotnet = writeJson(PRODUCER_EVENT, JSON_STYLES[4]!);
  assert.ok(dotnet.includes('\r\n  "correlation_id": '), dotnet);
  assert.match(dotnet, /\\u003Cb\\u003E\\u0022quoted\\u0022 \\u0026/);
  assert.match(
    writeJson(PRODUCER_EVENT, JSON_STYLES[2]!),
    /", "event_type": "/,
  );
});

Deno.test("property: parseJsonText() reads any value as each producer's encoder writes it, like JSON.stringify's text", () => {
  setTrap();
  fc.assert(
    fc.property(
      fc.jsonValue({ maxDepth: 4 }),
      fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
      fc.constantFrom(...JSON_STYLES),
      (value, object, style) => {
        const pair = { "line\nkey": [value, object] };
        const text = writeJson(pair, style);
        assert.equal(
          JSON.stringify(parseJsonText(text)),
          JSON.stringify(pair),
          `${style.name}: ${text}`,
        );
      },
    ),
    fcParams(300),
  );
});

Deno.test("__proto__ stays an own data key under Node too, where assigning it would set the prototype (Deno has no __proto__ setter): parseJsonText(), copyJsonData(), toJsonSafe(), the LogTape sink", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const modules = {
      text: "src/events/json_text.ts",
      data: "src/events/json_data.ts",
      safe: "src/producers/json_safe.ts",
      logtape: "src/producers/logtape_sink.ts",
    };
    for (const [name, entry] of Object.entries(modules)) {
      await bundle(entry, "browser", `${dir}/${name}.mjs`);
    }
    const script = `
      const { parseJsonText } = await import("${dir}/text.mjs");
      const { copyJsonData } = await import("${dir}/data.mjs");
      const { toJsonSafe } = await import("${dir}/safe.mjs");
      const { auditSink } = await import("${dir}/logtape.mjs");
      const events = [];
      auditSink({ integrator: { exportEvent: (e) => events.push(e) } })({
        category: ["audit"], level: "info", message: ["m"], rawMessage: "m",
        timestamp: 0, properties: JSON.parse('{"__proto__":{"x":1}}'),
      });
      const values = [
        parseJsonText('{"__proto__":{"x":1},"\\\\u0062":2}'),
        copyJsonData(JSON.parse('{"__proto__":{"x":1}}')),
        toJsonSafe(JSON.parse('{"__proto__":{"x":1}}')),
        events[0].metadata,
      ];
      console.log(JSON.stringify(values.map((value) => ({
        plain: Object.getPrototypeOf(value) === Object.prototype,
        own: Object.hasOwn(value, "__proto__"),
        x: value.x,
      }))));
    `;
    const { code, stdout, stderr } = await new Deno.Command("node", {
      args: ["--input-type=module", "-e", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const kept = { plain: true, own: true };
    assert.deepEqual(JSON.parse(new TextDecoder().decode(stdout)), [
      kept,
      kept,
      kept,
      kept,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
