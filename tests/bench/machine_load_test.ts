/**
 * The benchmarks' busy-machine verdict (`bench/machine_load.ts`): a run on a
 * machine that other jobs kept busy says "BUSY MACHINE: figures not
 * comparable", and a quiet run does not, even though the load average after
 * a run always includes the run's own processes.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type CpuReading,
  loadLines,
  summarizeLoad,
} from "../../bench/machine_load.ts";

const BUSY = "BUSY MACHINE: figures not comparable";

/** Two readings 120 s apart; the run's own processes kept 1.25 CPUs busy. */
function readings(
  loadBefore: number,
  loadAfter: number,
  otherCpuMs: number,
): [CpuReading, CpuReading] {
  const ownCpuMs = 150_000;
  return [
    { at: 0, load1: loadBefore, machineMs: 1_000_000, ownMs: 500 },
    {
      at: 120_000,
      load1: loadAfter,
      machineMs: 1_000_000 + ownCpuMs + otherCpuMs,
      ownMs: 500 + ownCpuMs,
    },
  ];
}

Deno.test("a quiet run is not called busy: the run's own part of the load after is left out", () => {
  // 1.25 CPUs for 120 s weigh about 1.08 in the 1-minute load average.
  const summary = summarizeLoad(...readings(0.05, 1.2, 6_000));
  assert.equal(summary.otherCpuMs, 6_000);
  assert.ok(Math.abs(summary.ownLoad - 1.25 * (1 - Math.exp(-2))) < 1e-9);
  assert.deepEqual(summary.busy, []);
  const lines = loadLines(summary, 2);
  assert.ok(!lines.some((line) => line.includes(BUSY)), lines.join("\n"));
  assert.match(lines[0]!, /0\.05 before \(0\.03 per core\), 1\.20 after/);
  assert.match(lines[1]!, /other processes 6\.0 s \(0\.05 CPUs on average\)/);
});

Deno.test("a load average over 0.5 before the run makes it a busy machine", () => {
  const summary = summarizeLoad(...readings(0.8, 1.2, 6_000));
  assert.equal(summary.busy.length, 1);
  const last = loadLines(summary, 2).at(-1)!;
  assert.ok(last.startsWith(BUSY), last);
  assert.match(last, /whole machine, not per core: load average before 0\.80/);
});

Deno.test("a load average after the run over 0.5 beyond the run's own makes it a busy machine", () => {
  const summary = summarizeLoad(...readings(0.05, 1.8, 6_000));
  const last = loadLines(summary, 2).at(-1)!;
  assert.ok(last.startsWith(BUSY), last);
  assert.match(last, /load average after 1\.80, 0\.72 without this run's own/);
});

Deno.test("other processes using over half a CPU during the run make it a busy machine", () => {
  // 72 s of CPU over 120 s: 0.6 CPUs; the load averages alone look quiet.
  const summary = summarizeLoad(...readings(0.05, 1.2, 72_000));
  const last = loadLines(summary, 2).at(-1)!;
  assert.ok(last.startsWith(BUSY), last);
  assert.match(last, /other processes kept 0\.60 CPUs busy/);
});

Deno.test("without /proc the verdict rests on the load averages", () => {
  const [before, after] = readings(0.8, 0.9, 0);
  const summary = summarizeLoad(
    { ...before, machineMs: NaN, ownMs: NaN },
    { ...after, machineMs: NaN, ownMs: NaN },
  );
  const lines = loadLines(summary, 2);
  assert.equal(lines[1], "CPU time of other processes: unknown (no /proc)");
  assert.ok(lines.at(-1)!.startsWith(BUSY));
  assert.match(lines[0]!, /unknown how much of it is this run's own/);
  assert.match(
    lines.at(-1)!,
    /load average before 0\.80; load average after 0\.90\)$/,
  );
});
