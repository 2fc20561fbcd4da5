/**
 * Chaos for the Google SecOps destination: a seeded storm of faults on both
 * of its servers while events flow. Chronicle answers 429 (with
 * Retry-After), 500, 503, hangs past the time limit, drops the connection
 * mid-answer, and revokes every token it issued (401); the token endpoint
 * answers 503 or hangs; poison events are refused with 400 every time.
 * At the end every event is accounted for: each good event stored (at least
 * once; a dropped answer may repeat a batch), each poison event
 * dead-lettered with its reason, and nothing else dead-lettered or lost.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import type { DeadLetter } from "../../src/delivery/export_result.ts";
import type { AuditEventInput } from "../../src/events/audit_event.ts";
import type { Fault } from "../fakes/fake_receiver.ts";
import {
  makeServiceAccount,
  startFakeGoogleToken,
} from "../fakes/fake_google_token.ts";
import { startFakeGoogleSecOps } from "../fakes/fake_google_secops.ts";
import { seededRandom } from "../fixtures/events.ts";
import { MemoryLogger } from "../support/receivers.ts";

const EMAIL = "siem-writer@test-project.iam.gserviceaccount.com";
const SEED = Number(Deno.env.get("CHAOS_SEED") ?? 20261130);
const COUNT = 600;

Deno.test(`chaos: google_secops under token and API faults loses nothing and dead-letters only poison (seed ${SEED})`, async () => {
  const random = seededRandom(SEED);
  await using tokens = startFakeGoogleToken({ email: EMAIL, lifetimeS: 3600 });
  const account = await makeServiceAccount(tokens.tokenUri, EMAIL);
  tokens.trust(account.publicKey);
  await using chronicle = startFakeGoogleSecOps({
    tokens,
    project: "test-project",
    location: "eu",
    instance: "ebdc4bb9-878b-11e7-8455-10604b7cb5c1",
    logTypes: ["HAROMBE_AUDIT"],
    maxPayloadBytes: 16_384,
  });
  // The fault of each Chronicle request, drawn from the seed.
  const chronicleFault = (): Fault | undefined => {
    const roll = random();
    if (roll < 0.08) return { status: 429, headers: { "Retry-After": "0" } };
    if (roll < 0.14) return { status: 503 };
    if (roll < 0.18) return { status: 500 };
    if (roll < 0.21) return { reset: true };
    if (roll < 0.23) return { hang: true };
    if (roll < 0.27) {
      tokens.issued.clear(); // Google revokes the tokens: the next 401s
      return undefined;
    }
    return undefined;
  };
  chronicle.refuseWhen((body) => {
    const logs = JSON.parse(body).inlineSource.logs as { data: string }[];
    const poisoned = logs.some((log) => atob(log.data).includes('"poison"'));
    return poisoned ? { status: 400 } : chronicleFault();
  });
  const tokenFaults: Fault[] = [];
  for (let i = 0; i < 40; i++) {
    const roll = random();
    tokenFaults.push(
      roll < 0.25 ? { status: 503 } : roll < 0.3 ? { hang: true } : {},
    );
  }
  tokens.failNext(...tokenFaults);

  const events: AuditEventInput[] = Array.from({ length: COUNT }, (_, i) => ({
    event_id: `chaos-${i}`,
    correlation_id: `c-${i % 17}`,
    event_type: "tool_call",
    actor: i % 97 === 5 ? "poison" : `agent-${i % 5}`,
    action: "x".repeat(1 + Math.floor(random() * 400)),
    status: "success",
  }));
  const poison = new Set(
    events.filter((e) => e.actor === "poison").map((e) => e.event_id!),
  );
  const letters: DeadLetter[] = [];
  await using integrator = new SIEMIntegrator([{
    platform: "google_secops",
    endpoint: chronicle.url,
    batchSize: 40,
    maxBatchBytes: 16_384,
    maxRetries: 4,
    retryDelayMs: 10,
    maxRetryDelayMs: 20,
    timeoutMs: 1000,
    googleSecOps: {
      credentials: JSON.stringify(account.key),
      project: "test-project",
      location: "eu",
      instance: "ebdc4bb9-878b-11e7-8455-10604b7cb5c1",
      logType: "HAROMBE_AUDIT",
    },
  }], {
    autoFlush: false,
    logger: new MemoryLogger(),
    onDeadLetter: (letter) => void letters.push(letter),
  });
  for (let at = 0; at < COUNT; at += 50) {
    for (const event of events.slice(at, at + 50)) {
      integrator.exportEvent(event);
    }
    await integrator.flushAll();
  }
  // Faults stop; what is still buffered (backing off) goes now.
  chronicle.refuseWhen((body) =>
    atob(JSON.parse(body).inlineSource.logs[0].data).includes('"poison"')
      ? { status: 400 }
      : undefined
  );
  for (let round = 0; round < 20; round++) {
    if (integrator.getStats().buffered === 0) break;
    await integrator.flushAll();
  }
  const stats = integrator.getStats();
  assert.equal(stats.buffered, 0);
  const stored = new Set(chronicle.logs.map((l) => String(l.event.event_id)));
  const lettered = letters.flatMap((l) => l.events.map((e) => e.event_id));
  for (const event of events) {
    const id = event.event_id!;
    if (poison.has(id)) {
      assert.equal(stored.has(id), false, `poison ${id} stored`);
      assert.ok(lettered.includes(id), `poison ${id} not dead-lettered`);
    } else {
      assert.ok(stored.has(id), `${id} lost`);
    }
  }
  assert.deepEqual(new Set(lettered), poison);
  for (const letter of letters) {
    assert.match(letter.reason, /^HTTP 400: INVALID_ARGUMENT/);
  }
  // The storm did happen: revoked tokens were replaced, faults were met.
  assert.ok(chronicle.unauthenticated > 0, "no token was revoked");
  assert.ok(tokens.requests.length > 2, "no token was refreshed");
});
