import assert from "node:assert/strict";
import { addCounters, emptyCounters } from "../../src/delivery/stats.ts";

Deno.test("addCounters sums every counter and weights the average latency by successful requests", () => {
  const total = emptyCounters();
  // A busy fast destination and a quiet slow one.
  addCounters(total, {
    ...emptyCounters(),
    eventsReceived: 900,
    eventsExported: 890,
    eventsFailed: 10,
    exportsTotal: 10,
    exportsSuccessful: 9,
    exportsFailed: 1,
    totalRetries: 2,
    avgLatencyMs: 10,
    eventsAged: 3,
  });
  addCounters(total, {
    ...emptyCounters(),
    eventsReceived: 100,
    eventsExported: 100,
    exportsTotal: 1,
    exportsSuccessful: 1,
    avgLatencyMs: 110,
  });
  assert.deepEqual(total, {
    eventsReceived: 1000,
    eventsExported: 990,
    eventsFailed: 10,
    exportsTotal: 11,
    exportsSuccessful: 10,
    exportsFailed: 1,
    totalRetries: 2,
    // (9 × 10 + 1 × 110) / 10, not (10 + 110) / 2.
    avgLatencyMs: 20,
    eventsAged: 3,
  });
  // A destination that never succeeded leaves the average alone.
  addCounters(total, { ...emptyCounters(), exportsTotal: 4, exportsFailed: 4 });
  assert.equal(total.avgLatencyMs, 20);
  assert.equal(total.exportsFailed, 5);
  const none = emptyCounters();
  addCounters(none, emptyCounters());
  assert.equal(none.avgLatencyMs, 0, "no request: 0, not NaN");
});
