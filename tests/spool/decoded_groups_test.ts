import assert from "node:assert/strict";
import {
  type BodyReader,
  type DecodedGroup,
  DecodedGroups,
  type GroupToDecode,
} from "../../src/spool/decoded_groups.ts";
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

const noBodies: BodyReader = () => Promise.resolve(new Map());

async function one(
  decoded: DecodedGroups,
  destination: string,
  ref: GroupToDecode,
  readBodies: BodyReader = noBodies,
): Promise<DecodedGroup> {
  const [read] = await decoded.load(destination, [ref], readBodies);
  assert.ok(read);
  return read;
}

// Bodies of shared groups, and every read asked of them.
function bodyStore(groups: { id: string; parts: Uint8Array[] }[]): {
  read: BodyReader;
  reads: string[][];
} {
  const reads: string[][] = [];
  return {
    reads,
    read: (asked) => {
      reads.push(asked.map(({ id }) => id));
      const found = new Map<string, Uint8Array[]>();
      for (const { id } of asked) {
        const stored = groups.find((g) => g.id === id);
        if (stored) found.set(id, stored.parts);
      }
      return Promise.resolve(found);
    },
  };
}

function shared(ref: { id: string; parts: Uint8Array[] }): GroupToDecode {
  return { id: ref.id, parts: [], shared: { parts: ref.parts.length } };
}

Deno.test("DecodedGroups: the destinations of a spool share one decode of a group, each once", async () => {
  const decoded = new DecodedGroups(() => 3);
  const ref = group("g1");
  const splunk = await one(decoded, "splunk", ref);
  assert.equal(await one(decoded, "elasticsearch", ref), splunk);
  assert.equal(decoded.size, 1);
  assert.equal(await one(decoded, "datadog", ref), splunk);
  // Every destination took it: nothing is kept.
  assert.equal(decoded.size, 0);
  // A destination that loads it again (its lease came back) gets new
  // objects: one destination never tracks the same event object twice.
  const again = await one(decoded, "splunk", ref);
  assert.notEqual(again, splunk);
  assert.notEqual(again.group.events[0], splunk.group.events[0]);
  assert.deepEqual(again.group, splunk.group);
});

Deno.test("DecodedGroups: a destination loading its group a second time before the others decodes anew", async () => {
  const decoded = new DecodedGroups(() => 2);
  const ref = group("g1");
  const first = await one(decoded, "splunk", ref);
  const second = await one(decoded, "splunk", ref);
  assert.notEqual(second, first);
  // The other destination still gets the first decode.
  assert.equal(await one(decoded, "datadog", ref), first);
});

Deno.test("DecodedGroups: each event's JSON is written once, as JSON.stringify writes the stored event", async () => {
  const decoded = new DecodedGroups(() => 2);
  const ref = group("g1", 5);
  const { group: stored, serialized } = await one(decoded, "splunk", ref);
  assert.equal(serialized.length, 5);
  stored.events.forEach((event, i) => {
    const json = JSON.stringify(event);
    assert.equal(serialized[i]!.json, json);
    assert.equal(serialized[i]!.bytes, new TextEncoder().encode(json).length);
  });
});

Deno.test("DecodedGroups: with one destination nothing is kept, and groups waiting for a destination that never loads them are bounded", async () => {
  const alone = new DecodedGroups(() => 1);
  await one(alone, "splunk", group("g1"));
  assert.equal(alone.size, 0);
  // Datadog is down and loads nothing: at most `limit` groups wait for it,
  // the oldest dropped first (Datadog then decodes it itself).
  const decoded = new DecodedGroups(() => 2, 4);
  const refs = ["a", "bb", "ccc", "dddd", "eeeee", "ffffff"].map((id) =>
    group(id, 1)
  );
  const taken = await decoded.load("splunk", refs, noBodies);
  assert.equal(decoded.size, 4);
  assert.notEqual(await one(decoded, "datadog", refs[0]!), taken[0]);
  assert.equal(await one(decoded, "datadog", refs[5]!), taken[5]);
});

Deno.test("DecodedGroups: stored bytes that are not a group's JSON throw, and nothing is kept", async () => {
  const decoded = new DecodedGroups(() => 3);
  const ref = { id: "bad", parts: [new TextEncoder().encode("{not json")] };
  await assert.rejects(decoded.load("splunk", [ref], noBodies), SyntaxError);
  assert.equal(decoded.size, 0);
});

Deno.test("DecodedGroups: the bodies of shared groups are read in one call, by the first destination only", async () => {
  const groups = [group("g1", 2), group("g2", 4), group("g3", 1)];
  const store = bodyStore(groups);
  const decoded = new DecodedGroups(() => 3);
  const splunk = await decoded.load("splunk", groups.map(shared), store.read);
  assert.deepEqual(store.reads, [["g1", "g2", "g3"]]);
  assert.deepEqual(
    splunk.map((read) => read?.group.events.length),
    [2, 4, 1],
  );
  // The others take what Splunk read: no read more.
  const [elastic, datadog] = await Promise.all([
    decoded.load("elasticsearch", groups.map(shared), store.read),
    decoded.load("datadog", groups.map(shared), store.read),
  ]);
  assert.equal(store.reads.length, 1);
  assert.deepEqual(elastic, splunk);
  assert.equal(datadog[1], splunk[1]);
  assert.equal(decoded.size, 0);
});

Deno.test("DecodedGroups: a destination asking while another's read is under way waits for that read", async () => {
  const ref = group("g1", 3);
  const reads: string[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => release = resolve);
  const slow: BodyReader = async (asked) => {
    reads.push(...asked.map(({ id }) => id));
    await gate;
    return new Map([[ref.id, ref.parts]]);
  };
  const decoded = new DecodedGroups(() => 2);
  const first = decoded.load("splunk", [shared(ref)], slow);
  const second = decoded.load("datadog", [shared(ref)], slow);
  release();
  const [[a], [b]] = await Promise.all([first, second]);
  assert.deepEqual(reads, ["g1"]);
  assert.ok(a);
  assert.equal(b, a);
});

Deno.test("DecodedGroups: a shared group whose body is not stored comes back undefined, and a failed read is not kept", async () => {
  const decoded = new DecodedGroups(() => 2);
  const [missing] = await decoded.load(
    "splunk",
    [shared(group("gone"))],
    noBodies,
  );
  assert.equal(missing, undefined);
  assert.equal(decoded.size, 0);
  const failing: BodyReader = () => Promise.reject(new Error("store down"));
  await assert.rejects(
    decoded.load("splunk", [shared(group("g2"))], failing),
    /store down/,
  );
  assert.equal(decoded.size, 0);
  // The next destination reads it itself.
  const store = bodyStore([group("g2")]);
  assert.ok(await one(decoded, "datadog", shared(group("g2")), store.read));
  assert.deepEqual(store.reads, [["g2"]]);
});

Deno.test("DecodedGroups.seed() keeps a group just stored for the destinations this instance delivers, only while there is room", async () => {
  const decoded = new DecodedGroups(() => 3, 2);
  const stored = group("g1", 2);
  const [read] = await new DecodedGroups(() => 1).load(
    "x",
    [stored],
    noBodies,
  );
  // Two of three destinations delivered here: taken by both, then gone.
  decoded.seed("g1", 2, () => read!);
  const reads: string[][] = [];
  const reader: BodyReader = (asked) => {
    reads.push(asked.map(({ id }) => id));
    return Promise.resolve(new Map());
  };
  assert.equal(await one(decoded, "splunk", shared(stored), reader), read);
  assert.equal(await one(decoded, "datadog", shared(stored), reader), read);
  assert.deepEqual(reads, []);
  assert.equal(decoded.size, 0);
  // No destination delivered here: nothing kept.
  decoded.seed("g2", 0, () => read!);
  assert.equal(decoded.size, 0);
  // Full (delivery is behind): the older groups stay, the new one is read
  // back when its turn comes.
  decoded.seed("a", 1, () => read!);
  decoded.seed("b", 1, () => read!);
  let made = 0;
  decoded.seed("c", 1, () => {
    made++;
    return read!;
  });
  assert.equal(decoded.size, 2);
  assert.equal(made, 0, "a group not kept is not decoded");
  const taken = await decoded.load(
    "splunk",
    ["a", "b", "c"].map((id) => shared(group(id))),
    reader,
  );
  assert.deepEqual(taken, [read, read, undefined]);
  assert.deepEqual(reads, [["c"]]);
});
