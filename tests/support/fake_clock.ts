/**
 * A clock whose time moves only when a test says so, for asserting backoff
 * delays without waiting for them.
 *
 * @module
 */
import type { Clock } from "../../src/delivery/clock.ts";

interface Timer {
  at: number;
  callback: () => void;
}

/** Every fake clock made, so that a test's bound can release them. */
const made: FakeClock[] = [];

/** A manual clock: timers fire only in {@linkcode FakeClock.advance}. */
export class FakeClock implements Clock {
  #now: number;
  #timers = new Map<number, Timer>();
  #next = 1;

  /**
   * Starts at `start` epoch ms; by default the real time, so that fixtures
   * dated around now are neither too old nor too far ahead for Datadog.
   */
  constructor(start: number = Date.now()) {
    this.#now = start;
    made.push(this);
  }

  #released: ReturnType<typeof setTimeout> | undefined;

  /**
   * Lets fake time run on its own: every real millisecond the next timer
   * fires (time jumps to it), so that waits nothing else would advance end.
   * Only {@linkcode boundedTest} calls it, once a test is late.
   */
  release(): void {
    if (this.#released !== undefined) return;
    const tick = () => {
      const due =
        [...this.#timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (due) {
        this.#timers.delete(due[0]);
        this.#now = Math.max(this.#now, due[1].at);
        due[1].callback();
      }
      this.#released = setTimeout(tick, 1);
    };
    this.#released = setTimeout(tick, 1);
  }

  /** Ends {@linkcode release}: time moves only when a test says so again. */
  hold(): void {
    clearTimeout(this.#released);
    this.#released = undefined;
  }

  /** The fake time. */
  now(): number {
    return this.#now;
  }

  /** Records a timer; it fires when the fake time reaches it. */
  setTimeout(callback: () => void, delayMs: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, delayMs), callback });
    return id;
  }

  /** Forgets a timer. */
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Delays from now of the pending timers, shortest first. */
  get pending(): number[] {
    return [...this.#timers.values()].map((t) => t.at - this.#now).sort((
      a,
      b,
    ) => a - b);
  }

  /** Moves time by `ms`, firing due timers in order and letting promises run between them. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    while (true) {
      const due = [...this.#timers.entries()].filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].callback();
      await settle();
    }
    this.#now = end;
    await settle();
  }

  /**
   * Waits in real time (up to `timeoutMs`) until a timer is pending, and
   * returns the shortest pending delay.
   */
  async nextTimer(timeoutMs = 5000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.#timers.size === 0) {
      if (Date.now() > deadline) throw new Error("no timer was set in time");
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return this.pending[0]!;
  }
}

/** Lets pending promise chains and I/O callbacks run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Polls `check` in real time until it is true, or fails after `timeoutMs`. */
export async function waitFor(
  check: () => boolean,
  timeoutMs = 5000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Wraps a test body that uses fake clocks so that it fails within
 * `boundMs` of real time instead of hanging. A failed assertion makes
 * `await using` stop an integrator, and `stop()` can wait on a fake-clock
 * timer (a backoff, a deadline) that no test step will advance any more;
 * a retry regression can leave the body itself waiting the same way. Past
 * the bound, the fake clocks made during the test run on their own, so
 * those waits end and resources close, and the test fails: with the
 * body's own error when it has one (the assertion that failed), else with
 * an error saying the test was late.
 *
 * @param body The test body.
 * @param boundMs Real time the body may take.
 * @returns The bounded test function, for `Deno.test`.
 */
export function boundedTest(
  body: () => Promise<void>,
  boundMs = 10_000,
): () => Promise<void> {
  return async () => {
    const first = made.length;
    const started = Date.now();
    const outcome = body().then(
      () => ({ error: undefined as unknown, failed: false }),
      (error: unknown) => ({ error, failed: true }),
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = (ms: number) =>
      new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), ms);
      });
    let result = await Promise.race([outcome, late(boundMs)]);
    clearTimeout(timer);
    if (result !== "late") {
      if (result.failed) throw result.error;
      return;
    }
    const clocks = made.slice(first);
    for (const clock of clocks) clock.release();
    try {
      result = await Promise.race([outcome, late(boundMs)]);
    } finally {
      clearTimeout(timer);
      for (const clock of clocks) clock.hold();
    }
    const took = Date.now() - started;
    if (result !== "late" && result.failed) throw result.error;
    throw new Error(
      `the test did not finish within ${boundMs} ms of real time (took ${took} ms): ` +
        "it waited on a fake-clock timer that nothing advanced",
    );
  };
}

/**
 * `Deno.test` for a test that uses fake clocks, bounded by
 * {@linkcode boundedTest}.
 *
 * @param name The test's name.
 * @param body The test body.
 */
export function clockTest(name: string, body: () => Promise<void>): void {
  Deno.test(name, boundedTest(body));
}
