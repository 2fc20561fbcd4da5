// deno-lint-ignore-file no-console
/**
 * Mutation campaign: applies each bug-like change of `mutations.ts` to its
 * source file, one at a time, runs the test files named for it, and restores
 * the file. A change is caught when a test fails; a run that passes the time
 * limit is killed and reported as a hang (not counted as caught: a test must
 * fail, not hang). Not part of `deno task test`.
 *
 * ```sh
 * deno run -A tests/mutation/run_mutations.ts [--only=name,name] [--files=src/dir,src/file.ts] [--timeout=120] [--baseline] [--check]
 * ```
 *
 * The source tree must be clean (`git status --porcelain src/` empty): each
 * file is restored from the pristine text read before it was changed, in a
 * `finally`, and on Ctrl-C; `git status` at the end shows the tree as it is.
 *
 * @module
 */
import { type Mutation, MUTATIONS } from "./mutations.ts";

const root = new URL("../../", import.meta.url).pathname;
const args = new Map(
  Deno.args.map((arg) => {
    const [key, value = "true"] = arg.replace(/^--/, "").split("=", 2);
    return [key as string, value];
  }),
);
const timeoutMs = Number(args.get("timeout") ?? 120) * 1000;
const only = args.get("only")?.split(",");
// --files=src/platforms,src/ingest: only the changes to files under these.
const files = args.get("files")?.split(",");
const chosen = MUTATIONS.filter((m) =>
  (!only || only.some((name) => m.name.includes(name))) &&
  (!files || files.some((prefix) => m.file.startsWith(prefix)))
);

type Outcome =
  | "caught"
  | "survived"
  | "hang"
  | "not applied"
  | "equivalent";

interface TestRun {
  code: number | "timeout";
  failed: string[];
  seconds: number;
}

async function git(...gitArgs: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args: gitArgs, cwd: root })
    .output();
  return new TextDecoder().decode(out.stdout);
}

async function runTests(files: string[]): Promise<TestRun> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      "--lock=deno.lock",
      "--frozen",
      // Type errors are no catch: only behavior is measured.
      "--no-check",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      ...files,
    ],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }, timeoutMs);
  const out = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  // The FAILURES section lists "<test name> => <file>:<line>:<col>".
  const failures = text.split(/\n\s*FAILURES\s*\n/)[1] ?? "";
  const failed = [
    ...new Set(
      // An uncaught error (a dangling rejection) fails its whole file.
      failures.split("\n").filter((line) =>
        / => \S+:\d+:\d+$/.test(line) || / \(uncaught error\)$/.test(line)
      ).map((line) => line.replace(/ => .*\/tests\//, " => tests/")),
    ),
  ];
  return {
    code: timedOut ? "timeout" : out.code,
    failed,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

const pristine = new Map<string, string>();
let current: string | undefined;
function restore(): void {
  if (current !== undefined) {
    Deno.writeTextFileSync(root + current, pristine.get(current)!);
    current = undefined;
  }
}
Deno.addSignalListener("SIGINT", () => {
  restore();
  console.log("\ninterrupted: file restored");
  Deno.exit(130);
});

async function apply(mutation: Mutation): Promise<Outcome | TestRun> {
  if (mutation.equivalent !== undefined) return "equivalent";
  const text = pristine.get(mutation.file) ??
    await Deno.readTextFile(root + mutation.file);
  pristine.set(mutation.file, text);
  const at = text.indexOf(mutation.from);
  if (at < 0 || text.indexOf(mutation.from, at + 1) >= 0) return "not applied";
  current = mutation.file;
  try {
    await Deno.writeTextFile(
      root + mutation.file,
      text.slice(0, at) + mutation.to + text.slice(at + mutation.from.length),
    );
    return await runTests(mutation.tests);
  } finally {
    restore();
  }
}

if ((await git("status", "--porcelain", "src/")).trim() !== "") {
  console.log("src/ has uncommitted changes: commit them first");
  Deno.exit(2);
}

if (args.has("check")) {
  // Only whether every snippet is found once; a snippet lost to a change
  // of its code fails the check, so that no mutation stops being run unseen.
  let missing = 0;
  for (const m of chosen) {
    const text = await Deno.readTextFile(root + m.file).catch(() => "");
    const at = text.indexOf(m.from);
    if (at < 0 || text.indexOf(m.from, at + 1) >= 0) {
      console.log(`not applied: ${m.name}`);
      missing++;
    }
  }
  console.log(`${chosen.length} mutations checked, ${missing} not applied`);
  Deno.exit(missing === 0 ? 0 : 1);
}

if (args.has("baseline")) {
  const sets = new Set(chosen.map((m) => m.tests.join(" ")));
  for (const set of sets) {
    const run = await runTests(set.split(" "));
    console.log(
      `baseline ${run.code === 0 ? "ok  " : "FAIL"} ${run.seconds}s ${set}`,
    );
    for (const name of run.failed) console.log(`    ${name}`);
  }
}

const results: { mutation: Mutation; outcome: Outcome; run?: TestRun }[] = [];
for (const mutation of chosen) {
  const result = await apply(mutation);
  const outcome: Outcome = typeof result === "string"
    ? result
    : result.code === "timeout"
    ? "hang"
    : result.code === 0
    ? "survived"
    : "caught";
  const run = typeof result === "string" ? undefined : result;
  results.push(run ? { mutation, outcome, run } : { mutation, outcome });
  // How many tests failed: a catch by one test only is a thin one.
  const by = outcome === "caught" && run
    ? `, ${run.failed.length} test${run.failed.length === 1 ? "" : "s"}`
    : "";
  console.log(
    `${outcome.padEnd(11)} ${mutation.name}${
      run ? ` (${run.seconds}s${by})` : ""
    }`,
  );
  if (outcome === "caught") {
    for (const name of (run?.failed ?? []).slice(0, 3)) {
      console.log(`    ${name}`);
    }
  }
}

const count = (o: Outcome): number =>
  results.filter((r) => r.outcome === o).length;
const applied = results.length - count("not applied") - count("equivalent");
const caught = count("caught");
console.log(
  `\n${caught} of ${applied} caught (${
    applied ? (100 * caught / applied).toFixed(1) : "0"
  }%), ${count("survived")} survived, ${count("hang")} hung, ${
    count("not applied")
  } not applied (snippet missing or not unique), ${
    count("equivalent")
  } judged equivalent (not run)`,
);
for (const r of results) {
  if (r.outcome === "caught") continue;
  console.log(`  ${r.outcome}: ${r.mutation.name}`);
  if (r.mutation.equivalent) console.log(`    ${r.mutation.equivalent}`);
}
console.log("\ngit status --porcelain:");
console.log((await git("status", "--porcelain")) || "(clean)");
