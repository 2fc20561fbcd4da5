/**
 * The config schema's limits that the bound table of siem_config_test.ts
 * does not hold: string lengths and counts, each at its edge.
 */
import assert from "node:assert/strict";
import {
  parseSIEMConfig,
  type SIEMConfigInput,
} from "../../src/platforms/siem_config.ts";

const AWS = {
  region: "eu-west-1",
  service: "es" as const,
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "secret-0123",
};

function opensearch(aws: Record<string, unknown>): SIEMConfigInput {
  return {
    platform: "opensearch",
    endpoint: "https://os.example.com",
    aws: { ...AWS, ...aws },
  } as SIEMConfigInput;
}

Deno.test("config: AWS access key id of 16 to 128 capitals and digits, secret up to 256, session token up to 8192", () => {
  assert.ok(parseSIEMConfig(opensearch({ accessKeyId: "A".repeat(16) })));
  assert.ok(parseSIEMConfig(opensearch({ accessKeyId: "A".repeat(128) })));
  for (
    const accessKeyId of [
      "A".repeat(15),
      "A".repeat(129),
      "akiaiosfodnn7example",
    ]
  ) {
    assert.throws(
      () => parseSIEMConfig(opensearch({ accessKeyId })),
      /aws\.accessKeyId must be an AWS access key id/,
      accessKeyId,
    );
  }
  assert.ok(parseSIEMConfig(opensearch({ secretAccessKey: "s".repeat(256) })));
  assert.throws(
    () => parseSIEMConfig(opensearch({ secretAccessKey: "s".repeat(257) })),
    /aws\.secretAccessKey must be at most 256 characters/,
  );
  assert.throws(
    () => parseSIEMConfig(opensearch({ secretAccessKey: "" })),
    /aws\.secretAccessKey must not be empty/,
  );
  assert.ok(parseSIEMConfig(opensearch({ sessionToken: "t".repeat(8192) })));
  assert.throws(
    () => parseSIEMConfig(opensearch({ sessionToken: "t".repeat(8193) })),
    /aws\.sessionToken must be at most 8192 characters/,
  );
  assert.throws(
    () => parseSIEMConfig(opensearch({ sessionToken: "has space" })),
    /aws\.sessionToken must be visible ASCII/,
  );
});

Deno.test("config: names of 1 to 64 characters, header-safe fields up to 256, up to 100 Datadog tags of up to 200 characters", () => {
  const splunk = { platform: "splunk" as const, endpoint: "https://hec:8088" };
  assert.equal(
    parseSIEMConfig({ ...splunk, name: `a${"b".repeat(63)}` }).name.length,
    64,
  );
  assert.throws(
    () => parseSIEMConfig({ ...splunk, name: `a${"b".repeat(64)}` }),
    /name must be 1-64 letters/,
  );
  assert.equal(
    parseSIEMConfig({ ...splunk, host: "h".repeat(256) }).host?.length,
    256,
  );
  assert.throws(
    () => parseSIEMConfig({ ...splunk, host: "h".repeat(257) }),
    /host must be at most 256 characters/,
  );
  const datadog = { platform: "datadog" as const, endpoint: "https://dd" };
  const tags = Array.from({ length: 100 }, (_, i) => `t:${i}`);
  assert.equal(parseSIEMConfig({ ...datadog, tags }).tags.length, 100);
  assert.deepEqual(
    parseSIEMConfig({ ...datadog, tags: ["x".repeat(200)] }).tags,
    ["x".repeat(200)],
  );
  assert.throws(
    () => parseSIEMConfig({ ...datadog, tags: ["x".repeat(201)] }),
    /tags\.0 must be a tag without spaces/,
  );
});

Deno.test("config: maxEventAgeMs from one minute to ten years", () => {
  const splunk = { platform: "splunk" as const, endpoint: "https://hec:8088" };
  const tenYears = 10 * 365 * 86_400_000;
  assert.equal(
    parseSIEMConfig({ ...splunk, maxEventAgeMs: 60_000 }).maxEventAgeMs,
    60_000,
  );
  assert.equal(
    parseSIEMConfig({ ...splunk, maxEventAgeMs: tenYears }).maxEventAgeMs,
    tenYears,
  );
  assert.throws(
    () => parseSIEMConfig({ ...splunk, maxEventAgeMs: tenYears + 1 }),
    /maxEventAgeMs must be at most/,
  );
});

Deno.test("config: an OpenSearch Basic user of up to 256 characters without a colon", () => {
  const os = {
    platform: "opensearch" as const,
    endpoint: "https://os.example.com",
    token: "pw-0123",
  };
  assert.equal(
    parseSIEMConfig({ ...os, username: "u".repeat(256) }).username?.length,
    256,
  );
  assert.throws(
    () => parseSIEMConfig({ ...os, username: "u".repeat(257) }),
    /username must be 1-256 visible ASCII characters without a colon/,
  );
});
