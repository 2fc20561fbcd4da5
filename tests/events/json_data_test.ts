import assert from "node:assert/strict";
import {
  copyJsonData,
  findNonJsonValue,
  MAX_METADATA_DEPTH,
} from "../../src/events/json_data.ts";

Deno.test("findNonJsonValue() accepts JSON data", () => {
  for (
    const value of [
      null,
      true,
      false,
      0,
      -1.5,
      Number.MAX_VALUE,
      "",
      "text 😀",
      [],
      {},
      [1, "a", null, [true], { b: [] }],
      { a: { b: { c: [1, 2, { d: "e" }] } }, f: null },
    ]
  ) {
    assert.equal(findNonJsonValue(value), undefined, JSON.stringify(value));
  }
});

Deno.test("findNonJsonValue() accepts object properties that are undefined", () => {
  assert.equal(
    findNonJsonValue({ a: undefined, b: { c: undefined } }),
    undefined,
  );
});

Deno.test("findNonJsonValue() refuses undefined array items", () => {
  assert.deepEqual(findNonJsonValue([1, undefined])?.path, [1]);
  // A hole reads as undefined, which JSON would turn into null.
  assert.deepEqual(findNonJsonValue([1, , 3])?.path, [1]);
});

Deno.test("findNonJsonValue() refuses undefined at the top", () => {
  assert.deepEqual(findNonJsonValue(undefined), {
    path: [],
    reason: "must be JSON data, got undefined",
  });
});

Deno.test("findNonJsonValue() accepts null-prototype objects", () => {
  const value = Object.create(null);
  value.a = 1;
  value.nested = Object.assign(Object.create(null), { b: "c" });
  assert.equal(findNonJsonValue(value), undefined);
});

Deno.test("findNonJsonValue() refuses objects that are not plain", () => {
  class Thing {}
  assert.match(findNonJsonValue(new Thing())?.reason ?? "", /Thing/);
  assert.match(findNonJsonValue(new Map())?.reason ?? "", /Map/);
  assert.match(findNonJsonValue(new Date(0))?.reason ?? "", /Date/);
  assert.match(findNonJsonValue(new Uint8Array(2))?.reason ?? "", /Uint8Array/);
  assert.match(findNonJsonValue(/re/)?.reason ?? "", /RegExp/);
  assert.ok(findNonJsonValue(Object.create({ inherited: 1 })));
});

Deno.test("findNonJsonValue() refuses numbers that are not finite", () => {
  for (const value of [NaN, Infinity, -Infinity]) {
    assert.deepEqual(findNonJsonValue(value), {
      path: [],
      reason: `must be a finite number, got ${value}`,
    });
  }
});

Deno.test("findNonJsonValue() refuses bigints, functions and symbols", () => {
  assert.equal(findNonJsonValue(1n)?.reason, "must be JSON data, got bigint");
  assert.equal(
    findNonJsonValue(() => 1)?.reason,
    "must be JSON data, got function",
  );
  assert.equal(
    findNonJsonValue(Symbol("s"))?.reason,
    "must be JSON data, got symbol",
  );
});

Deno.test("findNonJsonValue() gives the path through objects", () => {
  assert.deepEqual(findNonJsonValue({ a: { b: { c: 1n } } }), {
    path: ["a", "b", "c"],
    reason: "must be JSON data, got bigint",
  });
});

Deno.test("findNonJsonValue() gives the path through arrays", () => {
  assert.deepEqual(findNonJsonValue([0, [1, 2, NaN]])?.path, [1, 2]);
  assert.deepEqual(
    findNonJsonValue({ list: [{ ok: 1 }, { bad: () => 0 }] })?.path,
    ["list", 1, "bad"],
  );
});

Deno.test("findNonJsonValue() reports the first offending value", () => {
  assert.deepEqual(findNonJsonValue({ a: 1, b: NaN, c: 1n })?.path, ["b"]);
});

Deno.test("findNonJsonValue() stops an object cycle by depth", () => {
  const value: Record<string, unknown> = {};
  value.self = value;
  const found = findNonJsonValue(value);
  assert.ok(found);
  assert.equal(found.path.length, MAX_METADATA_DEPTH);
  assert.ok(found.path.every((key) => key === "self"));
  assert.equal(found.reason, `nests deeper than ${MAX_METADATA_DEPTH} levels`);
});

Deno.test("findNonJsonValue() stops an array cycle by depth", () => {
  const value: unknown[] = [];
  value.push(value);
  const found = findNonJsonValue(value);
  assert.ok(found);
  assert.equal(found.path.length, MAX_METADATA_DEPTH);
  assert.ok(found.path.every((key) => key === 0));
});

Deno.test("findNonJsonValue() allows MAX_METADATA_DEPTH nested levels and no more", () => {
  let value: unknown = "leaf";
  for (let i = 0; i < MAX_METADATA_DEPTH; i++) value = [value];
  assert.equal(findNonJsonValue(value), undefined);
  assert.deepEqual(findNonJsonValue([value])?.path.length, MAX_METADATA_DEPTH);
});

Deno.test("findNonJsonValue() counts depth from the given start", () => {
  assert.equal(findNonJsonValue({}, MAX_METADATA_DEPTH - 1), undefined);
  assert.ok(findNonJsonValue({}, MAX_METADATA_DEPTH));
  assert.equal(findNonJsonValue("x", MAX_METADATA_DEPTH + 5), undefined);
});

Deno.test("findNonJsonValue() refuses getters in arrays as in objects", () => {
  let reads = 0;
  const list: unknown[] = [1, 2];
  Object.defineProperty(list, 1, {
    get: () => ++reads,
    enumerable: true,
  });
  const found = findNonJsonValue({ list });
  assert.deepEqual(found?.path, ["list", 1]);
  assert.equal(
    found?.reason,
    "must be a data property, not a getter or setter",
  );
  // Checking did not run the getter: it could answer differently later.
  assert.equal(reads, 0);
  const object = {};
  Object.defineProperty(object, "x", { get: () => 1, enumerable: true });
  assert.deepEqual(findNonJsonValue({ object })?.path, ["object", "x"]);
});

Deno.test("copyJsonData() copies objects and arrays deeply, an own __proto__ key included", () => {
  const value = JSON.parse(
    '{"a":{"b":[1,{"c":"d"}]},"__proto__":{"e":true},"f":null}',
  );
  const copy = copyJsonData(value);
  assert.equal(JSON.stringify(copy), JSON.stringify(value));
  assert.notEqual(copy.a, value.a);
  assert.notEqual(copy.a.b, value.a.b);
  value.a.b[1].c = "changed";
  value.a.b.push(2);
  assert.deepEqual(copy.a.b, [1, { c: "d" }]);
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.equal(copyJsonData("x"), "x");
  assert.equal(copyJsonData(null), null);
});
