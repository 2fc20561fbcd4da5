/**
 * An event as it was accepted: its JSON is written once, when the event is
 * accepted, and every request that carries the event sends those bytes.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";

/** An event and its JSON as accepted. */
export interface AcceptedEvent {
  /** The event, as handed back in dead letters and reports. */
  event: SIEMEvent;
  /**
   * `JSON.stringify(event)` at acceptance. Retries and split halves send
   * this, never a new serialization of the event object: a caller that
   * keeps a reference and changes it later (even into something JSON
   * cannot hold) cannot change or lose what was accepted.
   */
  json: string;
  /** The size of `json` in UTF-8 bytes, which buffer limits count. */
  bytes: number;
}

/**
 * Serializes an event once, at acceptance.
 *
 * @example
 * ```ts ignore
 * const accepted = acceptEvent(siemEvent);
 * accepted.bytes; // the UTF-8 size of accepted.json
 * ```
 *
 * @param event The validated event.
 * @param json Its JSON, when the caller already wrote it.
 * @returns The event with its JSON and size.
 * @throws {TypeError} When the event is not JSON data (validation prevents it).
 */
export function acceptEvent(
  event: SIEMEvent,
  json: string = JSON.stringify(event),
): AcceptedEvent {
  return { event, json, bytes: utf8Length(json) };
}

const NON_ASCII = /[\u0080-\uFFFF]/;

/**
 * The UTF-8 size of a string, without encoding it.
 *
 * @example
 * ```ts ignore
 * utf8Length("é😀"); // 6
 * ```
 *
 * @param text The string.
 * @returns Its size in UTF-8 bytes (a lone surrogate counts 3, as
 * `TextEncoder` writes U+FFFD).
 */
export function utf8Length(text: string): number {
  // Most event JSON is ASCII: one native scan instead of a loop.
  if (!NON_ASCII.test(text)) return text.length;
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) {
      bytes += 1;
    } else if (
      code >= 0xd800 && code <= 0xdbff && i + 1 < text.length &&
      (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      // A surrogate pair: 2 UTF-16 units, 4 bytes.
      bytes += 2;
      i++;
    } else {
      bytes += 2;
    }
  }
  return bytes;
}
