/**
 * Summarizes a V8 CPU profile (`deno run --cpu-prof`): where the samples
 * were taken, by function (self and inclusive time) and by source file.
 *
 * Run: `deno run --allow-read bench/cpuprofile_summary.ts FILE.cpuprofile [--top=N]
 * [--window=FROM-TO]`; `--window` keeps the samples taken between FROM and TO
 * seconds after the profile started (a soak's load, not its drain).
 *
 * @module
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Time spent, in ms, per key. */
export type Tally = Map<string, number>;

/** The summary of one profile. */
export interface ProfileSummary {
  /** Profiled time in ms. */
  totalMs: number;
  /** Self time by function. */
  self: Tally;
  /** Inclusive time by function (each sample counted once per function). */
  inclusive: Tally;
  /** Self time by source file or category. */
  files: Tally;
}

function shortUrl(url: string): string {
  if (url === "") return "(native)";
  const npm = url.match(/registry\.npmjs\.org\/(.+?)\/[\d.]+\//);
  if (npm) return `npm:${npm[1]}`;
  const local = url.match(/\/((?:src|bench|tests)\/.+)$/);
  if (local) return local[1]!;
  if (url.startsWith("ext:") || url.startsWith("node:")) {
    return url.replace(/\/[^/]*$/, "");
  }
  return url.replace(/^.*\//, "");
}

function functionKey(frame: CallFrame): string {
  const name = frame.functionName || "(anonymous)";
  if (frame.url === "") return name;
  return `${name} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
}

function add(tally: Tally, key: string, ms: number): void {
  tally.set(key, (tally.get(key) ?? 0) + ms);
}

/** Part of a profile, in ms after it started. */
export interface ProfileWindow {
  /** First time kept. */
  fromMs: number;
  /** Last time kept. */
  toMs: number;
}

/**
 * Summarizes a profile.
 *
 * @param profile The parsed `.cpuprofile`.
 * @param window Only the samples taken in this part of it, if given.
 * @returns Self, inclusive and per-file times.
 */
export function summarizeProfile(
  profile: Profile,
  window?: ProfileWindow,
): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const self: Tally = new Map();
  const inclusive: Tally = new Map();
  const files: Tally = new Map();
  let totalMs = 0;
  let atMs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute it to sample i.
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    atMs += ms;
    if (window && (atMs < window.fromMs || atMs > window.toMs)) continue;
    totalMs += ms;
    const node = byId.get(profile.samples[i]!)!;
    add(self, functionKey(node.callFrame), ms);
    add(
      files,
      node.callFrame.url === ""
        ? node.callFrame.functionName
        : shortUrl(node.callFrame.url),
      ms,
    );
    const seen = new Set<string>();
    for (
      let id: number | undefined = node.id;
      id !== undefined;
      id = parent.get(id)
    ) {
      const key = functionKey(byId.get(id)!.callFrame);
      if (!seen.has(key)) {
        seen.add(key);
        add(inclusive, key, ms);
      }
    }
  }
  return { totalMs, self, inclusive, files };
}

function top(tally: Tally, n: number, totalMs: number): string[] {
  return [...tally.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, ms]) =>
      `${ms.toFixed(0).padStart(7)} ms ${
        (ms / totalMs * 100).toFixed(1).padStart(5)
      }%  ${key}`
    );
}

if (import.meta.main) {
  const file = Deno.args.find((a) => !a.startsWith("--"));
  if (!file) {
    throw new Error("usage: cpuprofile_summary.ts FILE.cpuprofile [--top=N]");
  }
  const n = Number(
    Deno.args.find((a) => a.startsWith("--top="))?.slice(6) ?? 25,
  );
  const range = Deno.args.find((a) => a.startsWith("--window="))?.slice(9)
    .split("-").map(Number);
  const summary = summarizeProfile(
    JSON.parse(await Deno.readTextFile(file)) as Profile,
    range && { fromMs: range[0]! * 1000, toMs: range[1]! * 1000 },
  );
  const lines = [
    `# ${file}: ${summary.totalMs.toFixed(0)} ms sampled`,
    "## self time by file or category",
    ...top(summary.files, n, summary.totalMs),
    "## self time by function",
    ...top(summary.self, n, summary.totalMs),
    "## inclusive time by function",
    ...top(summary.inclusive, n, summary.totalMs),
  ];
  // deno-lint-ignore no-console
  console.log(lines.join("\n"));
}
