import assert from "node:assert/strict";
import { DecodedGroups } from "../../src/spool/decoded_groups.ts";
import { toParts } from "../../src/spool/blob.ts";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { realisticEvents } from "../fixtures/events.ts";

function group(id: string, count = 3): { id: string; parts: Uint8Array[] } {
  const events = realisticEvents(count, id.length).map((e) =>
    toSIEMEvent(parseAuditEvent(e))
  );
  return { id, parts: toParts({ at: 42, events }) };
}

Deno.test("DecodedGroups: the destinations of a spool share one decode of a group, each once", () => {
  const decoded = new DecodedGroups(() => 3);
  const ref = group("g1");
  const splunk = decoded.decode("splunk", ref);
  assert.equal(decoded.decode("elasticsearch", ref), splunk);
  assert.equal(decoded.size, 1);
  assert.equal(decoded.decode("datadog", ref), splunk);
  // Every destination took it: nothing is kept.
  assert.equal(decoded.size, 0);
  // A destination that loads it again (its lease came back) gets new
  // objects: one destination never tracks the same event object twice.
  const again = decoded.decode("splunk", ref);
  assert.notEqual(again, splunk);
  assert.notEqual(again.group.events[0], splunk.group.events[0]);
  assert.deepEqual(again.group, splunk.group);
});

Deno.test("DecodedGroups: a destination loading its group a second time before the others decodes anew", () => {
  const decoded = new DecodedGroups(() => 2);
  const ref = group("g1");
  const first = decoded.decode("splunk", ref);
  const second = decoded.decode("splunk", ref);
  assert.notEqual(second, first);
  // The other destination still gets the first decode.
  assert.equal(decoded.decode("datadog", ref), first);
});

Deno.test("DecodedGroups: each event's JSON is written once, as JSON.stringify writes the stored event", () => {
  const decoded = new DecodedGroups(() => 2);
  const ref = group("g1", 5);
  const { group: stored, serialized } = decoded.decode("splunk", ref);
  assert.equal(serialized.length, 5);
  stored.events.forEach((event, i) => {
    const json = JSON.stringify(event);
    assert.equal(serialized[i]!.json, json);
    assert.equal(serialized[i]!.bytes, new TextEncoder().encode(json).length);
  });
});

Deno.test("DecodedGroups: with one destination nothing is kept, and groups waiting for a destination that never loads them are bounded", () => {
  const alone = new DecodedGroups(() => 1);
  alone.decode("splunk", group("g1"));
  assert.equal(alone.size, 0);
  // Datadog is down and loads nothing: at most `limit` groups wait for it,
  // the oldest dropped first (Datadog then decodes it itself).
  const decoded = new DecodedGroups(() => 2, 4);
  const refs = ["a", "bb", "ccc", "dddd", "eeeee", "ffffff"].map((id) =>
    group(id, 1)
  );
  const taken = refs.map((ref) => decoded.decode("splunk", ref));
  assert.equal(decoded.size, 4);
  assert.notEqual(decoded.decode("datadog", refs[0]!), taken[0]);
  assert.equal(decoded.decode("datadog", refs[5]!), taken[5]);
});

Deno.test("DecodedGroups: stored bytes that are not a group's JSON throw, and nothing is kept", () => {
  const decoded = new DecodedGroups(() => 3);
  const ref = { id: "bad", parts: [new TextEncoder().encode("{not json")] };
  assert.throws(() => decoded.decode("splunk", ref), SyntaxError);
  assert.equal(decoded.size, 0);
});
