import assert from "node:assert/strict";
import { assertNameFree } from "../../src/platforms/destination_name.ts";
import {
  SIEMConfigError,
  type SIEMConfigInput,
} from "../../src/platforms/siem_config.ts";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { KvSpool } from "../../src/spool/kv_spool.ts";
import type { KvLike } from "../../src/spool/kv_like.ts";
import { QueueSink } from "../../src/spool/queue_sink.ts";
import { consumeQueueBatch } from "../../src/spool/queue_consumer.ts";
import { FakeQueue } from "../runtime/cloudflare/fake_queue.ts";

const twice: SIEMConfigInput[] = [
  { platform: "splunk", endpoint: "http://127.0.0.1:1" },
  { platform: "splunk", endpoint: "http://127.0.0.1:2" },
];

function isTaken(error: unknown): boolean {
  return error instanceof SIEMConfigError &&
    /name "splunk" is taken/.test(error.message) &&
    error.issues.length === 1 && error.issues[0]!.path === "name";
}

Deno.test("assertNameFree: a free name passes, a taken one throws SIEMConfigError naming the field", () => {
  const names = new Map([["splunk", 1]]);
  assertNameFree(names, "splunk-eu");
  assertNameFree(new Set(), "splunk");
  assert.throws(() => assertNameFree(names, "splunk"), isTaken);
  assert.throws(
    () => assertNameFree(new Set(["splunk"]), "splunk"),
    (error: unknown) =>
      error instanceof SIEMConfigError &&
      error.message ===
        'Cannot use SIEM config "splunk": name "splunk" is taken by another destination (set a different "name")',
  );
});

Deno.test("every place that owns destinations refuses a taken name with SIEMConfigError", async () => {
  assert.throws(() => new SIEMIntegrator(twice), isTaken);
  const integrator = new SIEMIntegrator([twice[0]!]);
  assert.throws(() => integrator.addPlatform(twice[1]!), isTaken);
  // The spool's constructor reads nothing from the store.
  assert.throws(() => new KvSpool({} as KvLike, twice), isTaken);
  assert.throws(() => new QueueSink(new FakeQueue(), twice), isTaken);
  await assert.rejects(
    consumeQueueBatch({ queue: "q", messages: [] }, { destinations: twice }),
    isTaken,
  );
});
