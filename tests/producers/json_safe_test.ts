import assert from "node:assert/strict";
import { findNonJsonValue } from "../../src/events/json_data.ts";
import { toJsonSafe } from "../../src/producers/json_safe.ts";

Deno.test("toJsonSafe() copies any value as JSON data the schema accepts", () => {
  const cyclic: Record<string, unknown> = { id: 1 };
  cyclic.self = cyclic;
  const shared = { n: 1 };
  const copied = toJsonSafe({
    text: "a\uD800b",
    big: 12n,
    nan: NaN,
    date: new Date(Date.UTC(2026, 0, 2)),
    invalidDate: new Date(NaN),
    error: Object.assign(new RangeError("out"), { stack: "long" }),
    map: new Map<unknown, unknown>([["k", 1], [2, new Set([1, undefined])]]),
    url: new URL("https://example.com/a?b=1"),
    list: [undefined, () => {}, Symbol("s"), 1],
    skipped: undefined,
    fn: () => {},
    cyclic,
    twice: [shared, shared],
    ["__proto__"]: "kept",
  });
  assert.deepEqual(findNonJsonValue(copied), undefined);
  assert.deepEqual(
    JSON.parse(JSON.stringify(copied)),
    {
      text: "a\uFFFDb",
      big: "12",
      nan: "NaN",
      date: "2026-01-02T00:00:00.000Z",
      invalidDate: null,
      error: { name: "RangeError", message: "out" },
      map: { k: 1, 2: [1, null] },
      url: "https://example.com/a?b=1",
      list: [null, null, null, 1],
      cyclic: { id: 1, self: "[circular]" },
      twice: [{ n: 1 }, { n: 1 }],
      ["__proto__"]: "kept",
    },
  );
});

Deno.test("toJsonSafe() cuts values nested deeper than 16 levels", () => {
  let deep: unknown = "bottom";
  for (let i = 0; i < 20; i++) deep = { d: deep };
  let copied = toJsonSafe(deep) as Record<string, unknown>;
  let depth = 0;
  while (typeof copied === "object") {
    copied = copied.d as Record<string, unknown>;
    depth++;
  }
  assert.equal(depth, 16);
  assert.equal(copied, "[too deep]");
});
