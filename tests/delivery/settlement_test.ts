import assert from "node:assert/strict";
import { SettlementLedger } from "../../src/delivery/settlement.ts";
import { Destination } from "../../src/delivery/destination.ts";
import type { Settlement } from "../../src/delivery/settlement.ts";
import { systemClock } from "../../src/delivery/clock.ts";
import { type SIEMEvent, toSIEMEvent } from "../../src/events/siem_event.ts";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { MemoryLogger, TOKENS } from "../support/receivers.ts";

function events(count: number, seed = 1): SIEMEvent[] {
  return realisticEvents(count, seed).map((event) =>
    toSIEMEvent(parseAuditEvent(event))
  );
}

const refused = (reason: string, status?: number): Settlement => ({
  outcome: "dead_lettered",
  reason,
  status,
});

Deno.test("ledger: counts what remains per owner as events settle", () => {
  const [a, b] = [{ id: "a" }, { id: "b" }];
  const [a1, a2, a3, b1] = events(4);
  const ledger = new SettlementLedger<{ id: string }>();
  ledger.track(a, [a1!, a2!, a3!]);
  ledger.track(b, [b1!]);
  assert.equal(ledger.remaining(a), 3);
  assert.equal(ledger.remaining(b), 1);
  // One batch across both owners.
  ledger.settle([a1!, b1!], { outcome: "delivered" });
  assert.equal(ledger.remaining(a), 2);
  assert.equal(ledger.remaining(b), 0);
  ledger.settle([a2!, a3!], refused("too old"));
  assert.equal(ledger.remaining(a), 0);
  assert.equal(ledger.account(a).delivered, 1);
  assert.equal(ledger.account(b).delivered, 1);
});

Deno.test("ledger: an event settles once; unknown events are ignored", () => {
  const owner = {};
  const [e1, e2, stranger] = events(3);
  const ledger = new SettlementLedger<object>();
  ledger.track(owner, [e1!, e2!]);
  ledger.settle([e1!], { outcome: "delivered" });
  // Settled again (a defect elsewhere), and an event never tracked: neither
  // may count another of the owner's events off.
  const parts = ledger.settle([e1!, stranger!], { outcome: "delivered" });
  assert.equal(parts.size, 0);
  assert.equal(ledger.remaining(owner), 1);
  assert.equal(ledger.account(owner).delivered, 1);
  // An owner never tracked has nothing remaining.
  assert.equal(ledger.remaining({}), 0);
});

Deno.test("ledger: groups dead letters by reason, keeping status and order", () => {
  const owner = {};
  const all = events(5);
  const ledger = new SettlementLedger<object>();
  ledger.track(owner, all);
  ledger.settle([all[0]!, all[2]!], refused("mapper_parsing_exception", 400));
  ledger.settle([all[1]!], { outcome: "delivered" });
  ledger.settle([all[3]!], refused("too large"));
  ledger.settle([all[4]!], refused("mapper_parsing_exception", 400));
  const dead = [...ledger.account(owner).dead.values()];
  assert.deepEqual(
    dead.map((group) => ({
      reason: group.reason,
      status: group.status,
      ids: group.events.map((event) => event.event_id),
      positions: group.positions,
    })),
    [
      {
        reason: "mapper_parsing_exception",
        status: 400,
        ids: [all[0]!, all[2]!, all[4]!].map((event) => event.event_id),
        positions: [0, 2, 4],
      },
      {
        reason: "too large",
        status: undefined,
        ids: [all[3]!.event_id],
        positions: [3],
      },
    ],
  );
  assert.equal(ledger.remaining(owner), 0);
});

Deno.test("ledger: settle returns this call's part per owner, with positions", () => {
  const [a, b] = [{}, {}];
  const all = events(4);
  const ledger = new SettlementLedger<object>();
  // Positions in the stored group: 0 and 2 were settled before a reload.
  ledger.track(a, [all[0]!, all[1]!], [1, 3]);
  ledger.track(b, [all[2]!, all[3]!]);
  const parts = ledger.settle(
    [all[1]!, all[3]!, all[0]!],
    refused("rejected", 422),
  );
  assert.deepEqual([...parts.keys()], [a, b]);
  const partA = parts.get(a)!;
  assert.deepEqual(partA.positions, [3, 1]);
  assert.equal(partA.delivered, 0);
  assert.deepEqual(partA.dead.get("rejected")?.positions, [3, 1]);
  assert.equal(partA.dead.get("rejected")?.status, 422);
  const partB = parts.get(b)!;
  assert.deepEqual(partB.positions, [1]);
  assert.deepEqual(
    partB.dead.get("rejected")?.events.map((event) => event.event_id),
    [all[3]!.event_id],
  );
  // The next call's part holds only its own events.
  const next = ledger.settle([all[2]!], { outcome: "delivered" });
  assert.deepEqual(next.get(b), {
    positions: [0],
    delivered: 1,
    dead: new Map(),
  });
});

Deno.test("Destination settles with the dead letter's reason and status, and reports refusals apart", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  const settled: { ids: string[]; settlement: Settlement }[] = [];
  const refusals: { ids: string[]; settlement: Settlement }[] = [];
  const letters: { reason: string; status: number | undefined }[] = [];
  const destination = new Destination(
    createExporter(parseSIEMConfig({
      platform: "splunk",
      endpoint: hec.url,
      token: TOKENS.splunk,
      batchSize: 2,
      maxBufferedEvents: 2,
      overflow: "reject",
      maxEventAgeMs: 60_000,
    })),
    {
      clock: systemClock,
      random: () => 0,
      logger: new MemoryLogger(),
      autoFlush: false,
      onDeadLetter: (letter) => {
        letters.push({ reason: letter.reason, status: letter.status });
      },
      onSettled: (events, settlement) =>
        settled.push({ ids: events.map((e) => e.event_id), settlement }),
      onRefused: (events, settlement) =>
        refusals.push({ ids: events.map((e) => e.event_id), settlement }),
    },
  );
  const [first, old, third] = events(3);
  const fresh = { ...first!, timestamp: new Date().toISOString() };
  const stale = {
    ...old!,
    timestamp: new Date(Date.now() - 3_600_000).toISOString(),
  };
  destination.enqueue(fresh, false);
  destination.enqueue(stale, false);
  // The buffer is full: the third is refused, not settled.
  assert.equal(destination.enqueue(third!, false), false);
  await destination.flush();
  await destination.close(1000);
  assert.equal(refusals.length, 1);
  assert.deepEqual(refusals[0]!.ids, [third!.event_id]);
  assert.equal(refusals[0]!.settlement.outcome, "dead_lettered");
  assert.match(
    (refusals[0]!.settlement as { reason: string }).reason,
    /buffer full/,
  );
  const dead = settled.find((s) => s.settlement.outcome === "dead_lettered");
  assert.deepEqual(dead?.ids, [stale.event_id]);
  // The reason and status the settlement carries are the letter's own.
  const letter = letters.find((l) => /minutes old/.test(l.reason));
  assert.ok(letter);
  assert.deepEqual(dead?.settlement, {
    outcome: "dead_lettered",
    reason: letter.reason,
    status: letter.status,
  });
  assert.deepEqual(
    settled.filter((s) => s.settlement.outcome === "delivered").flatMap((s) =>
      s.ids
    ),
    [fresh.event_id],
  );
});
