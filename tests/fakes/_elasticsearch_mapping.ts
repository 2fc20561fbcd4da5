/**
 * The dynamic mapping of the fake Elasticsearch: what an index without an
 * index template does with each new field of a document, and the documents
 * it refuses for it.
 *
 * Modelled on Elasticsearch's defaults:
 * - "Dynamic field mapping"
 *   (https://www.elastic.co/docs/manage-data/data-store/mapping/dynamic-field-mapping):
 *   an integer becomes `long`, a decimal number `float`, a string `date`
 *   when it is a date (date detection) else `text` with a `keyword`
 *   sub-field, `true`/`false` `boolean`, an object `object`; `null` and `[]`
 *   add nothing; an array's elements share their field.
 * - "Mapping limit settings"
 *   (https://www.elastic.co/docs/reference/elasticsearch/index-settings/mapping-limit):
 *   `index.mapping.depth.limit` 20 ("if there is one object mapping, then
 *   the depth is 2"), `index.mapping.total_fields.limit` 1000 (objects and
 *   multi-fields count, so a dynamic string counts 2).
 * - The answers, from real bodies: an empty field name is
 *   `mapper_parsing_exception` "failed to parse" caused by
 *   `illegal_argument_exception` "field name cannot be an empty string"
 *   (elastic/elasticsearch#70960; issue 11 saw the same from a real
 *   server); a dotted name with an empty part "object field starting or
 *   ending with a [.] makes object resolution ambiguous" (#23348), a blank
 *   one "object field cannot contain only whitespace" (#27709); a long out
 *   of range is "failed to parse field [f] of type [long] in document with
 *   id 'x'. Preview of field's value: 'v'" caused by
 *   `input_coercion_exception` "Numeric value (v) out of range of long"
 *   (#57272); a value where an object is mapped "object mapping for [f]
 *   tried to parse field [k] as object, but found a concrete value"
 *   (elastic/integrations#20913); "Limit of mapping depth [20] has been
 *   exceeded due to object field [f]" (#17400) and "Limit of total fields
 *   [1000] has been exceeded while adding new fields [n]". Elasticsearch 8
 *   wraps the last ones in `document_parsing_exception` with the cause
 *   nested; the fake does the same for all but the field-name errors.
 *
 * Simplifications: the `[line:column]` of a reason is always `[1:1]`; a
 * number is an integer when JavaScript reads it as one below 1e21 (as
 * `JSON.stringify` writes it without an exponent); a date is what the fake's
 * `isIsoTimestamp` takes; values of other types into a mapped leaf field
 * are coerced (accepted) except a non-numeric string into a number field
 * and a non-date string into a date field.
 *
 * @module
 */
import type { ErrorCause } from "./_elasticsearch_bulk.ts";
import { isIsoTimestamp } from "./_wire.ts";

/** The types the fake's dynamic mapping gives a field. */
export type FieldType =
  | "object"
  | "long"
  | "float"
  | "date"
  | "text"
  | "boolean";

const DEPTH_LIMIT = 20;
const TOTAL_FIELDS_LIMIT = 1000;
const LONG_LIMIT = 2 ** 63;
const FLOAT_MAX = 3.4028234663852886e38;
const LONG_RANGE = "(-9223372036854775808 - 9223372036854775807)";

/** Thrown inside a walk: the item's error. */
class Refusal {
  constructor(readonly cause: ErrorCause) {}
}

/** One index's mapping, grown by the documents it takes. */
export class DynamicMapping {
  readonly #fields = new Map<string, FieldType>();
  #total = 0;

  /** The mapped fields, by dotted path. */
  get fields(): ReadonlyMap<string, FieldType> {
    return this.#fields;
  }

  /**
   * Maps a document's fields; returns the item error when the index
   * refuses it (the mapping is then left as it was).
   */
  apply(source: Record<string, unknown>, id: string): ErrorCause | undefined {
    const added = new Map<string, FieldType>();
    try {
      this.#object(source, "", 1, id, added);
    } catch (error) {
      if (error instanceof Refusal) return error.cause;
      throw error;
    }
    let more = 0;
    for (const type of added.values()) more += weight(type);
    if (this.#total + more > TOTAL_FIELDS_LIMIT) {
      return parsing(
        `Limit of total fields [${TOTAL_FIELDS_LIMIT}] has been exceeded while adding new fields [${added.size}]`,
      );
    }
    for (const [path, type] of added) this.#fields.set(path, type);
    this.#total += more;
    return undefined;
  }

  #type(path: string, added: Map<string, FieldType>): FieldType | undefined {
    return this.#fields.get(path) ?? added.get(path);
  }

  #object(
    object: Record<string, unknown>,
    prefix: string,
    depth: number,
    id: string,
    added: Map<string, FieldType>,
  ): void {
    for (const [key, value] of Object.entries(object)) {
      const full = prefix + key;
      if (key === "") {
        throw new Refusal(fieldName("field name cannot be an empty string"));
      }
      const segments = key.split(".");
      if (segments.some((segment) => segment === "")) {
        throw new Refusal(fieldName(
          `object field starting or ending with a [.] makes object resolution ambiguous: [${full}]`,
        ));
      }
      if (segments.some((segment) => segment.trim() === "")) {
        throw new Refusal(fieldName(
          `object field cannot contain only whitespace: ['${full}']`,
        ));
      }
      // "a.b" is the object a holding b.
      let path = prefix;
      let level = depth;
      for (const segment of segments.slice(0, -1)) {
        path += segment;
        level++;
        this.#enterObject(path, segment, level, id, added);
        path += ".";
      }
      const leaf = segments.at(-1)!;
      this.#value(value, path + leaf, leaf, level, id, added);
    }
  }

  #enterObject(
    path: string,
    name: string,
    depth: number,
    id: string,
    added: Map<string, FieldType>,
  ): void {
    const type = this.#type(path, added);
    if (type !== undefined && type !== "object") {
      throw new Refusal(parsing(
        `failed to parse field [${path}] of type [${type}] in document with id '${id}'. Preview of field's value: '{${name}…}'`,
        {
          type: "illegal_state_exception",
          reason: "Can't get text on a START_OBJECT at 1:1",
        },
      ));
    }
    if (depth > DEPTH_LIMIT) {
      throw new Refusal(parsing(
        `Limit of mapping depth [${DEPTH_LIMIT}] has been exceeded due to object field [${path}]`,
      ));
    }
    if (type === undefined) added.set(path, "object");
  }

  #value(
    value: unknown,
    path: string,
    name: string,
    depth: number,
    id: string,
    added: Map<string, FieldType>,
  ): void {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      for (const element of value) {
        this.#value(element, path, name, depth, id, added);
      }
      return;
    }
    if (typeof value === "object") {
      this.#enterObject(path, name, depth + 1, id, added);
      this.#object(
        value as Record<string, unknown>,
        `${path}.`,
        depth + 1,
        id,
        added,
      );
      return;
    }
    const type = this.#type(path, added);
    if (type === "object") {
      throw new Refusal({
        type: "document_parsing_exception",
        reason:
          `[1:1] object mapping for [${path}] tried to parse field [${name}] as object, but found a concrete value`,
      });
    }
    const refuse = (cause: ErrorCause, as: FieldType): never => {
      throw new Refusal(parsing(
        `failed to parse field [${path}] of type [${as}] in document with id '${id}'. Preview of field's value: '${
          String(value)
        }'`,
        cause,
      ));
    };
    if (typeof value === "number") {
      const integer = Number.isInteger(value) && Math.abs(value) < 1e21;
      const as = type ?? (integer ? "long" : "float");
      if (as === "long" && Math.abs(value) >= LONG_LIMIT) {
        refuse(
          integer
            ? {
              type: "input_coercion_exception",
              reason: `Numeric value (${
                BigInt(value)
              }) out of range of long ${LONG_RANGE}`,
            }
            : {
              type: "illegal_argument_exception",
              reason: `Value [${value}] is out of range for a long`,
            },
          as,
        );
      }
      if (as === "float" && Math.abs(value) > FLOAT_MAX) {
        refuse({
          type: "illegal_argument_exception",
          reason: `[float] supports only finite values, but got [${
            value > 0 ? "Infinity" : "-Infinity"
          }]`,
        }, as);
      }
      if (type === undefined) added.set(path, as);
      return;
    }
    if (typeof value === "string") {
      if ((type === "long" || type === "float") && !isNumeric(value)) {
        refuse({
          type: "number_format_exception",
          reason: `For input string: "${value}"`,
        }, type);
      }
      if (type === "date" && !isIsoTimestamp(value)) {
        refuse({
          type: "illegal_argument_exception",
          reason:
            `failed to parse date field [${value}] with format [strict_date_optional_time||epoch_millis]`,
        }, type);
      }
      if (type === undefined) {
        added.set(path, isIsoTimestamp(value) ? "date" : "text");
      }
      return;
    }
    if (typeof value === "boolean" && type === undefined) {
      added.set(path, "boolean");
    }
  }
}

/** Whether an index template's `index_patterns` (with `*` wildcards) match an index. */
export function matchesPatterns(patterns: unknown, index: string): boolean {
  if (!Array.isArray(patterns)) return false;
  return patterns.some((pattern) =>
    typeof pattern === "string" &&
    new RegExp(
      `^${
        pattern.split("*").map((part) =>
          part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")
        ).join(".*")
      }$`,
    ).test(index)
  );
}

// A dynamic string is text plus a keyword sub-field.
function weight(type: FieldType): number {
  return type === "text" ? 2 : 1;
}

function isNumeric(text: string): boolean {
  return text.trim() !== "" && Number.isFinite(Number(text));
}

function fieldName(reason: string): ErrorCause {
  return {
    type: "mapper_parsing_exception",
    reason: "failed to parse",
    caused_by: { type: "illegal_argument_exception", reason },
  };
}

function parsing(
  reason: string,
  cause: ErrorCause = { type: "illegal_argument_exception", reason },
): ErrorCause {
  return {
    type: "document_parsing_exception",
    reason: `[1:1] ${
      cause.reason === reason ? `failed to parse: ${reason}` : reason
    }`,
    caused_by: cause,
  };
}
