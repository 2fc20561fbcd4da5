/**
 * A first-in first-out queue that can also put items back at its front.
 *
 * @module
 */

/**
 * A FIFO queue with O(1) push and shift, and a cheap put-back at the front.
 * It also keeps the total weight of its items (such as their bytes).
 */
export class EventQueue<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  #weigh: (item: T) => number;
  #weight = 0;

  /**
   * Creates an empty queue.
   *
   * @param weigh The weight of an item, summed in {@linkcode weight}; default 0.
   */
  constructor(weigh: (item: T) => number = () => 0) {
    this.#weigh = weigh;
  }

  /** How many items are queued. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** The total weight of the queued items. */
  get weight(): number {
    return this.#weight;
  }

  /** Adds an item at the back. */
  push(item: T): void {
    this.#items.push(item);
    this.#weight += this.#weigh(item);
  }

  /** The item at the front, without removing it. */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /** Removes and returns the item at the front. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head] as T;
    this.#items[this.#head++] = undefined;
    this.#weight -= this.#weigh(item);
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
      this.#weight = 0;
    } else if (this.#head >= 4096 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Puts items back at the front, keeping their order. */
  unshiftAll(items: readonly T[]): void {
    for (const item of items) this.#weight += this.#weigh(item);
    if (items.length <= this.#head) {
      this.#head -= items.length;
      for (let i = 0; i < items.length; i++) {
        this.#items[this.#head + i] = items[i];
      }
    } else {
      this.#items = [...items, ...this.#items.slice(this.#head)];
      this.#head = 0;
    }
  }

  /** A copy of the queued items, front first. */
  toArray(): T[] {
    return this.#items.slice(this.#head) as T[];
  }
}
