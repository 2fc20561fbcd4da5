import assert from "node:assert/strict";
import { FakeClock } from "./fake_clock.ts";

/** Every test file under tests/, with its path relative to tests/. */
async function* testSources(
  dir: URL,
  prefix = "",
): AsyncGenerator<[string, string]> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory && entry.name !== "fixtures") {
      yield* testSources(
        new URL(`${entry.name}/`, dir),
        `${prefix}${entry.name}/`,
      );
    } else if (entry.isFile && entry.name.endsWith(".ts")) {
      yield [
        `${prefix}${entry.name}`,
        await Deno.readTextFile(new URL(entry.name, dir)),
      ];
    }
  }
}

// FakeClock.advance() lets promises run between timers through a real
// zero-delay timer; a call that is not awaited leaves that timer pending when
// the test ends, and the op sanitizer then fails the test only on a busy
// machine (it failed CI once, in tests/ingest/producer_tokens_test.ts).
Deno.test("every FakeClock.advance() in the tests is awaited or returned", async () => {
  const floating: string[] = [];
  for await (
    const [path, source] of testSources(new URL("../", import.meta.url))
  ) {
    if (!source.includes("FakeClock")) continue;
    source.split("\n").forEach((line, index) => {
      // A statement that starts with the call: `clock.advance(...)`,
      // `this.#clock.advance(...)`; string literals and declarations do not.
      if (/^\s*[\w.#]+\.advance\(/.test(line)) {
        floating.push(`${path}:${index + 1}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(floating, [], "advance() calls that are not awaited");
});

Deno.test("FakeClock.advance() fires due timers in order and moves time to the end", async () => {
  const clock = new FakeClock(1_000);
  const fired: [string, number][] = [];
  clock.setTimeout(() => fired.push(["late", clock.now()]), 300);
  clock.setTimeout(() => fired.push(["early", clock.now()]), 100);
  clock.setTimeout(() => fired.push(["never", clock.now()]), 900);
  await clock.advance(500);
  assert.deepEqual(fired, [["early", 1_100], ["late", 1_300]]);
  assert.equal(clock.now(), 1_500);
});
