import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { systemClock } from "../../src/delivery/clock.ts";
import type { SettledPart } from "../../src/delivery/settlement.ts";
import {
  joinParts,
  MAX_GROUPS_PER_RECORD,
  type RecordedGroup,
  recordGroup,
  recordGroups,
} from "../../src/spool/group_records.ts";
import { KvOutbox } from "../../src/spool/kv_outbox.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { withKv } from "../support/spool_setup.ts";
import { countingKv } from "../support/counting_kv.ts";

async function storedGroups(
  outbox: KvOutbox,
  count: number,
): Promise<RecordedGroup[]> {
  for (let i = 0; i < count; i++) {
    const events = realisticEvents(4, i + 1).map((e) =>
      toSIEMEvent(parseAuditEvent(e))
    );
    await outbox.store(["splunk"], outbox.group(events));
  }
  const groups: RecordedGroup[] = [];
  for await (const group of outbox.groups("outbox", "splunk")) {
    groups.push({
      id: group.id,
      keys: group.keys,
      firstVersionstamp: group.firstVersionstamp,
      total: 4,
      recorded: { positions: new Set(), versionstamp: null },
    });
  }
  return groups;
}

function delivered(...positions: number[]): SettledPart {
  return { positions, delivered: positions.length, dead: new Map() };
}

async function count(kv: Deno.Kv): Promise<bigint> {
  const entry = await kv.get<Deno.KvU64>(["p", "count", "splunk"]);
  return entry.value?.value ?? 0n;
}

const context = (outbox: KvOutbox) => ({
  outbox,
  destination: "splunk",
  clock: systemClock,
});

Deno.test("recordGroups() records several groups in one transaction: progress of one, deletion of another, the counter", async () => {
  await withKv(async (kv) => {
    const store = countingKv(kv);
    const outbox = new KvOutbox(store.kv, "p", systemClock, Math.random);
    const [first, second, third] = await storedGroups(outbox, 3);
    assert.equal(await count(kv), 12n);
    const before = store.commits();
    const outcomes = await recordGroups(context(outbox), [
      [first!, delivered(0, 1, 2, 3)],
      [second!, delivered(1, 2)],
      [third!, delivered(3)],
    ]);
    assert.equal(store.commits() - before, 1);
    assert.deepEqual(outcomes, [
      { fresh: 4, gone: true },
      { fresh: 2, gone: false },
      { fresh: 1, gone: false },
    ]);
    assert.equal(await count(kv), 5n);
    // The first group is deleted; the others list what settled of them.
    assert.equal((await kv.get(first!.keys[0]! as Deno.KvKey)).value, null);
    const progress = await kv.get<number[]>([
      "p",
      "progress",
      "splunk",
      second!.id,
    ]);
    assert.deepEqual(progress.value, [1, 2]);
    assert.equal(second!.recorded.versionstamp, progress.versionstamp);
    assert.deepEqual([...third!.recorded.positions], [3]);
  });
});

Deno.test("recordGroups() writes nothing when another instance moved a group's progress; recordGroup() then merges it", async () => {
  await withKv(async (kv) => {
    const outbox = new KvOutbox(kv, "p", systemClock, Math.random);
    const [first, second] = await storedGroups(outbox, 2);
    // The instance that lost the lease recorded a batch of the second group.
    await kv.set(["p", "progress", "splunk", second!.id], [0]);
    const outcomes = await recordGroups(context(outbox), [
      [first!, delivered(0)],
      [second!, delivered(1)],
    ]);
    assert.equal(outcomes, undefined);
    assert.equal(await count(kv), 8n);
    assert.equal(
      (await kv.get(["p", "progress", "splunk", first!.id])).value,
      null,
    );
    // One at a time, the moved progress is read again and merged: no event
    // counted off twice.
    assert.deepEqual(await recordGroup(context(outbox), first!, delivered(0)), {
      fresh: 1,
      gone: false,
    });
    assert.deepEqual(
      await recordGroup(context(outbox), second!, delivered(1)),
      { fresh: 1, gone: false },
    );
    assert.deepEqual(
      (await kv.get(["p", "progress", "splunk", second!.id])).value,
      [0, 1],
    );
    assert.equal(await count(kv), 6n);
  });
});

Deno.test("recordGroups() leaves to recordGroup() a group with dead letters, one whose progress is unknown, and more than a transaction takes", async () => {
  await withKv(async (kv) => {
    const store = countingKv(kv);
    const outbox = new KvOutbox(store.kv, "p", systemClock, Math.random);
    const [first, second] = await storedGroups(outbox, 2);
    const event = toSIEMEvent(parseAuditEvent(realisticEvents(1, 9)[0]!));
    const dead: SettledPart = {
      positions: [0],
      delivered: 0,
      dead: new Map([["refused", {
        reason: "refused",
        status: 400,
        events: [event],
        positions: [0],
      }]]),
    };
    const before = store.commits();
    assert.equal(
      await recordGroups(context(outbox), [
        [first!, dead],
        [second!, delivered(0)],
      ]),
      undefined,
    );
    second!.recorded.versionstamp = undefined;
    assert.equal(
      await recordGroups(context(outbox), [
        [first!, delivered(1)],
        [second!, delivered(0)],
      ]),
      undefined,
    );
    second!.recorded.versionstamp = null;
    const many = Array.from(
      { length: MAX_GROUPS_PER_RECORD + 1 },
      () => [first!, delivered(0)] as const,
    );
    assert.equal(await recordGroups(context(outbox), many), undefined);
    assert.equal(store.commits(), before);
  });
});

Deno.test("joinParts() keeps every position and dead letter of two parts of one group", () => {
  const event = toSIEMEvent(parseAuditEvent(realisticEvents(1, 3)[0]!));
  const dead = (position: number): SettledPart["dead"] =>
    new Map([["refused", {
      reason: "refused",
      status: 400,
      events: [event],
      positions: [position],
    }]]);
  const first: SettledPart = { positions: [0, 1], delivered: 1, dead: dead(1) };
  const second: SettledPart = {
    positions: [4, 5],
    delivered: 1,
    dead: dead(5),
  };
  const both = joinParts(first, second);
  assert.deepEqual(both.positions, [0, 1, 4, 5]);
  assert.equal(both.delivered, 2);
  assert.deepEqual(both.dead.get("refused")!.positions, [1, 5]);
  assert.equal(both.dead.get("refused")!.events.length, 2);
  // The parts themselves are left as they were.
  assert.deepEqual(first.dead.get("refused")!.positions, [1]);
});
