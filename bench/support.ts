/**
 * Shared pieces of the benchmark scripts (`bench/peers`, `bench/e2e`,
 * `bench/ingest`): the receiver in its own process, realistic events,
 * command-line flags and the report header. Not a benchmark itself.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import {
  type AuditEventInput,
  parseAuditEvent,
} from "../src/events/audit_event.ts";
import { type SIEMEvent, toSIEMEvent } from "../src/events/siem_event.ts";
import { realisticEvents } from "../tests/fixtures/events.ts";
import type { ReceiverCounts, ReceiverLatencies } from "./peers/receiver.ts";

/** The receiver of `bench/peers/receiver.ts`, running in a child process. */
export interface ReceiverProcess extends AsyncDisposable {
  /** Its base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Its process id (for CPU accounting). */
  pid: number;
  /** What it has counted since the last reset. */
  counts(): Promise<ReceiverCounts>;
  /** Zeroes its counts; `latency` also starts recording latencies. */
  reset(latency?: boolean): Promise<void>;
  /** The latency percentiles recorded since the last reset. */
  latencies(): Promise<ReceiverLatencies>;
  /** Stops the process and waits for it to exit. */
  close(): Promise<void>;
}

/** The path of a file beside this one, for child processes. */
export function benchPath(relative: string): string {
  return decodeURIComponent(new URL(relative, import.meta.url).pathname);
}

/**
 * Reads the first line a child prints on stdout, then keeps draining the
 * rest so that the child never blocks on a full pipe.
 *
 * @param stream The child's stdout.
 * @returns The first line, and a promise that ends with the stream.
 */
export async function firstLine(
  stream: ReadableStream<Uint8Array>,
): Promise<{ line: string; rest: Promise<string> }> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) break;
    text += value;
  }
  const newline = text.indexOf("\n");
  const line = newline === -1 ? text : text.slice(0, newline);
  const rest = (async (): Promise<string> => {
    let tail = newline === -1 ? "" : text.slice(newline + 1);
    while (true) {
      const { done, value } = await reader.read();
      if (done) return tail;
      tail += value;
    }
  })();
  return { line: line.trim(), rest };
}

/**
 * Starts `bench/peers/receiver.ts` in a child Deno process on 127.0.0.1 and
 * waits for its URL. The child also exits if this process dies (its stdin
 * closes).
 *
 * @returns The running receiver.
 */
export async function startReceiver(): Promise<ReceiverProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net=127.0.0.1",
      benchPath("./peers/receiver.ts"),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const stdin = child.stdin.getWriter();
  const { line: url, rest } = await firstLine(child.stdout);
  if (!url.startsWith("http://")) {
    child.kill("SIGKILL");
    await child.status;
    throw new Error(
      `Cannot start the receiver: it printed ${JSON.stringify(url)}`,
    );
  }
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    closed ??= (async (): Promise<void> => {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // Already gone.
        }
      }, 5000);
      await child.status;
      clearTimeout(timer);
      await stdin.close().catch(() => {});
      await rest;
    })();
  const get = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${url}${path}`, init);
    if (!response.ok) {
      throw new Error(`receiver ${path}: HTTP ${response.status}`);
    }
    return await response.json() as T;
  };
  return {
    url,
    pid: child.pid,
    counts: (): Promise<ReceiverCounts> => get("/_bench/counts"),
    reset: async (latency = false): Promise<void> => {
      await get(`/_bench/reset${latency ? "?latency=1" : ""}`, {
        method: "POST",
      });
    },
    latencies: (): Promise<ReceiverLatencies> => get("/_bench/latencies"),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Said in the header of a `--short` run. */
export const SHORT_NOTE =
  " (--short: sizes too small to measure anything; this run only checks that the whole path works)";

/** Whether a flag such as `--short` was given. */
export function hasFlag(name: string): boolean {
  return Deno.args.includes(name);
}

/** The value of `--name=value`, or `fallback`. */
export function numberOption(name: string, fallback: number): number {
  const prefix = `${name}=`;
  const arg = Deno.args.find((a) => a.startsWith(prefix));
  if (arg === undefined) return fallback;
  const value = Number(arg.slice(prefix.length));
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number, got ${arg}`);
  }
  return value;
}

/** `count` realistic events (the test fixture's), validated and normalized. */
export function realisticSIEMEvents(count: number, seed = 1): SIEMEvent[] {
  return realisticEvents(count, seed).map((event) =>
    toSIEMEvent(parseAuditEvent(event))
  );
}

/**
 * The same inputs with their timestamps moved so that the latest is `now`,
 * spacing kept: the fixture's fixed dates would grow older than a
 * platform's age limit (Datadog: 18 h) and be dead-lettered.
 */
export function rebaseTimestamps(
  inputs: readonly AuditEventInput[],
  now: number = Date.now(),
): AuditEventInput[] {
  const times = inputs.map((input) => Date.parse(String(input.timestamp)));
  const latest = Math.max(...times.filter(Number.isFinite));
  return inputs.map((input, i) =>
    Number.isFinite(times[i]!)
      ? {
        ...input,
        timestamp: new Date(times[i]! - latest + now).toISOString(),
      }
      : input
  );
}

/** Splits a list into batches of `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    batches.push(items.slice(i, i + size));
  }
  return batches;
}

/**
 * Lets the event loop run (I/O, answers, timers) and comes back at once:
 * `setTimeout(0)` in a loop is clamped to a few milliseconds per turn.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[middle]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A rate per second, rounded, with thousands separators. */
export function perSecond(count: number, ms: number): string {
  return Math.round(count / (ms / 1000)).toLocaleString("en-US");
}

/** A number with thousands separators. */
export function thousands(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

/**
 * The CPU model from /proc/cpuinfo (read through `grep`: Deno reads /proc
 * only with --allow-all), or "unknown CPU".
 */
export function cpuModel(): string {
  try {
    const { stdout } = new Deno.Command("grep", {
      args: ["-m1", "model name", "/proc/cpuinfo"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const line = new TextDecoder().decode(stdout);
    return line.split(":")[1]?.trim() || "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

/**
 * CPU time used so far by this process's main thread (the JavaScript
 * thread), in ms, from /proc (read through `cat`: Deno reads /proc only
 * with --allow-all); `NaN` where there is no /proc.
 */
export function mainThreadCpuMs(): number {
  try {
    const { stdout, success } = new Deno.Command("cat", {
      args: [`/proc/${Deno.pid}/task/${Deno.pid}/stat`],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    if (!success) return NaN;
    const stat = new TextDecoder().decode(stdout);
    // Fields after the command name (which may hold spaces): state is
    // field 3, utime and stime are fields 14 and 15, in clock ticks.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks * 10; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/** One line naming the date, machine and runtime, for the report. */
export function machineLine(): string {
  return `${
    new Date().toISOString()
  } | ${cpuModel()}, ${navigator.hardwareConcurrency} cores | Deno ${Deno.version.deno}, V8 ${Deno.version.v8}`;
}

/** Writes a report line (the benchmarks' output is their report). */
export function report(line = ""): void {
  // deno-lint-ignore no-console
  console.log(line);
}

/** Pads a table cell. */
export function cell(text: string | number, width: number): string {
  const s = String(text);
  return s.length >= width ? s : s + " ".repeat(width - s.length);
}
