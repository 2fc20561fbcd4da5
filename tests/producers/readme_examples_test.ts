/**
 * The producer examples of docs/producers.md ("Hono middleware", "LogTape
 * sink", linked from the README) run as they stand, in a Deno process of their own, against the strict fake
 * Splunk HEC and Datadog intake, and what they record is stored there.
 *
 * @module
 */
import assert from "node:assert/strict";
import { waitFor } from "../support/fake_clock.ts";
import { startReceivers, TOKENS } from "../support/receivers.ts";

const ROOT = new URL("../../", import.meta.url);

/** The first ```ts block under the heading `heading` of docs/producers.md. */
async function docBlock(heading: string): Promise<string> {
  const doc = await Deno.readTextFile(new URL("docs/producers.md", ROOT));
  const start = doc.indexOf(`\n${heading}\n`);
  assert.notEqual(start, -1, `no heading ${heading} in docs/producers.md`);
  const match = /```ts\n([^]*?)```/.exec(doc.slice(start));
  assert.ok(match, `no ts block under ${heading}`);
  return match[1]!;
}

/** Writes `code` to a temporary file; the project's deno.json resolves its imports. */
async function scriptFile(
  code: string,
): Promise<{ path: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "readme-example-" });
  const path = `${dir}/example.ts`;
  await Deno.writeTextFile(path, code);
  return { path, dir };
}

function denoArgs(command: string): string[] {
  return [
    command,
    `--config=${new URL("deno.json", ROOT).pathname}`,
    `--lock=${new URL("deno.lock", ROOT).pathname}`,
    "--frozen",
    "--allow-net=127.0.0.1",
    "--allow-env",
  ];
}

/** The first line of `stream` matching `pattern`; the rest is drained. */
async function firstMatch(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
  seen: string[],
): Promise<RegExpExecArray> {
  const lines = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  while (true) {
    const { done, value } = await lines.read();
    if (done) {
      throw new Error(`the example exited: ${seen.join("")}`);
    }
    seen.push(value);
    buffered += value;
    const match = pattern.exec(buffered);
    if (match) {
      // Keep reading so the process never blocks on a full pipe.
      void (async () => {
        while (!(await lines.read()).done) { /* drain */ }
      })().catch(() => {});
      return match;
    }
  }
}

Deno.test("the documented Hono example records each request in Splunk, by route, with the actor and the error", async () => {
  await using receivers = startReceivers();
  const { path, dir } = await scriptFile(
    await docBlock("### Hono middleware (`@harombe/siem/hono`)"),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [...denoArgs("serve"), "--host=127.0.0.1", "--port=0", path],
    cwd: ROOT.pathname,
    env: {
      SPLUNK_HEC_URL: receivers.splunk.url,
      SPLUNK_HEC_TOKEN: TOKENS.splunk,
      NO_COLOR: "1",
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output: string[] = [];
  try {
    const stdout = child.stdout;
    const [, port] = await Promise.race([
      firstMatch(
        child.stderr,
        /Listening on http:\/\/127\.0\.0\.1:(\d+)/,
        output,
      ),
      firstMatch(stdout, /Listening on http:\/\/127\.0\.0\.1:(\d+)/, output),
    ]);
    const base = `http://127.0.0.1:${port}`;
    const read = await fetch(`${base}/api/orders/42`, {
      headers: { "x-request-id": "req-42", "x-user": "alice" },
    });
    assert.deepEqual(await read.json(), { id: "42" });
    const remove = await fetch(`${base}/api/orders/42`, {
      method: "DELETE",
      headers: { "x-user": "bob", authorization: "Bearer SECRET-TOKEN" },
    });
    assert.equal(remove.status, 500);
    await remove.body?.cancel();

    await waitFor(
      () => receivers.splunk.events.length >= 2,
      20_000,
      "the two events in the fake Splunk",
    );
    const events = receivers.splunk.events.map((envelope) =>
      envelope.event as Record<string, unknown>
    );
    assert.deepEqual(
      events.map((e) => [e.event_type, e.action, e.actor, e.status]),
      [
        ["response", "GET /api/orders/:id", "alice", "success"],
        ["error", "DELETE /api/orders/:id", "bob", "error"],
      ],
    );
    assert.equal(events[0]!.correlation_id, "req-42");
    assert.equal(events[1]!.error_message, "orders are kept for 7 years");
    assert.ok(!JSON.stringify(events).includes("SECRET-TOKEN"));
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the documented LogTape example records the audit records in Datadog and exits", async () => {
  await using receivers = startReceivers();
  const { path, dir } = await scriptFile(
    await docBlock("### LogTape sink (`@harombe/siem/logtape`)"),
  );
  try {
    const run = await new Deno.Command(Deno.execPath(), {
      args: [...denoArgs("run"), path],
      cwd: ROOT.pathname,
      env: {
        DD_LOGS_URL: receivers.datadog.url,
        DD_API_KEY: TOKENS.datadog,
        NO_COLOR: "1",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(
      run.success,
      `the example failed: ${new TextDecoder().decode(run.stderr)}`,
    );
    // `await using` delivered everything before the script ended.
    const logs = receivers.datadog.logs;
    assert.equal(logs.length, 2);
    const fields = logs.map((log) => log.audit as Record<string, unknown>);
    assert.deepEqual(
      fields.map((e) => [e.correlation_id, e.actor, e.action, e.status]),
      [
        ["req-7", "alice", "Refund {amount} granted to {customer}", "success"],
        ["req-7", "alice", "Refund {amount} refused: over the limit", "error"],
      ],
    );
    assert.equal(
      (fields[0]!.metadata as Record<string, unknown>).message,
      'Refund 40 granted to "c-17"',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
