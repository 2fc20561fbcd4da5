import assert from "node:assert/strict";
import { Lease } from "../../src/spool/lease.ts";

const direct = <T>(operation: () => Promise<T>): Promise<T> => operation();

Deno.test("Lease.hold() lets one instance hold it until it expires, then another", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const a = new Lease(kv, ["lease", "splunk"], "a", 1000, direct);
    const b = new Lease(kv, ["lease", "splunk"], "b", 1000, direct);
    assert.equal(await a.hold(0), "held");
    assert.equal(await b.hold(10), "free_elsewhere");
    assert.equal(b.held, false);
    // a renews once two thirds of its time are gone, not before.
    assert.equal(await a.hold(200), "held");
    assert.equal(await a.hold(400), "held");
    assert.equal(await b.hold(1300), "free_elsewhere", "renewed at 400");
    // a stalls past its lease: b takes it, and a learns it lost it.
    assert.equal(await b.hold(1500), "held");
    assert.equal(await a.hold(1510), "lost");
    assert.equal(a.held, false);
  } finally {
    kv.close();
  }
});

Deno.test("Lease.hold() tells an instance that stalled past its lease that it lost it, even when the lease is free again", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const a = new Lease(kv, ["lease", "stall"], "a", 1000, direct);
    const b = new Lease(kv, ["lease", "stall"], "b", 1000, direct);
    assert.equal(await a.hold(0), "held");
    // a stalls; b takes the lease and stops in turn (its lease expires).
    assert.equal(await b.hold(1100), "held");
    // b may have sent what a had loaded: a must start over, not go on.
    assert.equal(await a.hold(2200), "lost");
    assert.equal(a.held, false);
    assert.equal(await a.hold(2210), "held");
  } finally {
    kv.close();
  }
});

Deno.test("Lease.release() lets another instance take it at once", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const a = new Lease(kv, ["lease", "es"], "a", 60_000, direct);
    const b = new Lease(kv, ["lease", "es"], "b", 60_000, direct);
    assert.equal(await a.hold(0), "held");
    await a.release();
    assert.equal(a.held, false);
    assert.equal(await b.hold(1), "held");
    // Releasing a lease not held changes nothing.
    await a.release();
    assert.equal(await b.hold(50_000), "held");
  } finally {
    kv.close();
  }
});

Deno.test("Lease.hold() refuses when another instance won the same race", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const a = new Lease(kv, ["lease", "dd"], "a", 1000, direct);
    const b = new Lease(kv, ["lease", "dd"], "b", 1000, direct);
    const results = await Promise.all([a.hold(0), b.hold(0)]);
    assert.deepEqual(results.toSorted(), ["free_elsewhere", "held"]);
  } finally {
    kv.close();
  }
});

Deno.test("Lease.release() runs its store operations through the busy-store retry, as hold() does", async () => {
  // Two processes on one SQLite file meet "database is locked" now and
  // then; a release that does not retry crashed a stopping server.
  const kv = await Deno.openKv(":memory:");
  try {
    let calls = 0;
    const counting = <T>(operation: () => Promise<T>): Promise<T> => {
      calls++;
      return operation();
    };
    const a = new Lease(kv, ["lease", "busy"], "a", 60_000, counting);
    assert.equal(await a.hold(0), "held");
    calls = 0;
    await a.release();
    assert.equal(calls, 2, "the read and the delete");
    const b = new Lease(kv, ["lease", "busy"], "b", 60_000, direct);
    assert.equal(await b.hold(1), "held");
  } finally {
    kv.close();
  }
});
