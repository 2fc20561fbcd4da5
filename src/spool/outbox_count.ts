/**
 * How many events a destination's outbox holds, as this instance knows it:
 * read from the store now and then, and moved by what it stores and
 * records in between.
 *
 * @module
 */

/**
 * A destination's outbox count. A read may or may not see what this
 * instance stored or recorded while it was under way, so the count errs
 * high, never low, until the next read: counted short, a stored group
 * looked delivered (the soak stopped before sending it) and a stop's drain
 * gave up on it. Stores during a read are added to what it read; a record
 * written across a read's end is not counted off.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OutboxCount } from "./outbox_count.ts";
 *
 * const count = new OutboxCount();
 * const read = count.beginRead();
 * count.stored(10); // committed while the store was read
 * count.read(0, read); // the read did not see it
 * assert.equal(count.value, 10);
 * ```
 */
export class OutboxCount {
  /** The events, as last counted. */
  value = 0;
  #stored = 0;
  #reads = 0;

  /**
   * Notes where things stood as a read of the store begins.
   *
   * @returns What {@linkcode OutboxCount.read} and
   * {@linkcode OutboxCount.countOff} take.
   */
  beginRead(): number {
    return this.#stored;
  }

  /**
   * Takes a read of the store.
   *
   * @param read The count read.
   * @param storedBefore What {@linkcode OutboxCount.beginRead} returned.
   */
  read(read: number, storedBefore: number): void {
    this.value = read + this.#stored - storedBefore;
    this.#reads++;
  }

  /**
   * This instance stored events.
   *
   * @param count How many.
   */
  stored(count: number): void {
    this.value += count;
    this.#stored += count;
  }

  /**
   * Notes where things stood as a record's transaction begins.
   *
   * @returns What {@linkcode OutboxCount.countOff} takes.
   */
  beginRecord(): number {
    return this.#reads;
  }

  /**
   * A record counted events off the store's count.
   *
   * @param fresh How many.
   * @param readsBefore What {@linkcode OutboxCount.beginRecord} returned.
   */
  countOff(fresh: number, readsBefore: number): void {
    if (readsBefore !== this.#reads) return;
    this.value = Math.max(0, this.value - fresh);
  }
}
