/**
 * The explicit mapping of an index an installed template matches: each
 * document is parsed against the template's `properties`, and one whose
 * value disagrees with a mapped field's type is refused as Elasticsearch
 * refuses it (`document_parsing_exception` "failed to parse field [f] of
 * type [t] in document with id 'x'", caused by the parser's error; a
 * concrete value where an object is mapped "object mapping for [f] tried to
 * parse field [k] as object, but found a concrete value"). Fields the
 * template does not name are kept unmapped (`dynamic: false`).
 *
 * Coercion as Elasticsearch's defaults do
 * (https://www.elastic.co/docs/reference/elasticsearch/mapping-reference/coerce):
 * a keyword or text takes any scalar; a long takes a whole number or a
 * numeric string; a date an ISO 8601 string or epoch milliseconds; a
 * boolean `true`/`false` or their strings; an object value is refused by
 * every leaf type; `flattened`/`flat_object` takes any object.
 *
 * @module
 */
import type { ErrorCause } from "./_elasticsearch_bulk.ts";
import { isIsoTimestamp } from "./_wire.ts";

interface FieldMapping {
  type?: string;
  properties?: Record<string, FieldMapping>;
}

const TEXT = new Set([
  "keyword",
  "text",
  "match_only_text",
  "wildcard",
  "constant_keyword",
]);
const LONG_LIMIT = 2 ** 63;

/** A template's mapping, checking each document against it. */
export class TemplateMapping {
  readonly #properties: Record<string, FieldMapping>;

  /**
   * @param properties The template's `mappings.properties`.
   */
  constructor(properties: Record<string, FieldMapping>) {
    this.#properties = properties;
  }

  /**
   * Parses a document against the mapping.
   *
   * @param source The document.
   * @param id Its `_id`.
   * @returns The error Elasticsearch answers, or `undefined` when it is taken.
   */
  apply(source: Record<string, unknown>, id: string): ErrorCause | undefined {
    return objectError(source, this.#properties, "", id);
  }
}

function objectError(
  value: Record<string, unknown>,
  properties: Record<string, FieldMapping>,
  prefix: string,
  id: string,
): ErrorCause | undefined {
  for (const [key, child] of Object.entries(value)) {
    const mapping = properties[key];
    if (mapping === undefined || child === null) continue;
    const path = `${prefix}${key}`;
    const values = Array.isArray(child) ? child : [child];
    for (const item of values) {
      const error = fieldError(item, mapping, path, key, id);
      if (error !== undefined) return error;
    }
  }
  return undefined;
}

function fieldError(
  value: unknown,
  mapping: FieldMapping,
  path: string,
  key: string,
  id: string,
): ErrorCause | undefined {
  const isObject = typeof value === "object" && value !== null;
  if (mapping.properties !== undefined) {
    if (!isObject) {
      return {
        type: "document_parsing_exception",
        reason:
          `[1:1] object mapping for [${path}] tried to parse field [${key}] as object, but found a concrete value`,
      };
    }
    return objectError(
      value as Record<string, unknown>,
      mapping.properties,
      `${path}.`,
      id,
    );
  }
  const type = mapping.type ?? "object";
  if (type === "flattened" || type === "flat_object") return undefined;
  const refuse = (cause: ErrorCause): ErrorCause => ({
    type: "document_parsing_exception",
    reason:
      `[1:1] failed to parse field [${path}] of type [${type}] in document with id '${id}'. Preview of field's value: '${
        isObject ? JSON.stringify(value) : String(value)
      }'`,
    caused_by: cause,
  });
  if (isObject) {
    return refuse({
      type: "illegal_state_exception",
      reason: "Can't get text on a START_OBJECT at 1:1",
    });
  }
  if (TEXT.has(type)) return undefined;
  if (type === "long") {
    const number = typeof value === "string" ? Number(value) : value;
    if (
      typeof number !== "number" || !Number.isFinite(number) ||
      number >= LONG_LIMIT || number < -LONG_LIMIT ||
      (typeof value === "string" && value.trim() === "")
    ) {
      return refuse({
        type: "illegal_argument_exception",
        reason: `For input string: "${String(value)}"`,
      });
    }
    return undefined;
  }
  if (type === "date" || type === "date_nanos") {
    if (
      (typeof value === "string" && isIsoTimestamp(value)) ||
      (typeof value === "number" && Number.isInteger(value))
    ) return undefined;
    return refuse({
      type: "illegal_argument_exception",
      reason: `failed to parse date field [${
        String(value)
      }] with format [strict_date_optional_time||epoch_millis]`,
    });
  }
  if (type === "boolean") {
    if (
      value === true || value === false || value === "true" || value === "false"
    ) {
      return undefined;
    }
    return refuse({
      type: "illegal_argument_exception",
      reason: `Failed to parse value [${
        String(value)
      }] as only [true] or [false] are allowed.`,
    });
  }
  return undefined;
}
