import assert from "node:assert/strict";
import { backoffDelayMs } from "../../src/delivery/backoff.ts";

const settings = { retryDelayMs: 1000, maxRetryDelayMs: 60_000 };
const noJitter = (): number => 0;

Deno.test("backoffDelayMs() doubles the delay on each attempt", () => {
  assert.deepEqual(
    [0, 1, 2, 3].map((attempt) => backoffDelayMs(attempt, settings, noJitter)),
    [1000, 2000, 4000, 8000],
  );
});

Deno.test("backoffDelayMs() starts from retryDelayMs", () => {
  assert.equal(
    backoffDelayMs(0, { retryDelayMs: 250, maxRetryDelayMs: 60_000 }, noJitter),
    250,
  );
  assert.equal(
    backoffDelayMs(2, { retryDelayMs: 250, maxRetryDelayMs: 60_000 }, noJitter),
    1000,
  );
});

Deno.test("backoffDelayMs() caps the delay at maxRetryDelayMs", () => {
  const capped = { retryDelayMs: 1000, maxRetryDelayMs: 5000 };
  assert.equal(backoffDelayMs(2, capped, noJitter), 4000);
  assert.equal(backoffDelayMs(3, capped, noJitter), 5000);
  assert.equal(backoffDelayMs(10, capped, noJitter), 5000);
  assert.equal(backoffDelayMs(6, settings, noJitter), 60_000);
});

Deno.test("backoffDelayMs() jitter shortens the delay by half at most", () => {
  assert.equal(backoffDelayMs(2, settings, () => 0.5), 3000);
  const almostHalf = backoffDelayMs(3, settings, () => 0.999);
  assert.ok(almostHalf >= 4000, `${almostHalf} is below half of 8000`);
  assert.ok(almostHalf < 4100, `${almostHalf} is not close to half of 8000`);
  assert.equal(almostHalf, 4004);
});

Deno.test("backoffDelayMs() applies the jitter after the cap", () => {
  const capped = { retryDelayMs: 1000, maxRetryDelayMs: 5000 };
  assert.equal(backoffDelayMs(8, capped, () => 0.5), 3750);
});

Deno.test("backoffDelayMs() stays between half and all of the delay for any random value", () => {
  for (let i = 0; i < 100; i++) {
    const r = i / 100;
    const delay = backoffDelayMs(4, settings, () => r);
    assert.ok(delay > 8000 && delay <= 16000, `${r} gave ${delay}`);
    assert.ok(Number.isInteger(delay));
  }
});

Deno.test("backoffDelayMs() uses the requested delay instead of the computed one", () => {
  assert.equal(backoffDelayMs(0, settings, noJitter, 7000), 7000);
  assert.equal(backoffDelayMs(5, settings, () => 0.9, 7000), 7000);
  assert.equal(backoffDelayMs(0, settings, noJitter, 0), 0);
});

Deno.test("backoffDelayMs() does not draw jitter for a requested delay", () => {
  let draws = 0;
  backoffDelayMs(1, settings, () => {
    draws++;
    return 0.5;
  }, 3000);
  assert.equal(draws, 0);
});

Deno.test("backoffDelayMs() caps the requested delay at maxRetryDelayMs", () => {
  assert.equal(backoffDelayMs(0, settings, noJitter, 3_600_000), 60_000);
});

Deno.test("backoffDelayMs() turns a negative requested delay into 0", () => {
  assert.equal(backoffDelayMs(3, settings, noJitter, -5000), 0);
});

Deno.test("backoffDelayMs() stays finite for large attempt numbers", () => {
  const max = { retryDelayMs: 60_000, maxRetryDelayMs: 3_600_000 };
  for (
    const attempt of [31, 1024, 1_000_000, Number.MAX_SAFE_INTEGER, Infinity]
  ) {
    const delay = backoffDelayMs(attempt, max, noJitter);
    assert.equal(delay, 3_600_000, `attempt ${attempt} gave ${delay}`);
    assert.equal(
      backoffDelayMs(attempt, max, () => 0.5),
      2_700_000,
      `attempt ${attempt}`,
    );
  }
});
