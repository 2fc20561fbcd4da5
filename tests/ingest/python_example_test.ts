/**
 * The Python example of docs/producers.md ("Posting each event to the
 * ingest") runs as it stands, with the machine's python3 and pydantic 2, against the ingest
 * app served on 127.0.0.1, and what it posts is stored as the model wrote it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createIngestApp } from "../../src/ingest/app.ts";
import { memorySink } from "../support/memory_sink.ts";

const TOKEN = "python-example-token-0123456789";
const FIXTURES = new URL("../fixtures/pydantic/", import.meta.url).pathname;

/** The first ```python block under the heading `heading` of docs/producers.md. */
async function docBlock(heading: string): Promise<string> {
  const doc = await Deno.readTextFile(
    new URL("../../docs/producers.md", import.meta.url),
  );
  const start = doc.indexOf(`\n${heading}\n`);
  assert.notEqual(start, -1, `no heading ${heading} in docs/producers.md`);
  const section = doc.slice(start);
  const match = /```python\n([^]*?)```/.exec(section);
  assert.ok(match, `no python block under ${heading}`);
  return match[1]!;
}

/** python3, or an error that says it is missing and what to do. */
function python3(): string {
  try {
    new Deno.Command("python3", { args: ["--version"] }).outputSync();
  } catch (error) {
    throw new Error(
      `python3 is not on this machine (${
        String(error)
      }): the documented Python example cannot be run. Install Python 3.10+ and pydantic 2 (pip install "pydantic>=2,<3"), or set PYDANTIC_LIVE=off to leave this test out.`,
    );
  }
  return "python3";
}

function liveOff(): boolean {
  try {
    return Deno.env.get("PYDANTIC_LIVE") === "off";
  } catch {
    return false;
  }
}

Deno.test({
  name: liveOff()
    ? "the documented Python example is not run: PYDANTIC_LIVE=off"
    : "the documented Python example posts one event and a gzipped NDJSON batch, stored without nulls",
  ignore: liveOff(),
  fn: runExample,
});

async function runExample(): Promise<void> {
  const sink = memorySink();
  const app = createIngestApp({ sink, tokens: [TOKEN] });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    app.fetch,
  );
  const dir = await Deno.makeTempDir({ prefix: "python-example-" });
  try {
    const script = `${dir}/post_events.py`;
    await Deno.writeTextFile(
      script,
      await docBlock("### Posting each event to the ingest"),
    );
    const before = Date.now();
    const run = await new Deno.Command(python3(), {
      args: [script],
      env: {
        INGEST_URL: `http://127.0.0.1:${server.addr.port}/events`,
        INGEST_TOKEN: TOKEN,
        PYTHONPATH: FIXTURES,
        PYTHONWARNINGS: "ignore::DeprecationWarning",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const after = Date.now();
    const stderr = new TextDecoder().decode(run.stderr);
    assert.ok(
      run.success,
      `the documented Python example failed (python3 with pydantic 2 is needed): ${stderr}`,
    );
    const answers = new TextDecoder().decode(run.stdout).trim().split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(answers.map((a) => a.accepted), [1, 2]);
    assert.deepEqual(
      answers.flatMap((a) => a.event_ids),
      sink.events.map((event) => event.event_id),
    );
    assert.deepEqual(
      sink.events.map((event) => [event.event_type, event.status]),
      [["tool_call", "success"], ["request", "pending"], [
        "error",
        "error",
      ]],
    );
    assert.equal(sink.events[1]!.session_id, "sess-1");
    assert.equal(sink.events[2]!.error_message, "denied");
    for (const event of sink.events) {
      for (const [key, value] of Object.entries(event)) {
        assert.notEqual(value, null, `${key} is null`);
        assert.notEqual(value, undefined, `${key} kept without a value`);
      }
      // datetime.utcnow(), naive, read as UTC: within the run (1 s of slack
      // for the cut microseconds and clock reads).
      const time = Date.parse(event.timestamp);
      assert.ok(
        time >= before - 1000 && time <= after + 1000,
        `${event.timestamp} is not the time of the run`,
      );
    }
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}
