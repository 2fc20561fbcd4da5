import assert from "node:assert/strict";
import { BodyWriter } from "../../src/platforms/body_writer.ts";

const encoder = new TextEncoder();

for (
  const [label, text] of [
    ["an empty string", ""],
    ["ASCII", "hello, world ~\u007f"],
    ["2-byte characters", "é ß \u0080 \u07ff"],
    ["3-byte characters", "€ 中文 \u0800 \uffff"],
    ["emoji (surrogate pairs)", "😀 👍🏽 \u{10ffff} \u{10000}"],
    ["a lone high surrogate at the end", "abc\ud83d"],
    ["a lone high surrogate before a normal character", "\ud83dx"],
    ["a lone low surrogate", "a\ude00b"],
    ["a low then a high surrogate", "\ude00\ud83d"],
    ["two high surrogates then a low one", "\ud83d\ud83d\ude00"],
  ] as const
) {
  Deno.test(`BodyWriter.writeString() writes ${label} as TextEncoder does`, () => {
    const writer = new BodyWriter(4);
    writer.writeString(text);
    assert.deepEqual(writer.bytes(), encoder.encode(text));
    assert.equal(writer.length, encoder.encode(text).length);
  });
}

Deno.test("BodyWriter grows past its first size and keeps what was written", () => {
  const writer = new BodyWriter(8);
  const parts = ["{", "é".repeat(100), "}", "x".repeat(5000)];
  for (const part of parts) writer.writeString(part);
  writer.writeByte(0x0a);
  writer.writeBytes(new Uint8Array([0x41, 0x42]));
  assert.deepEqual(writer.bytes(), encoder.encode(parts.join("") + "\nAB"));
});

Deno.test("BodyWriter.truncate() forgets what came after a mark", () => {
  const writer = new BodyWriter();
  writer.writeString("[first");
  const mark = writer.length;
  writer.writeString(",second");
  writer.truncate(mark);
  writer.writeByte(0x5d);
  assert.equal(new TextDecoder().decode(writer.bytes()), "[first]");
  writer.truncate(100);
  assert.equal(writer.length, 7);
});

Deno.test("BodyWriter.bytes() is a copy that later writes do not change", () => {
  const writer = new BodyWriter();
  writer.writeString("abc");
  const first = writer.bytes();
  writer.truncate(0);
  writer.writeString("xyz");
  assert.equal(new TextDecoder().decode(first), "abc");
  assert.equal(new TextDecoder().decode(writer.bytes()), "xyz");
});

Deno.test("BodyWriter.writeJsonString() writes exactly what JSON.stringify writes", () => {
  const samples = [
    "",
    "plain-ascii_id:42",
    'quote " and backslash \\',
    "control \u0000 \u001f \n \t \r \b \f",
    "del \u007f and é ü 東京",
    "lone surrogates \ud83d \ude00 and a pair 😀",
    "line separators \u2028 \u2029",
    "x".repeat(64),
    "y".repeat(65) + '"',
    "z".repeat(200),
  ];
  for (const text of samples) {
    const writer = new BodyWriter(2);
    writer.writeJsonString(text);
    assert.equal(
      new TextDecoder().decode(writer.bytes()),
      JSON.stringify(text),
      JSON.stringify(text),
    );
  }
});

// Each character alone in plain ASCII: in a sample with several escapes, the
// first one sends the whole text to JSON.stringify, and whether each other
// one is seen by the fast copy is never tested.
Deno.test("BodyWriter.writeJsonString() escapes every character alone as JSON.stringify does, 0x00 to 0xff and the surrogates", () => {
  const wrong: string[] = [];
  const codes = [
    ...Array.from({ length: 0x100 }, (_, code) => code),
    0x2028,
    0x2029,
    0xd800,
    0xdbff,
    0xdc00,
    0xdfff,
    0xfffd,
  ];
  for (const code of codes) {
    const text = `ab${String.fromCharCode(code)}cd`;
    const writer = new BodyWriter(2);
    writer.writeJsonString(text);
    const written = new TextDecoder().decode(writer.bytes());
    if (written !== JSON.stringify(text)) {
      wrong.push(`0x${code.toString(16)}: ${written}`);
    }
  }
  assert.deepEqual(wrong, []);
});

Deno.test("BodyWriter.writeJsonContent() leaves out the quotes", () => {
  const writer = new BodyWriter();
  writer.writeByte(0x5b);
  writer.writeJsonContent('a"b');
  writer.writeByte(0x5d);
  assert.equal(new TextDecoder().decode(writer.bytes()), '[a\\"b]');
});
