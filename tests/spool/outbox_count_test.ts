import assert from "node:assert/strict";
import fc from "npm:fast-check@4.11.0";
import { OutboxCount } from "../../src/spool/outbox_count.ts";
import { fcParams } from "../properties/_fc_params.ts";

Deno.test("OutboxCount adds what was stored while a read was under way", () => {
  const count = new OutboxCount();
  const before = count.beginRead();
  count.stored(10);
  count.read(0, before);
  assert.equal(count.value, 10);
  // A read that saw it counts it twice until the next read: high, not low.
  const again = count.beginRead();
  count.stored(5);
  count.read(15, again);
  assert.equal(count.value, 20);
  count.read(15, count.beginRead());
  assert.equal(count.value, 15);
});

Deno.test("OutboxCount does not count off a record written across a read's end", () => {
  const count = new OutboxCount();
  count.stored(10);
  // The record commits (the store now holds 0), a read sees that, then the
  // record's answer arrives: counting it off again would leave -10 (0).
  const record = count.beginRecord();
  count.read(0, count.beginRead());
  count.stored(10); // the store holds 10 again
  count.countOff(10, record);
  assert.equal(count.value, 10);
  // With no read in between, a record counts off.
  const next = count.beginRecord();
  count.countOff(4, next);
  assert.equal(count.value, 6);
});

// Any interleaving of stores, records and reads of the store: the count is
// never below what the store holds (less what is committed but not yet
// reported), and a read with nothing under way makes it exact.
Deno.test("OutboxCount never counts below the store, whatever the interleaving", () => {
  type Op =
    | { kind: "store"; n: number; phase: 0 | 1 }
    | { kind: "record"; n: number; phase: 0 | 1 | 2; token?: number }
    | { kind: "read"; phase: 0 | 1 | 2; before?: number; seen?: number };
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(3), fc.integer({ min: 1, max: 50 })), {
        minLength: 1,
        maxLength: 80,
      }),
      (steps) => {
        const count = new OutboxCount();
        let store = 0;
        const active: Op[] = [];
        let reported = 0; // stores committed, not yet reported
        const step = (op: Op): void => {
          if (op.kind === "store") {
            if (op.phase === 0) {
              store += op.n;
              reported += op.n;
              op.phase = 1;
            } else {
              count.stored(op.n);
              reported -= op.n;
              active.splice(active.indexOf(op), 1);
            }
          } else if (op.kind === "record") {
            if (op.phase === 0) {
              op.token = count.beginRecord();
              op.phase = 1;
            } else if (op.phase === 1) {
              // Only what is stored and not already being recorded.
              op.n = Math.min(op.n, Math.max(0, store));
              store -= op.n;
              op.phase = 2;
            } else {
              count.countOff(op.n, op.token!);
              active.splice(active.indexOf(op), 1);
            }
          } else if (op.phase === 0) {
            op.before = count.beginRead();
            op.phase = 1;
          } else if (op.phase === 1) {
            op.seen = store;
            op.phase = 2;
          } else {
            count.read(op.seen!, op.before!);
            active.splice(active.indexOf(op), 1);
          }
        };
        for (const [choice, n] of steps) {
          if (choice === 0 || active.length === 0) {
            const kinds = ["store", "record", "read"] as const;
            const kind = kinds[n % 3]!;
            const op: Op = kind === "read"
              ? { kind, phase: 0 }
              : { kind, n, phase: 0 };
            active.push(op);
            step(op);
          } else step(active[(n + choice) % active.length]!);
          assert.ok(
            count.value + reported >= store,
            `${count.value} + ${reported} < ${store}`,
          );
        }
        while (active.length > 0) step(active[0]!);
        assert.ok(count.value >= store);
        count.read(store, count.beginRead());
        assert.equal(count.value, store);
      },
    ),
    fcParams(300),
  );
});
