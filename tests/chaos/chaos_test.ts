// deno-lint-ignore-file no-console
/**
 * Chaos tests: a seeded random fault schedule (outages, 429 with
 * Retry-After, hangs past the timeout, resets, 5xx, 413, partial bulk
 * failures, answers lost after the SIEM stored the events) while events flow
 * to Splunk, Elasticsearch, Datadog and OpenSearch (SigV4), through the in-memory integrator and
 * through the KV spool. Afterwards every event must be delivered or
 * dead-lettered for a permanent reason, counted as the statistics say, with
 * no loss, duplicates only where an answer was lost, and a bounded heap.
 *
 * `CHAOS_SEED=<n>` replays a schedule; `CHAOS_EVENTS=<n>` scales the run
 * (default 10,000; the long run uses 100,000).
 *
 * @module
 */
import assert from "node:assert/strict";
import { audit } from "./chaos_audit.ts";
import { chaosEvents, chaosSeed, runChaos } from "./chaos_run.ts";

const seed = chaosSeed();
const events = chaosEvents();
console.log(
  `chaos: seed ${seed}, ${events} events per run (replay: CHAOS_SEED=${seed} CHAOS_EVENTS=${events})`,
);

for (const variant of ["integrator", "spool"] as const) {
  Deno.test(`chaos: ${variant}: every event delivered or dead-lettered for good, none lost, bounded heap`, async () => {
    const outcome = await runChaos(variant, seed, events);
    const result = audit(outcome);
    console.log(result.summary);
    if (result.problems.length > 0) {
      console.log(
        `chaos ${variant} seed=${seed}: logger ${
          JSON.stringify(outcome.logger.counts)
        }`,
      );
    }
    assert.deepEqual(
      result.problems,
      [],
      `replay with CHAOS_SEED=${seed} CHAOS_EVENTS=${events}`,
    );
  });
}
