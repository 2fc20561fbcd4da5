import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { type SIEMEvent, toSIEMEvent } from "../../src/events/siem_event.ts";
import { systemClock } from "../../src/delivery/clock.ts";
import { KvOutbox } from "../../src/spool/kv_outbox.ts";
import { readBodies } from "../../src/spool/shared_bodies.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { storedByKind, withKv } from "../support/spool_setup.ts";

const DESTINATIONS = ["splunk", "elasticsearch", "datadog"];

async function ids(outbox: KvOutbox, destination: string): Promise<string[]> {
  const found: string[] = [];
  for await (const group of outbox.groups("outbox", destination)) {
    found.push(group.id);
  }
  return found;
}

function events(count: number, seed: number): SIEMEvent[] {
  return realisticEvents(count, seed).map((e) =>
    toSIEMEvent(parseAuditEvent(e))
  );
}

// The destinations of a spool decode a group once between them
// (src/spool/decoded_groups.ts), which is right only if a group stored for
// several destinations has the same id, and the same bytes, in each outbox.
Deno.test("KvOutbox stores a group under one id in every destination's outbox, and each group under its own", async () => {
  await withKv(async (kv) => {
    const outbox = new KvOutbox(kv, "p", systemClock, Math.random);
    // About 250 KB of events: several groups, in more than one transaction.
    const groups = outbox.group(events(400, 3));
    assert.ok(groups.length > 2, `${groups.length} groups`);
    await outbox.store(DESTINATIONS, groups);
    const [splunk, elasticsearch, datadog] = await Promise.all(
      DESTINATIONS.map((d) => ids(outbox, d)),
    );
    assert.equal(splunk!.length, groups.length);
    assert.equal(new Set(splunk).size, groups.length);
    assert.deepEqual(elasticsearch, splunk);
    assert.deepEqual(datadog, splunk);
    // In one transaction with the caller's writes: the same.
    await outbox.storeAtomically(DESTINATIONS, outbox.group(events(5, 4)), {
      sets: [{ key: ["p", "marker"], value: 1 }],
    });
    const after = await Promise.all(DESTINATIONS.map((d) => ids(outbox, d)));
    assert.equal(after[0]!.length, groups.length + 1);
    assert.deepEqual(after[1], after[0]);
    assert.deepEqual(after[2], after[0]);
  });
});

Deno.test("KvOutbox: a group too large to store for every destination at once is stored once per destination, under one id", async () => {
  await withKv(async (kv) => {
    const outbox = new KvOutbox(kv, "p", systemClock, Math.random);
    // One event just under the 700 KB a transaction takes is a group of its
    // own; with three references beside it, it passes that.
    const big = events(1, 5)[0]!;
    big.metadata = { blob: "" };
    const rest = JSON.stringify(big).length;
    big.metadata = { blob: "x".repeat(699_950 - rest) };
    const groups = outbox.group([big]);
    assert.equal(groups.length, 1);
    await outbox.store(DESTINATIONS, groups);
    const found = await Promise.all(DESTINATIONS.map((d) => ids(outbox, d)));
    assert.equal(found[0]!.length, 1);
    assert.deepEqual(found[1], found[0]);
    assert.deepEqual(found[2], found[0]);
    const whole = [];
    for await (const g of outbox.groups("outbox", "datadog")) whole.push(g);
    assert.equal(whole[0]!.shared, undefined);
    assert.equal(whole[0]!.parts.length, 12);
  });
});

// What the store holds under the outboxes' prefix, by kind of key.
function stored(kv: Deno.Kv): Promise<Map<string, Deno.KvEntry<unknown>[]>> {
  return storedByKind(kv, "p");
}

function byteLength(entries: Deno.KvEntry<unknown>[] | undefined): number {
  return (entries ?? []).reduce(
    (sum, { value }) => sum + (value instanceof Uint8Array ? value.length : 0),
    0,
  );
}

// The store has one writer: three copies of each group (and their
// deletions) held delivery to 60% of the accept rate with three
// destinations (bench/README.md, "Durable spool").
Deno.test("KvOutbox stores a group for several destinations once: one body, a reference in each outbox, a count of references", async () => {
  await withKv(async (kv) => {
    const outbox = new KvOutbox(kv, "p", systemClock, Math.random);
    const groups = outbox.group(events(400, 3));
    const json = groups.reduce(
      (sum, g) => sum + g.parts.reduce((n, part) => n + part.length, 0),
      0,
    );
    await outbox.store(DESTINATIONS, groups);
    const found = await stored(kv);
    assert.equal(byteLength(found.get("body")), json);
    assert.equal(byteLength(found.get("outbox")), 0);
    const references = found.get("outbox")!;
    assert.equal(references.length, groups.length * 3);
    assert.deepEqual(
      references.filter((r) => r.key[2] === "splunk").map((r) => r.value),
      groups.map((g) => g.group.events.length),
    );
    assert.deepEqual(
      found.get("refs")!.map((r) => (r.value as Deno.KvU64).value),
      groups.map(() => 3n),
    );
    for await (const group of outbox.groups("outbox", "elasticsearch")) {
      assert.equal(group.parts.length, 0);
      assert.equal(group.keys.length, 1);
      assert.ok(group.shared && group.shared.parts >= 1);
    }
    // Read back: the same bytes as stored.
    const asked = references.filter((r) => r.key[2] === "splunk").map((r) => ({
      id: String(r.key[4]),
      parts: Number(r.key[5]),
    }));
    const bodies = await readBodies(outbox, asked);
    assert.deepEqual(
      asked.map(({ id }) => bodies.get(id)),
      groups.map((g) => g.parts),
    );
  });
});

Deno.test("KvOutbox stores a group for one destination whole in its outbox, as before", async () => {
  await withKv(async (kv) => {
    const outbox = new KvOutbox(kv, "p", systemClock, Math.random);
    const groups = outbox.group(events(50, 3));
    await outbox.store(["splunk"], groups);
    const found = await stored(kv);
    assert.equal(found.get("body"), undefined);
    assert.equal(found.get("refs"), undefined);
    for await (const group of outbox.groups("outbox", "splunk")) {
      assert.equal(group.shared, undefined);
      assert.deepEqual(group.parts, groups[0]!.parts);
    }
  });
});
