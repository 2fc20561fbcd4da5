import assert from "node:assert/strict";
import { retryWhileBusy } from "../../src/spool/kv_retry.ts";
import { clockTest, FakeClock } from "../support/fake_clock.ts";

clockTest(
  "retryWhileBusy waits on the injected clock between tries of a busy store",
  async () => {
    const clock = new FakeClock(0);
    let calls = 0;
    const result = retryWhileBusy(
      () => {
        calls++;
        if (calls <= 2) return Promise.reject(new Error("database is locked"));
        return Promise.resolve("stored");
      },
      clock,
      () => 1,
    );
    let done = false;
    void result.then(() => done = true);
    // The first try failed: it waits 5 ms of the fake clock, not real time.
    assert.deepEqual(await clock.nextTimer(), 5);
    // Real time on purpose: 20 ms pass and no retry comes, which the
    // global setTimeout this replaced would have fired.
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(calls, 1);
    assert.equal(done, false);
    await clock.advance(5);
    // The second failed too: the wait doubles.
    assert.equal(calls, 2);
    assert.deepEqual(clock.pending, [10]);
    await clock.advance(10);
    assert.equal(await result, "stored");
    assert.equal(calls, 3);
  },
);

clockTest(
  "retryWhileBusy throws at once what is not a busy store",
  async () => {
    const clock = new FakeClock(0);
    let calls = 0;
    await assert.rejects(
      retryWhileBusy(
        () => {
          calls++;
          return Promise.reject(new Error("value too large"));
        },
        clock,
        () => 0,
      ),
      /value too large/,
    );
    assert.equal(calls, 1);
    assert.deepEqual(clock.pending, []);
  },
);

clockTest(
  "retryWhileBusy gives up after 50 retries with the store's error",
  async () => {
    const clock = new FakeClock(0);
    let calls = 0;
    const result = retryWhileBusy(
      () => {
        calls++;
        return Promise.reject(new Error("database is busy"));
      },
      clock,
      () => 0,
    );
    const failed = assert.rejects(result, /database is busy/);
    while (calls < 51) await clock.advance(200);
    await failed;
    assert.equal(calls, 51);
  },
);
