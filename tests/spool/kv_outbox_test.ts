import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { type SIEMEvent, toSIEMEvent } from "../../src/events/siem_event.ts";
import { systemClock } from "../../src/delivery/clock.ts";
import { KvOutbox } from "../../src/spool/kv_outbox.ts";
import { realisticEvents } from "../fixtures/events.ts";

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
  const kv = await Deno.openKv(":memory:");
  try {
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
    const bytes = async (d: string): Promise<Uint8Array[][]> => {
      const parts: Uint8Array[][] = [];
      for await (const g of outbox.groups("outbox", d)) parts.push(g.parts);
      return parts;
    };
    assert.deepEqual(await bytes("datadog"), await bytes("splunk"));

    // In one transaction with the caller's writes: the same.
    await outbox.storeAtomically(DESTINATIONS, outbox.group(events(5, 4)), {
      sets: [{ key: ["p", "marker"], value: 1 }],
    });
    const after = await Promise.all(DESTINATIONS.map((d) => ids(outbox, d)));
    assert.equal(after[0]!.length, groups.length + 1);
    assert.deepEqual(after[1], after[0]);
    assert.deepEqual(after[2], after[0]);
  } finally {
    kv.close();
  }
});

Deno.test("KvOutbox: a group too large to store for every destination at once is stored once per destination, under one id", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const outbox = new KvOutbox(kv, "p", systemClock, Math.random);
    // One event of 300 KB is a group of its own; three copies pass the
    // 700 KB a transaction takes.
    const big = events(1, 5)[0]!;
    big.metadata = { blob: "x".repeat(300_000) };
    const groups = outbox.group([big]);
    assert.equal(groups.length, 1);
    await outbox.store(DESTINATIONS, groups);
    const found = await Promise.all(DESTINATIONS.map((d) => ids(outbox, d)));
    assert.equal(found[0]!.length, 1);
    assert.deepEqual(found[1], found[0]);
    assert.deepEqual(found[2], found[0]);
  } finally {
    kv.close();
  }
});
