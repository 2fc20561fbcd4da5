/**
 * Configs are parsed once, at the edge, and passed inward parsed
 * (`parseOnce` in src/platforms/siem_config.ts). A parse is not observable
 * from outside, so these tests edit a parsed config after parsing into what
 * the parser refuses (`batchSize` 5000; at most 1000 is allowed): code that
 * parses it again throws, code that takes it as parsed does not. The type
 * checks at the end prove that inner code cannot be given an unparsed one.
 */
import assert from "node:assert/strict";
import {
  type ParsedSIEMConfig,
  parseOnce,
  parseSIEMConfig,
  type SIEMConfig,
  SIEMConfigError,
  withStoredBuffer,
} from "../../src/platforms/siem_config.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { KvSpool } from "../../src/spool/kv_spool.ts";
import { QueueSink } from "../../src/spool/queue_sink.ts";
import { consumeQueueBatch } from "../../src/spool/queue_consumer.ts";
import {
  type SpoolContext,
  SpooledDestination,
} from "../../src/spool/spooled_destination.ts";
import { startServer } from "../../src/runtime/deno/server.ts";
import { serverConfig } from "../../src/ingest/server_config.ts";
import { MemoryLogger } from "../support/receivers.ts";
import { FakeQueue } from "../runtime/cloudflare/fake_queue.ts";

const INPUT = { platform: "splunk", endpoint: "http://127.0.0.1:1" } as const;
const quiet = new MemoryLogger();

/** A parsed config edited afterwards into one the parser refuses. */
function parsedThenEdited(): ParsedSIEMConfig {
  const config = parseSIEMConfig(INPUT);
  (config as { batchSize: number }).batchSize = 5000;
  return config;
}

Deno.test("parseOnce returns a config parseSIEMConfig made as it is, and parses any other", () => {
  const parsed = parseSIEMConfig(INPUT);
  assert.equal(parseOnce(parsed), parsed);
  const fromInput = parseOnce(INPUT);
  assert.deepEqual(fromInput, parsed);
  assert.equal(parseOnce(fromInput), fromInput);
  // A copy is not the parser's: an edit in it is validated.
  assert.throws(
    () => parseOnce({ ...parsed, batchSize: 5000 }),
    SIEMConfigError,
  );
  assert.throws(() => parseSIEMConfig(parsedThenEdited()), SIEMConfigError);
});

Deno.test("withStoredBuffer lifts only the byte bound, and its result counts as parsed", () => {
  const parsed = parseSIEMConfig(INPUT);
  const stored = withStoredBuffer(parsed);
  assert.deepEqual(stored, { ...parsed, maxBufferedBytes: 2 ** 36 });
  assert.equal(parsed.maxBufferedBytes === 2 ** 36, false);
  assert.equal(parseOnce(stored), stored);
});

Deno.test("createExporter keeps a parsed config as it is", () => {
  const parsed = parseSIEMConfig(INPUT);
  assert.equal(createExporter(parsed).config, parsed);
  assert.equal(createExporter(parsedThenEdited()).config.batchSize, 5000);
});

Deno.test("the integrator, the KV spool, the queue sink and the queue consumer do not parse a parsed config again", async () => {
  await using integrator = new SIEMIntegrator([parsedThenEdited()], {
    logger: quiet,
  });
  assert.deepEqual(integrator.destinations, ["splunk"]);
  const kv = await Deno.openKv(":memory:");
  try {
    const spool = new KvSpool(kv, [parsedThenEdited()], { logger: quiet });
    assert.deepEqual(spool.destinations, ["splunk"]);
  } finally {
    kv.close();
  }
  const sink = new QueueSink(new FakeQueue(), [parsedThenEdited()], {
    logger: quiet,
  });
  assert.equal(sink.capacity() > 0, true);
  const summary = await consumeQueueBatch({ queue: "q", messages: [] }, {
    destinations: [parsedThenEdited()],
    logger: quiet,
  });
  assert.equal(summary.acked, 0);
  // Unparsed, the same edit is refused by each of them.
  const edited = { ...INPUT, batchSize: 5000 };
  assert.throws(() => new SIEMIntegrator([edited]), SIEMConfigError);
  assert.throws(
    () => new QueueSink(new FakeQueue(), [edited]),
    SIEMConfigError,
  );
});

Deno.test("startServer parses the destinations once and passes them inward parsed", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const config = {
      ...serverConfig({
        INGEST_TOKENS: "parse-once-token-0123456789",
        DATA_DIR: dataDir,
        PORT: "0",
        SPOOL: "memory",
      }),
      destinations: [parsedThenEdited()],
    };
    const server = await startServer(config, { log: () => {} });
    assert.deepEqual(server.integrator?.destinations, ["splunk"]);
    await server.shutdown();
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

// Type checks, compiled with the tests and never run: the inner code takes
// only parsed configs.
export function _innerCodeRefusesUnparsedConfigs(
  plain: SIEMConfig,
  context: SpoolContext,
): void {
  // @ts-expect-error a SIEMConfig (not made by parseSIEMConfig) is not parsed
  const parsed: ParsedSIEMConfig = plain;
  // @ts-expect-error the spool's destination takes only parsed configs
  new SpooledDestination(plain, context);
  // @ts-expect-error nor does the lifting of the byte bound
  withStoredBuffer(INPUT);
  void parsed;
}
