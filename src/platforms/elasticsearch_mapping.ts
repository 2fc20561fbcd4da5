/**
 * What a default (dynamic) Elasticsearch mapping can never take: the check
 * that lets an Elasticsearch or OpenSearch destination refuse such metadata
 * when the event is accepted, with the field named, instead of
 * dead-lettering it after the server refused it. Destinations whose index
 * uses the module's template (`metadata` as one `flattened` field, see
 * `index_template.ts`) do not need it.
 *
 * The limits are Elasticsearch's defaults:
 * - "Mapping limit settings"
 *   (https://www.elastic.co/docs/reference/elasticsearch/index-settings/mapping-limit):
 *   `index.mapping.depth.limit` 20 ("if there is one object mapping, then
 *   the depth is 2"), `index.mapping.total_fields.limit` 1000.
 * - "Dynamic field mapping"
 *   (https://www.elastic.co/docs/manage-data/data-store/mapping/dynamic-field-mapping):
 *   a JSON integer becomes `long`, a floating point number `float`, a string
 *   `text` with a `keyword` sub-field.
 * - Field names: a dotted key is an object path, so an empty key, and a key
 *   with an empty or blank segment (`".b"`, `"a."`, `"a..b"`, `" "`) is refused
 *   ("field name cannot be an empty string", "object field starting or
 *   ending with a [.] makes object resolution ambiguous").
 *
 * @module
 */

/** Elasticsearch's default `index.mapping.depth.limit`. */
export const DEFAULT_MAPPING_DEPTH_LIMIT = 20;
/** Elasticsearch's default `index.mapping.total_fields.limit`. */
export const DEFAULT_TOTAL_FIELDS_LIMIT = 1000;

// The document's own mapped fields besides metadata (@timestamp, ids, names,
// timestamps, severity ...), counted against the total fields limit.
const OWN_FIELDS = 17;
const LONG_LIMIT = 2 ** 63;
const FLOAT_MAX = 3.4028234663852886e38;

/**
 * The first part of `metadata` that a default dynamic mapping always
 * refuses, as a sentence naming the field, or `undefined` when there is none.
 *
 * @example
 * ```ts
 * import { dynamicMappingProblem } from "./elasticsearch_mapping.ts";
 *
 * const problem = dynamicMappingProblem({ ".b": 1 });
 * if (problem !== 'metadata key ".b" has an empty segment: Elasticsearch reads dots as object paths and refuses it') {
 *   throw new Error(problem);
 * }
 * ```
 *
 * @param metadata The event's metadata.
 * @returns Why the default mapping refuses it, or `undefined`.
 */
export function dynamicMappingProblem(
  metadata: Readonly<Record<string, unknown>>,
): string | undefined {
  // Mapped field paths: an array's elements share their fields.
  const fields = new Set<string>(["metadata"]);
  const tooMany = (): string | undefined =>
    fields.size + OWN_FIELDS > DEFAULT_TOTAL_FIELDS_LIMIT
      ? `metadata has more fields than Elasticsearch's default limit of ${DEFAULT_TOTAL_FIELDS_LIMIT} per index (index.mapping.total_fields.limit)`
      : undefined;
  const visit = (value: unknown, path: string): string | undefined => {
    if (Array.isArray(value)) {
      for (const element of value) {
        const problem = visit(element, path);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    if (typeof value === "object" && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        if (child === undefined) continue;
        if (key.length === 0) {
          return `metadata has an empty key${
            path === "metadata" ? "" : ` in ${path}`
          }: Elasticsearch refuses an empty field name`;
        }
        const segments = key.split(".");
        if (segments.some((segment) => segment.trim().length === 0)) {
          return `metadata key ${
            JSON.stringify(key)
          } has an empty segment: Elasticsearch reads dots as object paths and refuses it`;
        }
        // Each dot of a key is an object of its own.
        let childPath = path;
        for (const [i, segment] of segments.entries()) {
          childPath = `${childPath}.${segment}`;
          fields.add(childPath);
          const isObject = i < segments.length - 1 ||
            (typeof child === "object" && child !== null &&
              !Array.isArray(child));
          if (isObject) {
            const depth = childPath.split(".").length + 1;
            if (depth > DEFAULT_MAPPING_DEPTH_LIMIT) {
              return `${childPath} nests deeper than Elasticsearch's default mapping depth limit of ${DEFAULT_MAPPING_DEPTH_LIMIT} (index.mapping.depth.limit)`;
            }
          }
        }
        const problem = visit(child, childPath) ?? tooMany();
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    if (typeof value === "number") return numberProblem(value, path);
    // A dynamic string is text plus a keyword sub-field: two fields.
    if (typeof value === "string") fields.add(`${path}.keyword`);
    return undefined;
  };
  return visit(metadata, "metadata");
}

function numberProblem(value: number, path: string): string | undefined {
  // JSON.stringify writes integers below 1e21 without an exponent, which
  // Elasticsearch reads as a long.
  if (
    Number.isInteger(value) && Math.abs(value) < 1e21 &&
    (value >= LONG_LIMIT || value < -LONG_LIMIT)
  ) {
    return `${path} is ${value}, out of the range of the long that Elasticsearch maps an integer to`;
  }
  if (Math.abs(value) > FLOAT_MAX) {
    return `${path} is ${value}, out of the range of the float that Elasticsearch maps a decimal number to`;
  }
  return undefined;
}
