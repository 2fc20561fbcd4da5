/**
 * The names replaced by the "destination" vocabulary still work for one
 * release: `addPlatform`, `removePlatform`, `platforms`, `perPlatform` and
 * `IntegratorStats`.
 */
import assert from "node:assert/strict";
import { type IntegratorStats, SIEMIntegrator } from "../../mod.ts";
import { KvSpool } from "../../src/spool/kv_spool.ts";
import { QueueSink } from "../../src/spool/queue_sink.ts";
import { NdjsonFileSink } from "../../src/runtime/deno/ndjson_file_sink.ts";
import type { QueueMessageRequest } from "../../src/spool/queue_like.ts";
import { MemoryLogger } from "../support/receivers.ts";

const splunk = {
  platform: "splunk",
  endpoint: "http://127.0.0.1:1",
  token: "t",
} as const;

Deno.test("SIEMIntegrator.addPlatform/removePlatform/platforms are aliases of the destination names", async () => {
  const integrator = new SIEMIntegrator([], {
    autoFlush: false,
    logger: new MemoryLogger(),
  });
  integrator.addPlatform({ ...splunk, name: "old" });
  integrator.addDestination({ ...splunk, name: "new" });
  assert.deepEqual(integrator.platforms, ["old", "new"]);
  assert.deepEqual(integrator.destinations, ["old", "new"]);
  assert.throws(
    () => integrator.addPlatform({ ...splunk, name: "new" }),
    /name "new" is taken/,
  );

  const report = await integrator.removePlatform("old", { timeoutMs: 0 });
  assert.deepEqual(report?.undelivered, []);
  assert.deepEqual(integrator.destinations, ["new"]);
  assert.equal(await integrator.removePlatform("old"), undefined);
  await integrator.stop({ timeoutMs: 0 });
});

Deno.test("SIEMIntegrator.getStats() keys destinations under perDestination and the former perPlatform", () => {
  const integrator = new SIEMIntegrator([{ ...splunk, name: "siem" }], {
    autoFlush: false,
  });
  const stats: IntegratorStats = integrator.getStats();
  assert.equal(stats.perDestination["siem"]?.platform, "splunk");
  assert.equal(stats.perPlatform, stats.perDestination);
  const json = JSON.parse(JSON.stringify(stats));
  assert.deepEqual(json.perPlatform, json.perDestination);
});

Deno.test("KvSpool.platforms and its stats' perPlatform are aliases", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const spool = new KvSpool(kv, [{ ...splunk, name: "siem" }], {
      logger: new MemoryLogger(),
    });
    assert.deepEqual(spool.destinations, ["siem"]);
    assert.deepEqual(spool.platforms, spool.destinations);
    const stats = spool.getStats();
    assert.equal(stats.perDestination["siem"]?.platform, "splunk");
    assert.equal(stats.perPlatform, stats.perDestination);
  } finally {
    kv.close();
  }
});

Deno.test("QueueSink and NdjsonFileSink stats carry perPlatform beside perDestination", () => {
  const producer = {
    send: (_body: unknown): Promise<void> => Promise.resolve(),
    sendBatch: (_messages: Iterable<QueueMessageRequest>): Promise<void> =>
      Promise.resolve(),
  };
  const queue = new QueueSink(producer, [{ ...splunk, name: "siem" }])
    .getStats();
  assert.equal(queue.perDestination["siem"]?.platform, "splunk");
  assert.equal(queue.perPlatform, queue.perDestination);

  const file = new NdjsonFileSink("/nonexistent").getStats();
  assert.equal(file.perDestination["local-file"]?.platform, "file");
  assert.equal(file.perPlatform, file.perDestination);
});
