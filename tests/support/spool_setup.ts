/**
 * The set-up the KV spool's tests share: an in-memory store, realistic
 * events, configs with short timers for a fake clock, and what the store
 * holds by kind of key.
 *
 * @module
 */
import {
  type AuditEvent,
  parseAuditEvent,
} from "../../src/events/audit_event.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { realisticEvents } from "../fixtures/events.ts";
import type { Receivers } from "./receivers.ts";

/** Runs `run` with a new in-memory Deno KV store, closed after. */
export async function withKv(
  run: (kv: Deno.Kv) => Promise<void>,
): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  try {
    await run(kv);
  } finally {
    kv.close();
  }
}

/** `count` realistic audit events, validated. */
export function audit(count: number, seed = 1): AuditEvent[] {
  return realisticEvents(count, seed).map((event) => parseAuditEvent(event));
}

/**
 * Configs whose flush interval, retries and backoff are short: the spools
 * run on a fake clock, whose polls, leases and timers move only as a test
 * advances it, with the real I/O (the KV store, the fake SIEMs) let run
 * between its small steps (advanceUntil).
 */
export function fast(configs: SIEMConfigInput[]): SIEMConfigInput[] {
  return configs.map((config) => ({
    flushIntervalMs: 100,
    retryDelayMs: 20,
    maxRetryDelayMs: 200,
    maxRetries: 1,
    ...config,
  }));
}

/** Whether each of the three fakes has stored `count` events. */
export function deliveredToAll(
  siems: Receivers,
  count: number,
): () => boolean {
  return () =>
    siems.splunk.events.length === count &&
    siems.elasticsearch.documents.length === count &&
    siems.datadog.logs.length === count;
}

/** What a store holds under a prefix, by the key's second part. */
export async function storedByKind(
  kv: Deno.Kv,
  prefix: string,
): Promise<Map<string, Deno.KvEntry<unknown>[]>> {
  const found = new Map<string, Deno.KvEntry<unknown>[]>();
  for await (const entry of kv.list({ prefix: [prefix] })) {
    const kind = String(entry.key[1]);
    found.set(kind, [...found.get(kind) ?? [], entry]);
  }
  return found;
}
