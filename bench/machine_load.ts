/**
 * How busy the machine was around a benchmark run, so that a run disturbed by
 * other jobs is not taken for a result: the load average before and after,
 * and the CPU time that processes other than the benchmark's own used during
 * the run (from /proc: the machine's busy time minus that of the benchmark's
 * processes). Not a benchmark itself.
 *
 * @module
 */
import { report } from "./support.ts";

/**
 * Above this, the machine counts as busy: other runnable tasks on average,
 * over the whole machine (not per core). A quiet machine shows about 0.1.
 */
export const BUSY_THRESHOLD = 0.5;

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** One reading of the machine's and the benchmark's CPU time. */
export interface CpuReading {
  /** When it was read (`performance.now()`). */
  at: number;
  /** The 1-minute load average then. */
  load1: number;
  /** CPU time all processes had used, in ms (/proc/stat), or NaN. */
  machineMs: number;
  /** CPU time the benchmark's processes had used, in ms, or NaN. */
  ownMs: number;
}

/** What a run's two readings say. */
export interface LoadSummary {
  /** 1-minute load average before and after. */
  loadBefore: number;
  loadAfter: number;
  /** The part of `loadAfter` the run's own processes account for (estimated). */
  ownLoad: number;
  /** CPU time of the benchmark's processes and of all others, in ms. */
  ownCpuMs: number;
  otherCpuMs: number;
  /** Wall time between the readings, in ms. */
  wallMs: number;
  /** Why the machine counts as busy; empty when it was quiet. */
  busy: string[];
}

/** The 1-minute load average of the whole machine (needs --allow-sys). */
export function loadAverage1(): number {
  return Deno.loadavg()[0] ?? NaN;
}

/** `cat` of some /proc files (Deno reads /proc only with --allow-all). */
function readProc(paths: readonly string[]): string[] | undefined {
  try {
    const { stdout, success } = new Deno.Command("cat", {
      args: [...paths],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    if (!success) return undefined;
    return new TextDecoder().decode(stdout).split("\n");
  } catch {
    return undefined;
  }
}

/**
 * Reads the load average and the CPU time of the machine and of the
 * benchmark's processes: this one (all its threads) and `children` (still
 * running: read them before they exit).
 *
 * @param children Process ids of the benchmark's child processes.
 * @returns The reading; CPU times are NaN where there is no /proc.
 */
export function readCpu(children: readonly number[] = []): CpuReading {
  const load1 = loadAverage1();
  const pids = [Deno.pid, ...children];
  const lines = readProc(["/proc/stat", ...pids.map((p) => `/proc/${p}/stat`)]);
  const at = performance.now();
  let machineMs = NaN;
  let ownMs = NaN;
  if (lines !== undefined) {
    // "cpu  user nice system idle iowait irq softirq steal guest guest_nice":
    // busy is all but idle and iowait (guest time is already in user).
    const cpu = lines.find((line) => line.startsWith("cpu "));
    const f = cpu?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    if (f.length >= 8) {
      const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!;
      machineMs = busy * 1000 / TICKS_PER_SECOND;
    }
    let own = 0;
    const stats = lines.filter((line) => /^\d+ \(/.test(line));
    for (const stat of stats) {
      // After the command name (which may hold spaces): utime and stime are
      // fields 14 and 15 of the line, the 12th and 13th after ") ".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      own += Number(fields[11]) + Number(fields[12]);
    }
    if (stats.length === pids.length) ownMs = own * 1000 / TICKS_PER_SECOND;
  }
  return { at, load1, machineMs, ownMs };
}

/**
 * Compares two readings: how much CPU other processes used between them,
 * and whether the load before or after says the machine was busy.
 *
 * The load average after a run includes the run's own processes; their
 * part is estimated as their average number of busy CPUs (CPU time over wall
 * time) weighted by the 1-minute average's exponential decay over the run's
 * length, and left out of the verdict.
 *
 * @param before The reading before the run.
 * @param after The reading after it, with the same processes.
 * @returns The summary, with the reasons to call the machine busy.
 */
export function summarizeLoad(
  before: CpuReading,
  after: CpuReading,
): LoadSummary {
  const wallMs = after.at - before.at;
  const ownCpuMs = after.ownMs - before.ownMs;
  const otherCpuMs = after.machineMs - before.machineMs - ownCpuMs;
  const ownLoad = (ownCpuMs / wallMs) * (1 - Math.exp(-wallMs / 60_000));
  const busy: string[] = [];
  if (before.load1 > BUSY_THRESHOLD) {
    busy.push(`load average before ${before.load1.toFixed(2)}`);
  }
  if (!Number.isFinite(ownLoad)) {
    // Without /proc the run's own part is unknown: the load after is all
    // there is to go by.
    if (after.load1 > BUSY_THRESHOLD) {
      busy.push(`load average after ${after.load1.toFixed(2)}`);
    }
  } else if (after.load1 - ownLoad > BUSY_THRESHOLD) {
    busy.push(
      `load average after ${after.load1.toFixed(2)}, ${
        (after.load1 - ownLoad).toFixed(2)
      } without this run's own`,
    );
  }
  if (otherCpuMs / wallMs > BUSY_THRESHOLD) {
    busy.push(
      `other processes kept ${(otherCpuMs / wallMs).toFixed(2)} CPUs busy`,
    );
  }
  return {
    loadBefore: before.load1,
    loadAfter: after.load1,
    ownLoad,
    ownCpuMs,
    otherCpuMs,
    wallMs,
    busy,
  };
}

/**
 * The lines that say how busy the machine was, ending with a "BUSY MACHINE"
 * line when it was.
 *
 * @param summary What {@linkcode summarizeLoad} said.
 * @param cores The machine's logical CPUs, for the per-core figures.
 * @returns The lines, for the report.
 */
export function loadLines(
  summary: LoadSummary,
  cores: number = navigator.hardwareConcurrency,
): string[] {
  const perCore = (load: number): string => (load / cores).toFixed(2);
  const others = Math.max(0, summary.otherCpuMs);
  return [
    `machine load: 1-minute load average ${
      summary.loadBefore.toFixed(2)
    } before (${perCore(summary.loadBefore)} per core), ${
      summary.loadAfter.toFixed(2)
    } after (${perCore(summary.loadAfter)} per core; ${
      Number.isFinite(summary.ownLoad)
        ? `about ${summary.ownLoad.toFixed(2)} of it`
        : "unknown how much of it is"
    } this run's own processes), ${cores} cores`,
    Number.isFinite(summary.otherCpuMs)
      ? `CPU time over the run's ${
        (summary.wallMs / 1000).toFixed(1)
      } s: this run's processes ${
        (summary.ownCpuMs / 1000).toFixed(1)
      } s, other processes ${(others / 1000).toFixed(1)} s (${
        (others / summary.wallMs).toFixed(2)
      } CPUs on average)`
      : "CPU time of other processes: unknown (no /proc)",
    summary.busy.length > 0
      ? `BUSY MACHINE: figures not comparable (over ${BUSY_THRESHOLD} for the whole machine, not per core: ${
        summary.busy.join("; ")
      })`
      : `quiet machine: load before, load after without this run's own, and other processes' CPU all at most ${BUSY_THRESHOLD} for the whole machine`,
  ];
}

/**
 * Reports how busy the machine was (the lines of {@linkcode loadLines}).
 *
 * @param summary What {@linkcode summarizeLoad} said.
 */
export function reportLoad(summary: LoadSummary): void {
  for (const line of loadLines(summary)) report(line);
}
