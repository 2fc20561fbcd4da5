/**
 * The one delivery orchestrator (src/delivery/destination_set.ts), driven
 * with a tiny in-test storage: what it hands out and when, what it is told
 * settled and why, and the destinations' life cycle.
 */
import assert from "node:assert/strict";
import type {
  DeliveryStorage,
  StoredEvent,
} from "../../src/delivery/delivery_storage.ts";
import { DestinationSet } from "../../src/delivery/destination_set.ts";
import {
  type Settlement,
  SettlementLedger,
} from "../../src/delivery/settlement.ts";
import { systemClock } from "../../src/delivery/clock.ts";
import type { DeadLetter } from "../../src/delivery/export_result.ts";
import { type SIEMEvent, toSIEMEvent } from "../../src/events/siem_event.ts";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { SIEMConfigError } from "../../src/platforms/siem_config.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";
import { startFakeElasticsearch } from "../fakes/fake_elasticsearch.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { MemoryLogger, TOKENS } from "../support/receivers.ts";

function events(count: number, seed = 7): SIEMEvent[] {
  return realisticEvents(count, seed).map((event) =>
    toSIEMEvent(parseAuditEvent(event))
  );
}

/**
 * The smallest storage: one list per destination, every hand-out and
 * settlement recorded, and a ledger of one owner per destination.
 */
class ListStorage
  implements DeliveryStorage<{ destination: string; events: SIEMEvent[] }> {
  readonly waiting = new Map<string, SIEMEvent[]>();
  readonly handOuts: { destination: string; room: number; count: number }[] =
    [];
  readonly settlements: {
    destination: string;
    ids: string[];
    settlement: Settlement;
  }[] = [];
  readonly ledger = new SettlementLedger<{ destination: string }>();
  readonly owners = new Map<string, { destination: string }>();

  store(accepted: { destination: string; events: SIEMEvent[] }): void {
    const { destination } = accepted;
    const owner = this.owners.get(destination) ?? { destination };
    this.owners.set(destination, owner);
    this.ledger.track(owner, accepted.events);
    const list = this.waiting.get(destination) ?? [];
    list.push(...accepted.events);
    this.waiting.set(destination, list);
  }

  handOut(destination: string, room: number): StoredEvent[] {
    const out = (this.waiting.get(destination) ?? []).splice(0, room);
    this.handOuts.push({ destination, room, count: out.length });
    return out.map((event) => ({ event }));
  }

  settled(
    destination: string,
    events: SIEMEvent[],
    settlement: Settlement,
  ): void {
    this.settlements.push({
      destination,
      ids: events.map((event) => event.event_id),
      settlement,
    });
    this.ledger.settle(events, settlement);
  }
}

function orchestrator(
  storage: ListStorage,
  options: { stored: boolean; autoFlush?: boolean } = { stored: true },
): { set: DestinationSet; letters: DeadLetter[] } {
  const letters: DeadLetter[] = [];
  const set = new DestinationSet(storage, {
    clock: systemClock,
    random: () => 0,
    logger: new MemoryLogger(),
    autoFlush: options.autoFlush ?? false,
    onDeadLetter: (letter) => {
      letters.push(letter);
    },
  }, { stored: options.stored });
  return { set, letters };
}

Deno.test("DestinationSet hands stored events out in order, never more than the buffer's room", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  const storage = new ListStorage();
  const { set } = orchestrator(storage);
  set.add({
    platform: "splunk",
    name: "hec",
    endpoint: hec.url,
    token: TOKENS.splunk,
    batchSize: 2,
    maxBufferedEvents: 3,
    overflow: "reject",
  });
  const all = events(8);
  storage.store({ destination: "hec", events: all });

  // The first feed fills the buffer's room and no more: the rest waits in
  // storage rather than meeting the overflow policy.
  assert.deepEqual(set.feed("hec"), { handedOut: 3, refused: 0 });
  assert.equal(set.get("hec")!.buffered, 3);
  assert.equal(storage.waiting.get("hec")!.length, 5);
  assert.equal(set.feed("hec").handedOut, 0);

  await set.deliver("hec", new AbortController().signal);
  await set.stop(1000);
  assert.deepEqual(
    hec.events.map((envelope) =>
      (envelope.event as { event_id: string }).event_id
    ),
    all.map((event) => event.event_id),
  );
  for (const handOut of storage.handOuts) {
    assert.ok(handOut.room <= 3, `room ${handOut.room} past the buffer`);
  }
  assert.equal(set.stats().totals.eventsFailed, 0);
  assert.equal(storage.ledger.remaining(storage.owners.get("hec")!), 0);
});

Deno.test("DestinationSet tells storage what settled, with the dead letter's reason and status", async () => {
  await using es = startFakeElasticsearch({ apiKey: TOKENS.elasticsearch });
  const storage = new ListStorage();
  const { set, letters } = orchestrator(storage);
  set.add({
    platform: "elasticsearch",
    name: "es",
    endpoint: es.url,
    token: TOKENS.elasticsearch,
    batchSize: 10,
  });
  const [a, b, c] = events(3);
  es.failItemsNext(({ id }) =>
    id === b!.event_id
      ? { status: 400, type: "mapper_parsing_exception", reason: "bad" }
      : undefined
  );
  storage.store({ destination: "es", events: [a!, b!, c!] });
  await set.deliver("es", new AbortController().signal);

  assert.equal(letters.length, 1);
  const [letter] = letters;
  assert.equal(letter!.status, 400);
  assert.match(letter!.reason, /mapper_parsing_exception/);
  // Storage hears of each event once, and of the refused one with the
  // dead letter's own reason and status.
  const byOutcome = (outcome: string): string[] =>
    storage.settlements.filter((s) => s.settlement.outcome === outcome)
      .flatMap((s) => s.ids);
  assert.deepEqual(
    byOutcome("delivered").sort(),
    [a!, c!].map((e) => e.event_id).sort(),
  );
  const dead = storage.settlements.filter((s) =>
    s.settlement.outcome === "dead_lettered"
  );
  assert.deepEqual(dead, [{
    destination: "es",
    ids: [b!.event_id],
    settlement: {
      outcome: "dead_lettered",
      reason: letter!.reason,
      status: 400,
    },
  }]);
});

Deno.test("DestinationSet settlements group one owner's dead letters by reason", async () => {
  await using es = startFakeElasticsearch({ apiKey: TOKENS.elasticsearch });
  const storage = new ListStorage();
  const { set } = orchestrator(storage);
  set.add({
    platform: "elasticsearch",
    name: "es",
    endpoint: es.url,
    token: TOKENS.elasticsearch,
    batchSize: 10,
    maxEventAgeMs: 60_000,
  });
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const now = new Date().toISOString();
  const [r0, s0, r1, s1, r2] = events(5).map((e, i) => ({
    ...e,
    timestamp: i % 2 === 1 ? hourAgo : now,
  }));
  const refusedIds = new Set([r0!.event_id, r1!.event_id]);
  es.failItemsNext(({ id }) =>
    refusedIds.has(id ?? "")
      ? { status: 400, type: "mapper_parsing_exception", reason: "bad" }
      : undefined
  );
  storage.store({ destination: "es", events: [r0!, s0!, r1!, s1!, r2!] });
  await set.deliver("es", new AbortController().signal);

  const owner = storage.owners.get("es")!;
  const account = storage.ledger.account(owner);
  assert.equal(account.remaining, 0);
  assert.equal(account.delivered, 1);
  const groups = [...account.dead.values()];
  // Two reasons, two groups: too old (no status), and the mapping refusal.
  assert.equal(groups.length, 2);
  const old = groups.find((g) => /old/.test(g.reason));
  const refused = groups.find((g) => /mapper_parsing_exception/.test(g.reason));
  assert.deepEqual(old?.events.map((e) => e.event_id), [
    s0!.event_id,
    s1!.event_id,
  ]);
  assert.equal(old?.status, undefined);
  assert.deepEqual(
    refused?.events.map((e) => e.event_id).sort(),
    [...refusedIds].sort(),
  );
  assert.equal(refused?.status, 400);
});

Deno.test("DestinationSet stop() delivers what is buffered before it reports", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  const storage = new ListStorage();
  // Memory mode with the timer on: nothing is sent until a batch is full
  // or a minute has passed, so only stop() can have sent these.
  const { set } = orchestrator(storage, { stored: false, autoFlush: true });
  set.add({
    platform: "splunk",
    name: "hec",
    endpoint: hec.url,
    token: TOKENS.splunk,
    batchSize: 100,
    flushIntervalMs: 60_000,
  });
  const all = events(5);
  storage.store({ destination: "hec", events: all });
  assert.deepEqual(set.feed("hec"), { handedOut: 5, refused: 0 });
  assert.equal(hec.events.length, 0);

  const reports = await set.stop(5000);
  assert.equal(reports.length, 1);
  assert.deepEqual(reports[0]!.undelivered, []);
  assert.equal(reports[0]!.result.eventsSent, 5);
  assert.equal(hec.events.length, 5);
  assert.deepEqual(
    storage.settlements.flatMap((s) => s.ids),
    all.map((e) => e.event_id),
  );
  assert.equal(set.get("hec")!.closed, true);
});

Deno.test("DestinationSet refuses a destination added twice with SIEMConfigError", () => {
  const { set } = orchestrator(new ListStorage());
  const config = {
    platform: "splunk",
    endpoint: "http://127.0.0.1:1",
    token: "t",
  } as const;
  set.add(config);
  assert.throws(() => set.add(config), SIEMConfigError);
  set.add({ ...config, name: "second" });
  assert.deepEqual(set.names, ["splunk", "second"]);
});
