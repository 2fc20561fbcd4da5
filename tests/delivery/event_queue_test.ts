import assert from "node:assert/strict";
import { EventQueue } from "../../src/delivery/event_queue.ts";

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function drain<T>(queue: EventQueue<T>): T[] {
  const items: T[] = [];
  while (queue.length > 0) items.push(queue.shift() as T);
  return items;
}

Deno.test("EventQueue starts empty", () => {
  const queue = new EventQueue<string>();
  assert.equal(queue.length, 0);
  assert.deepEqual(queue.toArray(), []);
  assert.equal(queue.peek(), undefined);
});

Deno.test("EventQueue.shift() returns items first in, first out", () => {
  const queue = new EventQueue<string>();
  queue.push("a");
  queue.push("b");
  queue.push("c");
  assert.equal(queue.length, 3);
  assert.equal(queue.shift(), "a");
  assert.equal(queue.shift(), "b");
  queue.push("d");
  assert.equal(queue.shift(), "c");
  assert.equal(queue.shift(), "d");
  assert.equal(queue.length, 0);
});

Deno.test("EventQueue.peek() returns the front item without removing it", () => {
  const queue = new EventQueue<number>();
  queue.push(1);
  queue.push(2);
  assert.equal(queue.peek(), 1);
  assert.equal(queue.peek(), 1);
  assert.equal(queue.length, 2);
  queue.shift();
  assert.equal(queue.peek(), 2);
});

Deno.test("EventQueue.shift() on an empty queue returns undefined", () => {
  const queue = new EventQueue<number>();
  assert.equal(queue.shift(), undefined);
  assert.equal(queue.length, 0);
  queue.push(1);
  queue.shift();
  assert.equal(queue.shift(), undefined);
  assert.equal(queue.length, 0);
  queue.push(2);
  assert.equal(queue.length, 1);
  assert.equal(queue.shift(), 2);
});

Deno.test("EventQueue.unshiftAll() puts items back in order where shifted items were", () => {
  const queue = new EventQueue<number>();
  for (const n of range(0, 10)) queue.push(n);
  const taken = [queue.shift(), queue.shift(), queue.shift(), queue.shift()];
  assert.deepEqual(taken, [0, 1, 2, 3]);
  queue.unshiftAll([1, 2, 3]);
  assert.equal(queue.length, 9);
  assert.equal(queue.peek(), 1);
  assert.deepEqual(queue.toArray(), range(1, 10));
  assert.deepEqual(drain(queue), range(1, 10));
});

Deno.test("EventQueue.unshiftAll() puts back more items than were shifted, in order", () => {
  const queue = new EventQueue<string>();
  queue.push("x");
  queue.push("y");
  queue.push("z");
  queue.shift();
  queue.unshiftAll(["a", "b", "c"]);
  assert.equal(queue.length, 5);
  assert.deepEqual(queue.toArray(), ["a", "b", "c", "y", "z"]);
  assert.deepEqual(drain(queue), ["a", "b", "c", "y", "z"]);
});

Deno.test("EventQueue.unshiftAll() into an empty queue", () => {
  const queue = new EventQueue<number>();
  queue.unshiftAll([1, 2]);
  assert.deepEqual(queue.toArray(), [1, 2]);
  queue.unshiftAll([]);
  assert.deepEqual(queue.toArray(), [1, 2]);
  queue.push(3);
  assert.deepEqual(drain(queue), [1, 2, 3]);
});

Deno.test("EventQueue keeps its order after compacting past 4096 shifts", () => {
  const queue = new EventQueue<number>();
  for (const n of range(0, 10_000)) queue.push(n);
  for (const expected of range(0, 6000)) {
    assert.equal(queue.shift(), expected);
  }
  assert.equal(queue.length, 4000);
  queue.unshiftAll([-3, -2, -1]);
  assert.equal(queue.length, 4003);
  assert.equal(queue.peek(), -3);
  assert.deepEqual(queue.toArray(), [-3, -2, -1, ...range(6000, 10_000)]);
  queue.push(10_000);
  assert.deepEqual(drain(queue), [-3, -2, -1, ...range(6000, 10_001)]);
});

Deno.test("EventQueue.unshiftAll() keeps order right after a compaction", () => {
  const queue = new EventQueue<number>();
  for (const n of range(0, 10_000)) queue.push(n);
  // The 5000th shift compacts, leaving no room before the head.
  for (let i = 0; i < 5000; i++) queue.shift();
  queue.unshiftAll([4997, 4998, 4999]);
  assert.equal(queue.length, 5003);
  assert.deepEqual(queue.toArray(), range(4997, 10_000));
});

Deno.test("EventQueue.toArray() returns a copy front first", () => {
  const queue = new EventQueue<number>();
  for (const n of [1, 2, 3]) queue.push(n);
  queue.shift();
  const copy = queue.toArray();
  assert.deepEqual(copy, [2, 3]);
  copy.push(99);
  copy[0] = -1;
  assert.deepEqual(queue.toArray(), [2, 3]);
  assert.equal(queue.length, 2);
});

Deno.test("EventQueue.weight sums the weights of the queued items", () => {
  const queue = new EventQueue<string>((item) => item.length);
  assert.equal(queue.weight, 0);
  queue.push("abc");
  queue.push("de");
  assert.equal(queue.weight, 5);
  const first = queue.shift()!;
  assert.equal(queue.weight, 2);
  queue.unshiftAll([first, "fghij"]);
  assert.equal(queue.weight, 10);
  drain(queue);
  assert.equal(queue.weight, 0);
  assert.equal(new EventQueue<string>().weight, 0);
});
