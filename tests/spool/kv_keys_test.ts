import assert from "node:assert/strict";
import { decodePartKey, SpoolKeys } from "../../src/spool/kv_keys.ts";

Deno.test("SpoolKeys: the stored layout, as earlier versions wrote it", () => {
  const keys = new SpoolKeys("harombe-siem");
  // Stores written by earlier versions must still read: these are the keys.
  assert.deepEqual(
    keys.part("outbox", "splunk", { at: 5, id: "g", index: 1, total: 3 }),
    ["harombe-siem", "outbox", "splunk", 5, "g", 1, 3],
  );
  assert.deepEqual(
    keys.part("dead", "es", { at: 7, id: "d", index: 0, total: 1 }),
    ["harombe-siem", "dead", "es", 7, "d", 0, 1],
  );
  assert.deepEqual(keys.list("outbox", "splunk"), [
    "harombe-siem",
    "outbox",
    "splunk",
  ]);
  assert.deepEqual(keys.count("outbox", "splunk"), [
    "harombe-siem",
    "count",
    "splunk",
  ]);
  assert.deepEqual(keys.count("dead", "splunk"), [
    "harombe-siem",
    "deadcount",
    "splunk",
  ]);
  assert.deepEqual(keys.progress("splunk", "g"), [
    "harombe-siem",
    "progress",
    "splunk",
    "g",
  ]);
  assert.deepEqual(keys.lease("splunk"), ["harombe-siem", "lease", "splunk"]);
});

Deno.test("decodePartKey reads back what part() wrote, and refuses other shapes", () => {
  const keys = new SpoolKeys("p");
  const part = {
    at: 1_700_000_000_000,
    id: "000000000001-u",
    index: 2,
    total: 4,
  };
  assert.deepEqual(decodePartKey(keys.part("dead", "d", part)), part);
  assert.equal(decodePartKey(keys.progress("d", "g")), undefined);
  assert.equal(decodePartKey(["p", "outbox", "d", "1", "g", 0, 1]), undefined);
  assert.equal(decodePartKey(["p", "outbox", "d", 1, "g", 0, "1"]), undefined);
});
