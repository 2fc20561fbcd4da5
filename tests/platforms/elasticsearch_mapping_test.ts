import assert from "node:assert/strict";
import {
  DEFAULT_MAPPING_DEPTH_LIMIT,
  dynamicMappingProblem,
} from "../../src/platforms/elasticsearch_mapping.ts";

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < levels; i++) value = { [`l${i}`]: value };
  return value;
}

Deno.test("dynamicMappingProblem() accepts ordinary metadata", () => {
  assert.equal(
    dynamicMappingProblem({
      path: "/etc/passwd",
      "http.status": 403,
      ratio: 0.5,
      big: 9007199254740991,
      tags: ["a", "b"],
      items: Array.from({ length: 2000 }, (_, i) => ({ id: i, name: "x" })),
      nothing: null,
    }),
    undefined,
  );
});

Deno.test("dynamicMappingProblem() allows objects up to the depth limit and names the first too deep", () => {
  // metadata (depth 2) holds objects nested 18 more levels: depth 20 in all.
  assert.equal(
    dynamicMappingProblem(nested(DEFAULT_MAPPING_DEPTH_LIMIT - 2)),
    undefined,
  );
  assert.match(
    dynamicMappingProblem(nested(DEFAULT_MAPPING_DEPTH_LIMIT - 1))!,
    /^metadata\.l\d+(\.l\d+)* nests deeper than Elasticsearch's default mapping depth limit of 20/,
  );
  // Dots in keys are objects too.
  const dotted = (n: number) =>
    Array.from({ length: n }, (_, i) => `k${i}`).join(".");
  assert.equal(dynamicMappingProblem({ [dotted(19)]: 1 }), undefined);
  assert.match(dynamicMappingProblem({ [dotted(20)]: 1 })!, /nests deeper/);
});

Deno.test("dynamicMappingProblem() refuses keys Elasticsearch cannot map", () => {
  assert.match(dynamicMappingProblem({ "": 1 })!, /empty key/);
  for (const key of [".b", "a.", "..", "a..b", " ", "a. .b"]) {
    assert.equal(
      dynamicMappingProblem({ ok: { [key]: 1 } }),
      `metadata key ${
        JSON.stringify(key)
      } has an empty segment: Elasticsearch reads dots as object paths and refuses it`,
      key,
    );
  }
});

Deno.test("dynamicMappingProblem() refuses numbers out of the long and float ranges", () => {
  assert.match(
    dynamicMappingProblem({ n: 1e20 })!,
    /^metadata\.n is 100000000000000000000, out of the range of the long/,
  );
  assert.match(dynamicMappingProblem({ n: -(2 ** 63) - 4096 })!, /long/);
  assert.equal(dynamicMappingProblem({ n: 2 ** 62 }), undefined);
  assert.equal(dynamicMappingProblem({ n: 1e21 }), undefined);
  assert.match(
    dynamicMappingProblem({ a: [{ n: Number.MAX_VALUE }] })!,
    /^metadata\.a\.n is 1\.7976931348623157e\+308, out of the range of the float/,
  );
});

Deno.test("dynamicMappingProblem() counts distinct fields against the total fields limit", () => {
  const many = Object.fromEntries(
    Array.from({ length: 1000 }, (_, i) => [`f${i}`, i]),
  );
  assert.match(
    dynamicMappingProblem(many)!,
    /more fields than Elasticsearch's default limit of 1000/,
  );
  // Strings are two fields each (text and keyword).
  const strings = Object.fromEntries(
    Array.from({ length: 495 }, (_, i) => [`s${i}`, "v"]),
  );
  assert.match(dynamicMappingProblem(strings)!, /more fields/);
  const fewer = Object.fromEntries(
    Array.from({ length: 480 }, (_, i) => [`s${i}`, "v"]),
  );
  assert.equal(dynamicMappingProblem(fewer), undefined);
});

Deno.test("dynamicMappingProblem() refuses 2^63, one past a long's maximum, and accepts -2^63", () => {
  // JSON.stringify writes 2 ** 63 as 9223372036854775808: a long holds at
  // most 9223372036854775807.
  assert.match(
    dynamicMappingProblem({ n: 2 ** 63 })!,
    /^metadata\.n is 9223372036854776000, out of the range of the long/,
  );
  assert.equal(dynamicMappingProblem({ n: -(2 ** 63) }), undefined);
});
