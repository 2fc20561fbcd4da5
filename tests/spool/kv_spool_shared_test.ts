// The durable spool with groups stored once for all destinations
// (src/spool/kv_outbox.ts): each destination delivers from the one body, the
// body goes with the last reference, and groups an older version stored
// whole in each outbox still go out.
import assert from "node:assert/strict";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { systemClock } from "../../src/delivery/clock.ts";
import { toParts } from "../../src/spool/blob.ts";
import { KvOutbox } from "../../src/spool/kv_outbox.ts";
import type { KvKey, KvLike } from "../../src/spool/kv_like.ts";
import { KvSpool, type KvSpoolOptions } from "../../src/spool/kv_spool.ts";
import { clockTest, FakeClock } from "../support/fake_clock.ts";
import { advanceBy, advanceUntil, stopOn } from "../support/fake_clock_io.ts";
import { MemoryLogger, startReceivers } from "../support/receivers.ts";
import {
  audit,
  deliveredToAll,
  fast,
  storedByKind,
  withKv,
} from "../support/spool_setup.ts";

const PREFIX = "harombe-siem";

function options(
  clock: FakeClock,
  logger = new MemoryLogger(),
): KvSpoolOptions {
  return { logger, leaseMs: 400, pollMs: 30, stopTimeoutMs: 2000, clock };
}

// Every key under the spool's prefix but its counters and leases.
async function held(kv: Deno.Kv): Promise<Record<string, number>> {
  const kinds: Record<string, number> = {};
  for (const [kind, entries] of await storedByKind(kv, PREFIX)) {
    if (!["count", "deadcount", "lease"].includes(kind)) {
      kinds[kind] = entries.length;
    }
  }
  return kinds;
}

clockTest(
  "KvSpool delivers groups stored once to every destination, and then nothing of them is stored",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const spool = new KvSpool(
        kv,
        fast(siems.configs({ batchSize: 50 })),
        options(clock),
      );
      await spool.accept(audit(400));
      const before = await held(kv);
      assert.ok(before.body! >= 3, JSON.stringify(before));
      assert.equal(before.outbox, before.refs! * 3);
      spool.start();
      await advanceUntil(
        clock,
        deliveredToAll(siems, 400),
        "delivery",
      );
      await stopOn(clock, spool);
      assert.deepEqual(await held(kv), {});
      assert.deepEqual(
        siems.elasticsearch.documents.map((d) => d.source.event_id),
        audit(400).map((e) => e.event_id),
      );
    });
  },
);

clockTest(
  "KvSpool keeps a shared group's body while one destination is down, and deletes it once that one delivers",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      siems.datadog.down({ status: 503 });
      const spool = new KvSpool(
        kv,
        fast(siems.configs({ batchSize: 50 })),
        options(clock),
      );
      await spool.accept(audit(120));
      spool.start();
      await advanceUntil(
        clock,
        async () =>
          siems.splunk.events.length === 120 &&
          siems.elasticsearch.documents.length === 120 &&
          (await held(kv)).outbox === (await held(kv)).refs,
        "delivery to two of three",
      );
      const waiting = await held(kv);
      assert.ok(waiting.body! >= 1);
      for await (const entry of kv.list({ prefix: [PREFIX, "refs"] })) {
        assert.equal((entry.value as Deno.KvU64).value, 1n);
      }
      siems.datadog.down(null);
      await advanceUntil(
        clock,
        async () =>
          siems.datadog.logs.length === 120 &&
          Object.keys(await held(kv)).length === 0,
        "Datadog's delivery, then the bodies' deletion",
      );
      await stopOn(clock, spool);
    });
  },
);

clockTest(
  "KvSpool delivers groups an older version stored whole in each outbox, in order with those stored once",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const configs = fast(siems.configs({ batchSize: 50 }));
      const names = ["splunk", "elasticsearch", "datadog"];
      // As version 0.1.0 stored them: a copy per destination, one id.
      const old = new KvOutbox(kv, PREFIX, systemClock, Math.random);
      const first = audit(60, 1);
      // Accepted a second before those below: keys sort by accept time.
      const stored = {
        at: clock.now() - 1000,
        events: first.map((e) => toSIEMEvent(e)),
      };
      const op = kv.atomic();
      const id = old.newGroupId();
      for (const name of names) {
        old.writeGroup(op, "outbox", name, stored, toParts(stored), id);
      }
      assert.ok((await op.commit()).ok);
      const spool = new KvSpool(kv, configs, options(clock));
      const second = audit(60, 2);
      await spool.accept(second);
      const kinds = await held(kv);
      assert.ok(kinds.body! >= 1 && kinds.outbox! > 3, JSON.stringify(kinds));
      spool.start();
      await advanceUntil(
        clock,
        deliveredToAll(siems, 120),
        "delivery",
      );
      await stopOn(clock, spool);
      assert.deepEqual(
        siems.elasticsearch.documents.map((d) => d.source.event_id),
        [...first, ...second].map((e) => e.event_id),
      );
      assert.deepEqual(await held(kv), {});
    });
  },
);

clockTest(
  "KvSpool.start() deletes the bodies no reference is left to, and keeps the others",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const outbox = new KvOutbox(kv, PREFIX, systemClock, Math.random);
      // Two destinations the spool below does not deliver (so nothing it
      // does moves their references): one group still referred to, one
      // whose last reference went with a crash before its body.
      await outbox.store(
        ["gone-a", "gone-b"],
        outbox.group(audit(5).map((e) => toSIEMEvent(e))),
      );
      await outbox.store(
        ["gone-a", "gone-b"],
        outbox.group(audit(5, 2).map((e) => toSIEMEvent(e))),
      );
      const refs: string[] = [];
      for await (const { key } of kv.list({ prefix: [PREFIX, "refs"] })) {
        refs.push(String(key[2]));
      }
      await kv.atomic()
        .sum([PREFIX, "refs", refs[1]!], (1n << 64n) - 2n)
        .commit();
      const logger = new MemoryLogger();
      const spool = new KvSpool(
        kv,
        fast(siems.configs({ batchSize: 50 })),
        options(clock, logger),
      );
      spool.start();
      await stopOn(clock, spool);
      const bodies: string[] = [];
      for await (const { key } of kv.list({ prefix: [PREFIX, "body"] })) {
        bodies.push(String(key[2]));
      }
      assert.deepEqual(bodies, [refs[0]]);
      assert.ok(
        logger.lines.some((line) =>
          line.includes("spool deleted bodies no destination refers to") &&
          line.includes('"swept":1')
        ),
        logger.lines.join("\n"),
      );
    });
  },
);

clockTest(
  "KvSpool delivers the groups it just stored without reading them back, and reads those another instance stored",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      // Every body key read, through get or getMany.
      const bodyReads: KvKey[] = [];
      const note = (key: KvKey): void => {
        if (key[1] === "body") bodyReads.push(key);
      };
      const watched: KvLike = {
        get: (key) => {
          note(key);
          return kv.get(key);
        },
        getMany: (keys) => {
          keys.forEach(note);
          return kv.getMany(keys as Deno.KvKey[]);
        },
        list: (selector, options) => kv.list(selector, options),
        atomic: () => kv.atomic(),
      };
      const configs = fast(siems.configs({ batchSize: 50 }));
      // Stored by an instance that stopped before sending them.
      const other = new KvSpool(kv, configs, options(clock));
      await other.accept(audit(100, 1));
      const othersGroups: string[] = [];
      for await (const { key } of kv.list({ prefix: [PREFIX, "refs"] })) {
        othersGroups.push(String(key[2]));
      }
      assert.ok(othersGroups.length >= 1);
      const spool = new KvSpool(watched, configs, options(clock));
      // Started, holding its leases: it keeps what it stores for the
      // destinations it delivers.
      spool.start();
      await advanceBy(clock, 100);
      await spool.accept(audit(100, 2));
      await advanceUntil(
        clock,
        deliveredToAll(siems, 200),
        "delivery",
      );
      await stopOn(clock, spool);
      // The other instance's groups only, each part read once for all
      // three destinations.
      const read = bodyReads.map((key) =>
        `${String(key[2])}/${String(key[3])}`
      );
      assert.equal(new Set(read).size, read.length, read.join());
      assert.deepEqual(
        [...new Set(bodyReads.map((key) => String(key[2])))],
        othersGroups,
      );
      assert.deepEqual(await held(kv), {});
    });
  },
);

clockTest(
  "KvSpool says so when a reference's body is gone, and delivers the groups after it",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const configs = fast(siems.configs({ batchSize: 50 }));
      const other = new KvSpool(kv, configs, options(clock));
      const lost = audit(10, 1);
      const kept = audit(10, 2);
      await other.accept(lost);
      await other.accept(kept);
      const [first] = await Array.fromAsync(
        kv.list({ prefix: [PREFIX, "body"] }),
      );
      // The store lost the first group's body (it never does by itself).
      await kv.delete(first!.key);
      const logger = new MemoryLogger();
      const spool = new KvSpool(kv, configs, options(clock, logger));
      spool.start();
      await advanceUntil(
        clock,
        deliveredToAll(siems, 10),
        "delivery of the second group",
      );
      await stopOn(clock, spool);
      assert.deepEqual(
        siems.elasticsearch.documents.map((d) => d.source.event_id),
        kept.map((e) => e.event_id),
      );
      const missing = logger.lines.filter((line) =>
        line.startsWith("error spool group body missing")
      );
      assert.ok(missing.length >= 3, logger.lines.join("\n"));
      assert.ok(missing[0]!.includes(String(first!.key[2])));
    });
  },
);

clockTest(
  "KvSpool sends what it accepted when the caller changes the events' metadata afterwards, in a schema too",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const [splunk, , datadog] = fast(siems.configs({ batchSize: 50 }));
      const spool = new KvSpool(kv, [{ ...splunk!, schema: "cim" }, datadog!], {
        ...options(clock),
      });
      spool.start();
      await advanceBy(clock, 100);
      const events = audit(10).map((event, i) => ({
        ...event,
        metadata: { kept: `original-${i}` },
      }));
      await spool.accept(events);
      // The caller keeps its events and changes them before they are sent.
      for (const event of events) {
        (event.metadata as Record<string, unknown>).kept = "changed";
      }
      await advanceUntil(
        clock,
        () =>
          siems.splunk.events.length === 10 && siems.datadog.logs.length === 10,
        "delivery",
      );
      await stopOn(clock, spool);
      const original = events.map((_, i) => `original-${i}`);
      assert.deepEqual(
        siems.splunk.events.map((envelope) =>
          (envelope.event as { metadata: { kept: string } }).metadata.kept
        ),
        original,
      );
      assert.deepEqual(
        siems.datadog.logs.map((log) =>
          (log.audit as { metadata: { kept: string } }).metadata.kept
        ),
        original,
      );
    });
  },
);
