import assert from "node:assert/strict";
import {
  createWorker,
  type WorkerExecutionContext,
} from "../../../src/runtime/cloudflare/worker.ts";
import { realisticEvents } from "../../fixtures/events.ts";
import { MemoryLogger } from "../../support/receivers.ts";

const TOKEN = "worker-buffer-token-0123456789";

// The Worker without a queue buffers in its isolate (128 MB): each buffer
// holds 8 MiB of event JSON unless the destination says otherwise.
async function capacityAfterOneLargeEvent(
  destination: Record<string, unknown>,
): Promise<number> {
  const flushes: Promise<unknown>[] = [];
  const context: WorkerExecutionContext = {
    waitUntil: (promise) => void flushes.push(promise),
  };
  const env = {
    INGEST_TOKENS: TOKEN,
    SIEM_DESTINATIONS: JSON.stringify([{
      platform: "splunk",
      endpoint: "http://127.0.0.1:1",
      maxRetries: 0,
      ...destination,
    }]),
  };
  const worker = createWorker({ logger: new MemoryLogger() });
  const [event] = realisticEvents(1);
  const accepted = await worker.fetch(
    new Request("http://worker/events", {
      method: "POST",
      headers: {
        Authorization: `Bearer ${TOKEN}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({
        ...event,
        metadata: { blob: "x".repeat(500_000) },
      }),
    }),
    env,
    context,
  );
  assert.equal(accepted.status, 202);
  await accepted.body?.cancel();
  await Promise.all(flushes);
  const health = await worker.fetch(
    new Request("http://worker/health"),
    env,
    context,
  );
  const report = await health.json() as { capacity: number };
  return report.capacity;
}

Deno.test("createWorker: without a queue, each buffer holds 8 MiB of event JSON by default", async () => {
  // About 16 events of 500 KB fit in 8 MiB: one is buffered.
  assert.equal(await capacityAfterOneLargeEvent({}), 15);
  // A destination's own bound is kept (64 MiB: about 133 in all).
  assert.equal(
    await capacityAfterOneLargeEvent({ maxBufferedBytes: 64 * 1024 * 1024 }),
    133,
  );
});
