// deno-lint-ignore-file no-console
/**
 * The soak's `--delivery=worker`: a second `KvSpool` on the same store, in
 * a worker (its own thread), that delivers what the ingest's spool accepts
 * (that one is never started). An experiment in where delivery could run,
 * not a mode of the server.
 *
 * Messages in: `{ type: "start", path, configs }`, `{ type: "stats" }`,
 * `{ type: "stop" }`; each is answered with `{ type, stats? }`.
 *
 * @module
 */
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { KvSpool } from "../../src/spool/kv_spool.ts";
import { CountingLogger } from "../chaos/chaos_run.ts";

type Message =
  | { type: "start"; path: string; configs: SIEMConfigInput[] }
  | { type: "stats" }
  | { type: "stop" };

// The worker's global scope, as the chaos receivers' worker names it
// (without the deno.worker lib, which would change `self` for every file
// checked with this one).
interface Scope {
  onmessage: ((event: MessageEvent<Message>) => void) | null;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as Scope;
let kv: Deno.Kv | undefined;
let spool: KvSpool | undefined;

scope.onmessage = async (event: MessageEvent<Message>) => {
  const message = event.data;
  try {
    if (message.type === "start") {
      kv = await Deno.openKv(message.path);
      spool = new KvSpool(kv, message.configs, {
        logger: new CountingLogger(),
      });
      spool.start();
      scope.postMessage({ type: "start" });
    } else if (message.type === "stats") {
      scope.postMessage({ type: "stats", stats: spool?.getStats() });
    } else {
      await spool?.stop({ timeoutMs: 5000 });
      kv?.close();
      scope.postMessage({ type: "stop" });
    }
  } catch (error) {
    console.error(`delivery worker: ${error}`);
    scope.postMessage({ type: message.type, error: String(error) });
  }
};
