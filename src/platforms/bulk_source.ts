/**
 * The document line of a bulk action, shared by the Elasticsearch and
 * OpenSearch exporters.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import type { SIEMSchema } from "../schemas/siem_schema.ts";
import { type BodyWriter, utf8 } from "./body_writer.ts";

const TIMESTAMP_KEY = utf8('{"@timestamp":');
const COMMA = 0x2c;
const NEWLINE = 0x0a;

/**
 * Writes the document line of one event, ending with a newline: the
 * document with `@timestamp` first, which data streams require. An ECS
 * document has its own `@timestamp` first and is written as it is; any
 * other gets the event's timestamp put in front of its own fields.
 *
 * @param writer Where the body is written.
 * @param event The event.
 * @param json The document's JSON (an object).
 * @param schema The destination's schema.
 */
export function writeBulkSource(
  writer: BodyWriter,
  event: SIEMEvent,
  json: string,
  schema: SIEMSchema | undefined,
): void {
  if (schema === "ecs") {
    writer.writeString(json);
  } else {
    writer.writeBytes(TIMESTAMP_KEY);
    writer.writeJsonString(event.timestamp);
    writer.writeByte(COMMA);
    writer.writeString(json.slice(1));
  }
  writer.writeByte(NEWLINE);
}
