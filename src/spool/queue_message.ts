/**
 * Reading a message of the Queues spool: its destination and its events, or
 * why it cannot be delivered.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import type { SIEMConfig } from "../platforms/siem_config.ts";

/**
 * Reads a message body written by the Queues spool's sink.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readQueueMessage } from "./queue_message.ts";
 *
 * const read = readQueueMessage({ v: 2, events: [] }, new Map());
 * assert.ok("reason" in read);
 * assert.equal(read.reason, "unknown message version 2 (expected 1)");
 * ```
 *
 * @param body The message body.
 * @param configs The destinations, by name.
 * @returns Its enabled destination's config and its events, or the reason
 * it cannot be delivered (with its destination's name and its events, when
 * they could be read).
 */
export function readQueueMessage<Config extends SIEMConfig>(
  body: unknown,
  configs: Map<string, Config>,
):
  | { config: Config; events: SIEMEvent[] }
  | { reason: string; destination: string; events: SIEMEvent[] } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return {
      reason: "the message body is not an object",
      destination: "",
      events: [],
    };
  }
  const record = body as Record<string, unknown>;
  const destination = typeof record.destination === "string"
    ? record.destination
    : "";
  if (record.v !== 1) {
    return {
      reason: `unknown message version ${
        JSON.stringify(record.v) ?? "undefined"
      } (expected 1)`,
      destination,
      events: [],
    };
  }
  if (!Array.isArray(record.events)) {
    return {
      reason: "the message has no events array",
      destination,
      events: [],
    };
  }
  const bad = record.events.findIndex((event) => !isSIEMEvent(event));
  if (bad >= 0) {
    return {
      reason: `events[${bad}] is not a SIEM event`,
      destination,
      events: [],
    };
  }
  const events = record.events as SIEMEvent[];
  const config = configs.get(destination);
  if (!config) {
    return {
      reason: destination === ""
        ? "the message names no destination"
        : `unknown destination "${destination.slice(0, 200)}"`,
      destination,
      events,
    };
  }
  if (!config.enabled) {
    return {
      reason: `destination "${destination}" is disabled`,
      destination,
      events,
    };
  }
  return { config, events };
}

// Whether a value has what the exporters read from a SIEM event.
function isSIEMEvent(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return false;
  }
  const event = value as Record<string, unknown>;
  for (
    const field of [
      "event_id",
      "correlation_id",
      "timestamp",
      "event_type",
      "actor",
      "action",
      "status",
      "source",
      "severity",
    ]
  ) {
    if (typeof event[field] !== "string") return false;
  }
  return typeof event.metadata === "object" && event.metadata !== null &&
    !Array.isArray(event.metadata) &&
    !Number.isNaN(Date.parse(event.timestamp as string));
}
