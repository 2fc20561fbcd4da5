/**
 * Regression test: delivering a backlog, the KV spool
 * must read each stored outbox group about once, not a page of 100 entries
 * (up to 6 MB) for every group it loads.
 *
 * Found by the soak run at fdcc805 (`tests/soak/soak.ts`, 60 s, KV spool on
 * a SQLite file, 2-core VM): the ingest acknowledged 753,500 events at
 * 12,542 events/s (p99 129 ms), but the spool delivered about 2,200
 * events/s per destination and needed 278 s after the load to drain. With
 * the integrator as sink the same fakes took 11,800 events/s; the spool's
 * delivery, not the SIEMs, is the bottleneck, so a sustained ingest above
 * ~2,200 events/s grows the spool until `MAX_SPOOLED_EVENTS` and the ingest
 * answers 503.
 *
 * Cause: `#groups()` lists the outbox with `{ batchSize: 100 }`, and
 * `#feed()` (now run after every settled group) lists from the first key to
 * load the 2-4 groups it needs: each call fetches up to 100 entries of up to
 * 60 KB. Here the store is wrapped so that `list()` fetches pages of
 * `batchSize` entries as Deno KV does, and the bytes fetched are counted: at
 * fdcc805, 2,000 stored events are fetched about 24 times over (≈ 315 MB
 * for 13 MB stored with 20,000 events); with pages of 4 entries, 2.3 times,
 * and the 15 s soak drains in 18.6 s instead of 53.1 s.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import type {
  KvAtomicLike,
  KvEntryLike,
  KvKey,
  KvLike,
} from "../../src/spool/kv_like.ts";
import { KvSpool } from "../../src/spool/kv_spool.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { waitFor } from "../support/fake_clock.ts";
import { MemoryLogger, TOKENS } from "../support/receivers.ts";

/** A transaction that counts the outbox bytes it writes. */
class CountingAtomic implements KvAtomicLike {
  readonly #op: Deno.AtomicOperation;
  readonly #written: (bytes: number) => void;

  constructor(op: Deno.AtomicOperation, written: (bytes: number) => void) {
    this.#op = op;
    this.#written = written;
  }

  check(...checks: { key: KvKey; versionstamp: string | null }[]): this {
    this.#op.check(...checks as Deno.AtomicCheck[]);
    return this;
  }

  set(key: KvKey, value: unknown): this {
    if (key[1] === "outbox" && value instanceof Uint8Array) {
      this.#written(value.length);
    }
    this.#op.set(key as Deno.KvKey, value);
    return this;
  }

  delete(key: KvKey): this {
    this.#op.delete(key as Deno.KvKey);
    return this;
  }

  sum(key: KvKey, n: bigint): this {
    this.#op.sum(key as Deno.KvKey, n);
    return this;
  }

  commit(): Promise<{ ok: boolean }> {
    return this.#op.commit();
  }
}

/**
 * A Deno KV whose `list()` fetches pages of `batchSize` entries (as Deno KV
 * does: "the number of entries to fetch per batch") and counts the outbox
 * bytes it fetched.
 */
class CountingKv implements KvLike {
  /** Bytes of outbox values written. */
  stored = 0;
  /** Bytes of values fetched by `list()`. */
  fetched = 0;
  readonly #kv: Deno.Kv;

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  get<T = unknown>(key: KvKey): Promise<Deno.KvEntryMaybe<T>> {
    return this.#kv.get<T>(key as Deno.KvKey);
  }

  atomic(): KvAtomicLike {
    return new CountingAtomic(
      this.#kv.atomic(),
      (bytes) => this.stored += bytes,
    );
  }

  list<T = unknown>(
    selector: { prefix: KvKey; start?: KvKey },
    options: { limit?: number; batchSize?: number } = {},
  ): AsyncIterable<KvEntryLike<T>> {
    return this.#pages<T>(selector, options);
  }

  async *#pages<T>(
    selector: { prefix: KvKey; start?: KvKey },
    options: { limit?: number; batchSize?: number },
  ): AsyncGenerator<KvEntryLike<T>> {
    const page = options.batchSize ?? 100;
    let left = options.limit ?? Infinity;
    let cursor: string | undefined;
    while (left > 0) {
      const want = Math.min(page, left);
      const iterator = this.#kv.list<T>(selector as Deno.KvListSelector, {
        limit: want,
        ...(cursor === undefined ? {} : { cursor }),
      });
      const entries: Deno.KvEntry<T>[] = [];
      for await (const entry of iterator) entries.push(entry);
      for (const entry of entries) {
        if (entry.value instanceof Uint8Array) {
          this.fetched += entry.value.length;
        }
      }
      yield* entries;
      if (entries.length < want) return;
      left -= entries.length;
      cursor = iterator.cursor;
    }
  }
}

Deno.test("KvSpool reads each outbox group about once while it delivers a backlog", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new CountingKv(kv);
    const spool = new KvSpool(store, [{
      platform: "splunk",
      endpoint: hec.url,
      token: TOKENS.splunk,
      flushIntervalMs: 100,
    }], { logger: new MemoryLogger() });
    const events = realisticEvents(20_000, 5).map((e) => parseAuditEvent(e));
    for (let i = 0; i < events.length; i += 500) {
      await spool.accept(events.slice(i, i + 500));
    }
    spool.start();
    try {
      // Real time on purpose: what is measured is how often groups are
      // read while polls (every second) and deliveries interleave as in
      // production; a fake clock moved in steps would poll far more often
      // per delivered batch than a server does.
      await waitFor(
        () => hec.events.length >= events.length,
        60_000,
        "the backlog",
      );
    } finally {
      await spool.stop({ timeoutMs: 5000 });
    }
    const ratio = store.fetched / store.stored;
    assert.ok(
      ratio <= 4,
      `the spool fetched ${(store.fetched / 1e6).toFixed(1)} MB of outbox ` +
        `to deliver ${(store.stored / 1e6).toFixed(1)} MB stored (${
          ratio.toFixed(1)
        } times over)`,
    );
  } finally {
    kv.close();
  }
});
