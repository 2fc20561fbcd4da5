/**
 * The official clients on Node itself, for `bench/peers/peer_bench.ts`:
 * starts `node bench/peers/node/peer_clients.mjs` (the clients installed by
 * npm into bench/peers/node/, `bash bench/install_tools.sh peers`), hands it
 * the receiver's URL and the events, and asks it to send batches with one
 * client at a time. It times each run itself and answers with its wall time
 * and its CPU time. Not a benchmark itself.
 *
 * @module
 */
import type { SIEMEvent } from "../../src/events/siem_event.ts";
import { benchPath } from "../support.ts";

/** The clients the Node script runs, by the ids it knows them by. */
export type NodeClientId =
  | "splunk-logging"
  | "elastic-helpers-bulk"
  | "elastic-client-bulk"
  | "datadog-submitLog"
  | "datadog-submitLog-fetch";

/** One run as the Node script timed it. */
export interface NodeTiming {
  /** Wall time of the sending, in ms. */
  ms: number;
  /** CPU time of the Node process during it, in ms. */
  cpuMs: number;
}

/** The Node process, ready to run its clients. */
export interface NodeClients extends AsyncDisposable {
  /** Its process id (for CPU accounting). */
  pid: number;
  /** Node's version, e.g. `v20.20.2`. */
  node: string;
  /**
   * Sends the first `batches` batches of the events with one client.
   *
   * @returns Its timing.
   */
  run(client: NodeClientId, batches: number): Promise<NodeTiming>;
  /** Closes its standard input and waits for it to exit. */
  close(): Promise<void>;
}

/** Reads a child's stdout one line at a time. */
class Lines {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next line, or undefined at the end of the stream. */
  async next(): Promise<string | undefined> {
    while (!this.#buffer.includes("\n")) {
      const { done, value } = await this.#reader.read();
      if (done) {
        const rest = this.#buffer;
        this.#buffer = "";
        return rest === "" ? undefined : rest;
      }
      this.#buffer += value;
    }
    const newline = this.#buffer.indexOf("\n");
    const line = this.#buffer.slice(0, newline);
    this.#buffer = this.#buffer.slice(newline + 1);
    return line;
  }

  /** Reads to the end (so that the child never blocks on a full pipe). */
  async drain(): Promise<void> {
    while ((await this.#reader.read()).done === false) {
      // Nothing more is expected; the lines are dropped.
    }
  }
}

/**
 * Starts the Node script, sends it the URL and the events, and waits until
 * its clients are loaded. Fails, saying what to do, when node is missing,
 * the clients are not installed, or their versions are not `versions`.
 *
 * @param url The receiver's base URL (on 127.0.0.1).
 * @param events The events, in the order they are batched.
 * @param batchSize Events per batch.
 * @param versions The client versions the Deno runs use, by package name.
 * @returns The running Node process.
 */
export async function startNodeClients(
  url: string,
  events: readonly SIEMEvent[],
  batchSize: number,
  versions: Readonly<Record<string, string>>,
): Promise<NodeClients> {
  const script = benchPath("./peers/node/peer_clients.mjs");
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("node", {
      // The clients' own dependencies use deprecated Node modules (punycode);
      // the warning says nothing about the run.
      args: ["--no-deprecation", script],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    throw new Error(
      `Cannot start node (${
        String(error)
      }): the peer benchmark runs the official clients on Node as well as under Deno. Install Node 20, then \`bash bench/install_tools.sh peers\`.`,
    );
  }
  const stdin = child.stdin.getWriter();
  const lines = new Lines(child.stdout);
  const fail = async (message: string): Promise<never> => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await stdin.close().catch(() => {});
    await lines.drain().catch(() => {});
    const status = await child.status;
    throw new Error(
      `${message} (node ${script} exited with code ${status.code}; install its clients with \`bash bench/install_tools.sh peers\`)`,
    );
  };

  const encoder = new TextEncoder();
  const sending = (async (): Promise<void> => {
    await stdin.write(encoder.encode(
      `${JSON.stringify({ url, batchSize, events: events.length })}\n`,
    ));
    // In slices, not one string of the whole set.
    for (let i = 0; i < events.length; i += 1000) {
      const slice = events.slice(i, i + 1000);
      const text = slice.map((event) => JSON.stringify(event)).join("\n");
      await stdin.write(encoder.encode(`${text}\n`));
    }
  })();
  const sent = await sending.then(() => true, () => false);
  const ready = await lines.next();
  if (!sent || ready === undefined) {
    return await fail("The Node clients did not start");
  }
  const hello = JSON.parse(ready) as {
    ready?: boolean;
    node?: string;
    deno?: string | null;
    versions?: Record<string, string>;
  };
  // Deno.Command runs Deno itself for "node" when no Node is on the PATH.
  if (hello.deno !== null) {
    return await fail(
      `"node" ran Deno ${hello.deno}, not Node: install Node 20 and put it on the PATH`,
    );
  }
  for (const [name, version] of Object.entries(versions)) {
    if (hello.versions?.[name] !== version) {
      return await fail(
        `Node has ${name} ${hello.versions?.[name]}, the Deno runs ${version}`,
      );
    }
  }

  let queue = Promise.resolve();
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    closed ??= (async (): Promise<void> => {
      await queue.catch(() => {});
      await stdin.close().catch(() => {});
      await lines.drain();
      const status = await child.status;
      if (!status.success) {
        throw new Error(`node ${script} exited with code ${status.code}`);
      }
    })();
  return {
    pid: child.pid,
    node: hello.node ?? "unknown",
    run(client, batches): Promise<NodeTiming> {
      const answer = queue.then(async (): Promise<NodeTiming> => {
        await stdin.write(
          encoder.encode(`${JSON.stringify({ client, batches })}\n`),
        );
        const line = await lines.next();
        if (line === undefined) {
          return await fail(`The Node process ended during ${client}`);
        }
        const result = JSON.parse(line) as Partial<NodeTiming> & {
          error?: string;
        };
        if (result.error !== undefined || result.ms === undefined) {
          throw new Error(`on Node: ${result.error ?? line}`);
        }
        return { ms: result.ms, cpuMs: result.cpuMs ?? NaN };
      });
      queue = answer.then(() => {}, () => {});
      return answer;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
