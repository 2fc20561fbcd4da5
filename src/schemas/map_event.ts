/**
 * The schema mappings: an event as the document each standard schema
 * describes, one pure function per schema.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { toCIM } from "./cim.ts";
import { toDatadogAttributes } from "./datadog_attributes.ts";
import { toECS } from "./ecs.ts";
import { toOCSF } from "./ocsf.ts";
import type { SIEMSchema } from "./siem_schema.ts";

/**
 * The document of an event in a schema, or `undefined` for `"native"` (the
 * SIEM event itself).
 *
 * @param schema The destination's schema.
 * @param event The SIEM event.
 * @returns The mapped document.
 */
export function mapEvent(
  schema: SIEMSchema,
  event: SIEMEvent,
): object | undefined {
  switch (schema) {
    case "native":
      return undefined;
    case "ecs":
      return toECS(event);
    case "ocsf":
      return toOCSF(event);
    case "cim":
      return toCIM(event);
    case "datadog":
      return toDatadogAttributes(event);
  }
}
