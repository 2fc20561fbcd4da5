import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { KvSpool } from "../../src/spool/kv_spool.ts";
import type {
  KvAtomicLike,
  KvEntryLike,
  KvKey,
  KvLike,
  KvMaybeEntryLike,
} from "../../src/spool/kv_like.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { clockTest, FakeClock } from "../support/fake_clock.ts";
import { advanceBy, advanceUntil, stopOn } from "../support/fake_clock_io.ts";
import { MemoryLogger, startReceivers } from "../support/receivers.ts";
import { audit, fast, storedByKind, withKv } from "../support/spool_setup.ts";

const quiet = new MemoryLogger();

clockTest(
  "KvSpool: events loaded from the store keep the age they had when accepted, so flushIntervalMs counts from acceptance, not from loading",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    const kv = await Deno.openKv(":memory:");
    try {
      const [, elasticsearch] = siems.configs();
      const config = {
        ...elasticsearch!,
        flushIntervalMs: 5_000,
        batchSize: 100,
      };
      const options = {
        logger: quiet,
        clock,
        leaseMs: 400,
        pollMs: 30,
        stopTimeoutMs: 2000,
      };
      // Accepted by an instance that stops (or dies) before sending them.
      const first = new KvSpool(kv, [config], options);
      await first.accept(
        realisticEvents(3).map((event) => parseAuditEvent(event)),
      );
      await stopOn(clock, first);
      // Past their flush interval; then another instance starts.
      await advanceBy(clock, 6_000, 500);
      const second = new KvSpool(kv, [config], options);
      second.start();
      await using _stop = {
        [Symbol.asyncDispose]: async () => void await stopOn(clock, second),
      };
      const started = clock.now();
      // They have waited their interval already: the batch leaves as soon
      // as they are loaded, not one more flushIntervalMs after.
      await advanceUntil(
        clock,
        () => siems.elasticsearch.documents.length === 3,
        "the aged batch sent",
        10,
        1_000,
      );
      assert.ok(clock.now() - started < 1_000);
    } finally {
      kv.close();
    }
  },
);

clockTest(
  "KvSpool deletes a stored group whose every event is recorded as settled, sending none of it again",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    const kv = await Deno.openKv(":memory:");
    try {
      const [, elasticsearch] = siems.configs();
      const config = { ...elasticsearch!, flushIntervalMs: 100 };
      const options = { logger: quiet, clock, leaseMs: 400, pollMs: 30 };
      const first = new KvSpool(kv, [config], options);
      await first.accept(
        realisticEvents(3).map((event) => parseAuditEvent(event)),
      );
      await stopOn(clock, first);
      // [prefix, "outbox", destination, at, id, index, total] and
      // [prefix, "progress", destination, id].
      const stored = async (what: string): Promise<Set<string>> => {
        const ids = new Set<string>();
        for await (const entry of kv.list({ prefix: ["harombe-siem", what] })) {
          ids.add(entry.key[what === "outbox" ? 4 : 3] as string);
        }
        return ids;
      };
      const [id] = await stored("outbox").then((ids) => [...ids]);
      assert.ok(id !== undefined);
      // Another instance delivered and recorded all three, counted them
      // off, and stopped before it deleted the group.
      await kv.atomic()
        .set(["harombe-siem", "progress", "elasticsearch", id], [0, 1, 2])
        .sum(["harombe-siem", "count", "elasticsearch"], (1n << 64n) - 3n)
        .commit();
      const second = new KvSpool(kv, [config], options);
      second.start();
      await using _stop = {
        [Symbol.asyncDispose]: async () => void await stopOn(clock, second),
      };
      await advanceUntil(
        clock,
        async () => (await stored("outbox")).size === 0,
        "the group deleted",
        10,
        2_000,
      );
      assert.equal((await stored("progress")).size, 0, "its progress too");
      await advanceBy(clock, 500);
      assert.equal(siems.elasticsearch.requests.length, 0, "none sent again");
      const count = await kv.get<Deno.KvU64>([
        "harombe-siem",
        "count",
        "elasticsearch",
      ]);
      assert.equal(count.value?.value, 0n);
    } finally {
      kv.close();
    }
  },
);

// Counted short, the backlog looked delivered while a group was still
// stored: the soak stopped before it was sent (100 events "lost" in one run
// of four), and a stop's drain would have given up on it.
Deno.test("KvSpool counts events another accept stored while its count was being read", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    // The next read of the outbox counter reads at once, then answers only
    // when the test lets it: another accept commits in between.
    let gate: PromiseWithResolvers<void> | undefined;
    const read = Promise.withResolvers<void>();
    const slowKv: KvLike = {
      atomic: () => kv.atomic(),
      list: (selector, options) => kv.list(selector, options),
      async get<T = unknown>(key: KvKey): Promise<KvMaybeEntryLike<T>> {
        const entry = await kv.get<T>(key);
        const held = gate;
        if (held !== undefined && key.includes("count")) {
          gate = undefined;
          read.resolve();
          await held.promise;
        }
        return entry;
      },
    };
    const spool = new KvSpool(slowKv, [{
      platform: "splunk",
      endpoint: "http://127.0.0.1:9",
    }], { logger: quiet });
    const events = realisticEvents(20).map((event) => parseAuditEvent(event));
    const release = Promise.withResolvers<void>();
    gate = release;
    const first = spool.accept(events.slice(0, 10));
    await read.promise;
    await spool.accept(events.slice(10));
    release.resolve();
    await first;
    const stored = await kv.get<Deno.KvU64>([
      "harombe-siem",
      "count",
      "splunk",
    ]);
    assert.equal(stored.value?.value, 20n);
    assert.equal(spool.getStats().perDestination.splunk!.buffered, 20);
  } finally {
    kv.close();
  }
});

/**
 * A store that counts the listings of outbox groups that found a group not
 * listed before, and holds the commits
 * that record delivered events (they delete outbox keys or write progress)
 * while `recordsHeld` is set.
 */
class WatchedKv implements KvLike {
  readonly #kv: Deno.Kv;
  outboxListings = 0;
  recordsHeld = false;
  readonly #held: Array<() => void> = [];
  readonly #listed = new Set<string>();

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  get<T = unknown>(key: KvKey): Promise<KvMaybeEntryLike<T>> {
    return this.#kv.get<T>(key as Deno.KvKey);
  }

  getMany(keys: KvKey[]): Promise<KvMaybeEntryLike<unknown>[]> {
    return this.#kv.getMany(keys as Deno.KvKey[]);
  }

  async *list<T = unknown>(
    selector: { prefix: KvKey; start?: KvKey },
    options?: { batchSize?: number },
  ): AsyncIterable<KvEntryLike<T>> {
    let found = false;
    for await (
      const entry of this.#kv.list<T>(selector as Deno.KvListSelector, options)
    ) {
      const key = JSON.stringify(entry.key);
      if (
        !found && selector.prefix[1] === "outbox" && !this.#listed.has(key)
      ) {
        this.outboxListings++;
        found = true;
      }
      this.#listed.add(key);
      yield entry;
    }
  }

  atomic(): KvAtomicLike {
    const op = this.#kv.atomic();
    let records = false;
    const watched: KvAtomicLike = {
      check: (...checks) => {
        op.check(...checks as Deno.AtomicCheck[]);
        return watched;
      },
      set: (key, value) => {
        if (key[1] === "progress") records = true;
        op.set(key as Deno.KvKey, value);
        return watched;
      },
      delete: (key) => {
        if (key[1] === "outbox") records = true;
        op.delete(key as Deno.KvKey);
        return watched;
      },
      sum: (key, n) => {
        op.sum(key as Deno.KvKey, n);
        return watched;
      },
      commit: async () => {
        if (records && this.recordsHeld) {
          await new Promise<void>((resolve) => this.#held.push(resolve));
        }
        return await op.commit();
      },
    };
    return watched;
  }

  releaseRecords(): void {
    this.recordsHeld = false;
    this.#held.splice(0).forEach((resume) => resume());
  }
}

/** What a test of a stored backlog gets. */
interface Backlog {
  siems: ReturnType<typeof startReceivers>;
  clock: FakeClock;
  watched: WatchedKv;
  /** A second instance, not started, that delivers the backlog. */
  spool: KvSpool;
}

/**
 * Runs `run` with `groups` groups of 100 events stored for Splunk by an
 * instance that then stopped, and another instance to deliver them (stopped
 * after, records released).
 */
async function withBacklog(
  batchSize: number,
  groups: number,
  run: (backlog: Backlog) => Promise<void>,
): Promise<void> {
  await using siems = startReceivers();
  const clock = new FakeClock();
  await withKv(async (kv) => {
    const watched = new WatchedKv(kv);
    const [splunk] = siems.configs();
    const configs = fast([{ ...splunk!, batchSize }]);
    const first = new KvSpool(watched, configs, { logger: quiet, clock });
    for (let i = 0; i < groups; i++) await first.accept(audit(100, i + 1));
    await stopOn(clock, first);
    const spool = new KvSpool(watched, configs, {
      logger: quiet,
      clock,
      leaseMs: 400,
      pollMs: 30,
    });
    try {
      await run({ siems, clock, watched, spool });
    } finally {
      watched.releaseRecords();
      await stopOn(clock, spool);
    }
  });
}

clockTest(
  "KvSpool reads a backlog in small batches a window of 2,000 events at a time, not four batches at a time",
  () =>
    withBacklog(10, 30, async ({ siems, clock, watched, spool }) => {
      spool.start();
      watched.outboxListings = 0;
      await advanceUntil(
        clock,
        () => siems.splunk.events.length === 3_000,
        "the backlog delivered",
        10,
        30_000,
      );
      // Four batches of 10 at a time took one listing per group (30 and
      // more); a window of 2,000 events takes a few (polls that find no
      // new group are not counted).
      assert.ok(
        watched.outboxListings <= 8,
        `${watched.outboxListings} listings`,
      );
    }),
);

clockTest(
  "KvSpool reads no more while a window of delivered events waits for its record, and goes on once records are written",
  // Four windows.
  () =>
    withBacklog(100, 80, async ({ siems, clock, watched, spool }) => {
      watched.recordsHeld = true;
      spool.start();
      await advanceUntil(
        clock,
        () => siems.splunk.events.length >= 2_000,
        "the first window delivered",
      );
      // Many polls later, with no record written: delivery stopped within
      // two windows of what is recorded (a crash would send those again).
      await advanceBy(clock, 2_000);
      const delivered = siems.splunk.events.length;
      assert.ok(delivered <= 4_000, `${delivered} delivered unrecorded`);
      watched.releaseRecords();
      await advanceUntil(
        clock,
        () => siems.splunk.events.length === 8_000,
        "the rest delivered once records are written",
        10,
        30_000,
      );
      const ids = siems.splunk.events.map((envelope) =>
        (envelope.event as { event_id: string }).event_id
      );
      assert.equal(new Set(ids).size, 8_000, "none sent twice");
    }),
);

clockTest(
  "KvSpool with two requests in flight records batches that come back out of order, and a restart sends none again",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const [splunk] = siems.configs();
      const configs = fast([
        { ...splunk!, batchSize: 10, maxConcurrentRequests: 2 },
      ]);
      // The first request is answered only after the second one is.
      const { promise: secondAnswered, resolve: answered } = Promise
        .withResolvers<void>();
      let requests = 0;
      let mostOpen = 0;
      let open = 0;
      const outOfOrder: typeof fetch = async (input, init) => {
        const index = requests++;
        open++;
        mostOpen = Math.max(mostOpen, open);
        try {
          if (index === 0) await secondAnswered;
          const response = await fetch(input, init);
          if (index === 1) answered();
          return response;
        } finally {
          open--;
        }
      };
      const options = { logger: quiet, clock, leaseMs: 400, pollMs: 30 };
      const first = new KvSpool(kv, configs, { ...options, fetch: outOfOrder });
      await first.accept(audit(40));
      first.start();
      await advanceUntil(
        clock,
        () => siems.splunk.events.length === 40,
        "all delivered",
      );
      await stopOn(clock, first);
      assert.equal(mostOpen, 2);
      const stored = await storedByKind(kv, "harombe-siem");
      assert.equal(stored.get("outbox"), undefined, "every group recorded");
      assert.equal(stored.get("progress"), undefined);
      const second = new KvSpool(kv, configs, options);
      second.start();
      await advanceBy(clock, 1_000);
      await stopOn(clock, second);
      assert.equal(siems.splunk.events.length, 40, "none sent again");
    });
  },
);
