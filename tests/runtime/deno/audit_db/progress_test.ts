import assert from "node:assert/strict";
import { progressLine } from "../../../../src/runtime/deno/audit_db/progress.ts";

Deno.test("progressLine gives rows done, rate and time left", () => {
  assert.equal(
    progressLine({ done: 50_000, total: 200_000, imported: 50_000 }, 2000),
    "import: 50000/200000 rows (25.0%), 25000 rows/s, ETA 6 s",
  );
  assert.equal(
    progressLine({ done: 10_000, total: 2_000_000, imported: 10_000 }, 1000),
    "import: 10000/2000000 rows (0.5%), 10000 rows/s, ETA 3 min 19 s",
  );
});
