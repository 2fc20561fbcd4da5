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
