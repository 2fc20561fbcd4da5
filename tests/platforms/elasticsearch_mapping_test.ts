import assert from "node:assert/strict";
import {
  DEFAULT_MAPPING_DEPTH_LIMIT,
  dynamicMappingIssue,
  dynamicMappingProblem,
  mapsMetadataDynamically,
  metadataRefusal,
  metadataRefusals,
} from "../../src/platforms/elasticsearch_mapping.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";

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

Deno.test("dynamicMappingProblem(): the total fields limit at its exact edge (metadata, its fields and the event's own 26)", () => {
  const numbers = (n: number) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i]));
  // 1 (metadata) + 973 + 26 = 1000 fields: at the limit, accepted.
  assert.equal(dynamicMappingProblem(numbers(973)), undefined);
  assert.equal(
    dynamicMappingIssue(numbers(974))?.path,
    "metadata.f973",
  );
  const strings = (n: number) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${i}`, "v"]));
  // 1 + 2 × 486 + 26 = 999; one more string is two more fields.
  assert.equal(dynamicMappingProblem(strings(486)), undefined);
  assert.match(dynamicMappingProblem(strings(487))!, /more fields/);
  // An array's elements share their fields.
  assert.equal(
    dynamicMappingProblem({
      list: Array.from({ length: 2000 }, () => ({ a: 1 })),
    }),
    undefined,
  );
});

Deno.test("dynamicMappingIssue(): an empty key names the object holding it; a blank dotted segment is refused; an undefined value is skipped", () => {
  assert.deepEqual(dynamicMappingIssue({ "": 1 }), {
    path: "metadata",
    message:
      "metadata has an empty key: Elasticsearch refuses an empty field name",
  });
  assert.deepEqual(dynamicMappingIssue({ a: { b: { "": 1 } } }), {
    path: "metadata.a.b",
    message:
      "metadata has an empty key in metadata.a.b: Elasticsearch refuses an empty field name",
  });
  for (const key of ["a..b", ".a", "a.", "a. .b"]) {
    assert.match(
      dynamicMappingProblem({ [key]: 1 })!,
      /has an empty segment/,
      key,
    );
  }
  assert.equal(
    dynamicMappingProblem({ gone: undefined, "": undefined }),
    undefined,
  );
  // Floats: the largest float is fine, beyond it is not.
  assert.equal(dynamicMappingProblem({ x: 3.4028234663852886e38 }), undefined);
  assert.match(
    dynamicMappingProblem({ x: -3.5e38 })!,
    /out of the range of the float/,
  );
  // 1e21 and above are written with an exponent: a float, not a long.
  assert.equal(dynamicMappingProblem({ x: 1e21 }), undefined);
});

Deno.test("metadataRefusal(s): only Elasticsearch and OpenSearch without the index template; the message names the destination and the fix", () => {
  const es = parseSIEMConfig({
    name: "es-main",
    platform: "elasticsearch",
    endpoint: "https://es.example.com:9200",
  });
  const os = parseSIEMConfig({
    platform: "opensearch",
    endpoint: "https://os.example.com:9200",
  });
  const templated = parseSIEMConfig({
    platform: "elasticsearch",
    endpoint: "https://es.example.com:9200",
    indexTemplate: true,
  });
  const splunk = parseSIEMConfig({
    platform: "splunk",
    endpoint: "https://hec:8088",
  });
  const bad = { "a..b": 1 };
  assert.equal(mapsMetadataDynamically(es), true);
  assert.equal(mapsMetadataDynamically(os), true);
  assert.equal(mapsMetadataDynamically(templated), false);
  assert.equal(mapsMetadataDynamically(splunk), false);
  assert.deepEqual(metadataRefusal([splunk, es], bad), {
    path: "metadata",
    message:
      'metadata key "a..b" has an empty segment: Elasticsearch reads dots as object paths and refuses it (destination "es-main" has no index template: install it with `deno task setup-index` and set indexTemplate: true)',
  });
  assert.match(metadataRefusal([os], bad)!.message, /destination "opensearch"/);
  assert.equal(metadataRefusal([templated, splunk], bad), undefined);
  assert.equal(metadataRefusal([es], undefined), undefined);
  assert.equal(metadataRefusal([es], { ok: 1 }), undefined);
  assert.deepEqual(
    metadataRefusals([es], [{ metadata: { ok: 1 } }, {}, { metadata: bad }, {
      metadata: { "": 2 },
    }])
      .map((r) => [r.index, r.path]),
    [[2, "metadata"], [3, "metadata"]],
  );
  assert.deepEqual(
    metadataRefusals([splunk, templated], [{ metadata: bad }]),
    [],
  );
});
