import assert from "node:assert/strict";
import { parseAuditEvent } from "../../../src/events/audit_event.ts";
import { KvSpool } from "../../../src/spool/kv_spool.ts";
import { startFakeElasticsearch } from "../../fakes/fake_elasticsearch.ts";
import { realisticEvents } from "../../fixtures/events.ts";
import { boundedTest, FakeClock } from "../../support/fake_clock.ts";
import { advanceUntil, stopOn } from "../../support/fake_clock_io.ts";
import { MemoryLogger } from "../../support/receivers.ts";

const CLI = new URL(
  "../../../src/runtime/deno/dead_letters.ts",
  import.meta.url,
);
const CONFIG = new URL("../../../deno.json", import.meta.url);

async function cli(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--unstable-kv",
      "--config",
      CONFIG.pathname,
      "--allow-env",
      "--allow-read",
      "--allow-write",
      CLI.pathname,
      ...args,
    ],
    env,
    clearEnv: true,
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, out: decode(stdout) + decode(stderr) };
}

// The spools' polls, flush intervals and stops run on a fake clock; the
// bound is generous for the six CLI runs (real processes).
Deno.test(
  "deno task dead-letters lists, replays and purges stored dead letters",
  boundedTest(async () => {
    await using es = startFakeElasticsearch({ apiKey: "dl-key" });
    const clock = new FakeClock();
    const dataDir = await Deno.makeTempDir();
    const destinations = [{
      platform: "elasticsearch" as const,
      endpoint: es.url,
      token: "dl-key",
      flushIntervalMs: 100,
    }];
    const env = {
      DATA_DIR: dataDir,
      SIEM_DESTINATIONS: JSON.stringify(destinations),
    };
    try {
      const events = realisticEvents(4, 21).map((e) => parseAuditEvent(e));
      es.failItemsNext(({ index }) =>
        index >= 2
          ? { status: 400, type: "mapper_parsing_exception", reason: "bad" }
          : undefined
      );
      let kv = await Deno.openKv(`${dataDir}/spool.sqlite`);
      let spool = new KvSpool(kv, destinations, {
        logger: new MemoryLogger(),
        pollMs: 30,
        clock,
      });
      spool.start();
      await spool.accept(events);
      await advanceUntil(
        clock,
        () =>
          spool.getStats().perDestination.elasticsearch!.spool
            ?.deadLettersStored ===
            2,
        "dead letters",
      );
      await stopOn(clock, spool);
      kv.close();

      const listed = await cli(env, "list");
      assert.equal(listed.code, 0, listed.out);
      assert.match(
        listed.out,
        /elasticsearch .* 2 event\(s\) {2}item HTTP 400: mapper_parsing_exception: bad/,
      );
      assert.match(listed.out, /2 event\(s\) in all/);
      const json = await cli(env, "list", "--json");
      const letter = JSON.parse(json.out.trim().split("\n")[0]!);
      assert.deepEqual(
        letter.events.map((e: { event_id: string }) => e.event_id),
        [events[2]!.event_id, events[3]!.event_id],
      );

      const replayed = await cli(
        env,
        "replay",
        "--destination",
        "elasticsearch",
      );
      assert.match(replayed.out, /2 event\(s\) put back in the outbox/);
      assert.match((await cli(env, "list")).out, /0 event\(s\) in all/);

      // Fixed: the next start delivers them.
      kv = await Deno.openKv(`${dataDir}/spool.sqlite`);
      spool = new KvSpool(kv, destinations, {
        logger: new MemoryLogger(),
        pollMs: 30,
        clock,
      });
      spool.start();
      await advanceUntil(
        clock,
        () => es.documents.length === 4,
        "replayed delivery",
      );
      await stopOn(clock, spool);
      kv.close();

      assert.equal((await cli(env, "purge")).code, 0);
      assert.equal((await cli(env, "bogus")).code, 2);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  }, 60_000),
);

Deno.test("deno task dead-letters says what it needs and refuses unknown destinations", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const unconfigured = await cli({ DATA_DIR: dataDir }, "list");
    assert.equal(unconfigured.code, 2);
    assert.match(unconfigured.out, /needs the same configuration/);
    assert.match(unconfigured.out, /SIEM_DESTINATIONS/);

    const env = {
      DATA_DIR: dataDir,
      SIEM_DESTINATIONS: JSON.stringify([
        {
          platform: "elasticsearch",
          endpoint: "http://127.0.0.1:9",
          token: "k",
        },
        {
          platform: "splunk",
          name: "splunk-eu",
          endpoint: "http://127.0.0.1:9",
          token: "t",
        },
      ]),
    };
    for (const command of ["list", "replay", "purge"]) {
      const unknown = await cli(env, command, "--destination", "nope");
      assert.equal(unknown.code, 2, unknown.out);
      assert.match(
        unknown.out,
        /unknown destination "nope": the configured ones are elasticsearch, splunk-eu/,
      );
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
