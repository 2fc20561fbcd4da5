/**
 * How the spool stores a group of events: one UTF-8 JSON document, cut into
 * parts small enough for one value each (Deno KV takes at most 64 KiB per
 * value).
 *
 * @module
 */
import { parseJsonText } from "../events/json_text.ts";
import type { SIEMEvent } from "../events/siem_event.ts";

/** The largest part stored under one key, in bytes. */
export const PART_BYTES = 60_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a stored group holds. */
export interface StoredGroup {
  /** When the events were accepted, in epoch ms. */
  at: number;
  /** The events. */
  events: SIEMEvent[];
  /** For dead letters: why they were given up. */
  reason?: string | undefined;
  /** For dead letters: the HTTP status that refused them, if any. */
  status?: number | undefined;
}

/**
 * Writes a group as JSON cut into parts of at most {@linkcode PART_BYTES}.
 *
 * @param group The group.
 * @returns The parts, in order.
 */
export function toParts(group: StoredGroup): Uint8Array[] {
  return cut(encoder.encode(JSON.stringify(group)));
}

/**
 * The parts of an outbox group whose events are already JSON text: the same
 * bytes as `toParts({ at, events })`, without serializing the events again.
 *
 * @param at When the events were accepted, in epoch ms.
 * @param eventJson Each event's `JSON.stringify`, in order.
 * @returns The parts, in order.
 */
export function jsonToParts(
  at: number,
  eventJson: readonly string[],
): Uint8Array[] {
  return cut(
    encoder.encode(
      `{"at":${JSON.stringify(at)},"events":[${eventJson.join(",")}]}`,
    ),
  );
}

function cut(bytes: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += PART_BYTES) {
    parts.push(bytes.slice(at, at + PART_BYTES));
  }
  return parts;
}

/**
 * Joins parts written by {@linkcode toParts} back into the group.
 *
 * @param parts The parts, in order.
 * @returns The group.
 */
export function fromParts(parts: readonly Uint8Array[]): StoredGroup {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  // Not JSON.parse: a key such as "\u0000" could come back as another key
  // (Deno 2.9.6's JSON.parse defect, see src/events/json_text.ts).
  return parseJsonText(decoder.decode(bytes)) as StoredGroup;
}
