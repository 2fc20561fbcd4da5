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
import type { SIEMConfig } from "./siem_config.ts";

/** Elasticsearch's default `index.mapping.depth.limit`. */
export const DEFAULT_MAPPING_DEPTH_LIMIT = 20;
/** Elasticsearch's default `index.mapping.total_fields.limit`. */
export const DEFAULT_TOTAL_FIELDS_LIMIT = 1000;

// The document's own mapped fields besides metadata, at most, counted
// against the total fields limit: @timestamp, timestamp and
// original_timestamp (dates, one field each), duration_ms (long), and 11
// strings (text plus keyword: two each).
const OWN_FIELDS = 26;
const LONG_LIMIT = 2 ** 63;
const FLOAT_MAX = 3.4028234663852886e38;

/** A part of metadata a default dynamic mapping refuses: where, and why. */
export interface MappingIssue {
  /** The field's dotted path from the event (`metadata.a.b`); for a bad key, the object holding it. */
  path: string;
  /** Why Elasticsearch refuses it, in a sentence that names the field. */
  message: string;
}

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
  return dynamicMappingIssue(metadata)?.message;
}

/**
 * The first part of `metadata` that a default dynamic mapping always
 * refuses, with its path, or `undefined` when there is none.
 *
 * @example
 * ```ts
 * import { dynamicMappingIssue } from "./elasticsearch_mapping.ts";
 *
 * const issue = dynamicMappingIssue({ a: { n: 1e20 } });
 * if (issue?.path !== "metadata.a.n") throw new Error(issue?.path);
 * ```
 *
 * @param metadata The event's metadata.
 * @returns Where and why the default mapping refuses it, or `undefined`.
 */
export function dynamicMappingIssue(
  metadata: Readonly<Record<string, unknown>>,
): MappingIssue | undefined {
  // Mapped field paths: an array's elements share their fields.
  const fields = new Set<string>(["metadata"]);
  const tooMany = (path: string): MappingIssue | undefined =>
    fields.size + OWN_FIELDS > DEFAULT_TOTAL_FIELDS_LIMIT
      ? {
        path,
        message:
          `metadata has more fields than Elasticsearch's default limit of ${DEFAULT_TOTAL_FIELDS_LIMIT} per index (index.mapping.total_fields.limit), counting ${path}`,
      }
      : undefined;
  // `depth` is the number of segments in `path`: every accepted event's
  // metadata is walked, so the depth is counted, not split out of the path.
  const visit = (
    value: unknown,
    path: string,
    depth: number,
  ): MappingIssue | undefined => {
    if (Array.isArray(value)) {
      for (const element of value) {
        const problem = visit(element, path, depth);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    if (typeof value === "object" && value !== null) {
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        const child = (value as Record<string, unknown>)[key];
        if (child === undefined) continue;
        if (key.length === 0) {
          return {
            path,
            message: `metadata has an empty key${
              path === "metadata" ? "" : ` in ${path}`
            }: Elasticsearch refuses an empty field name`,
          };
        }
        const segments = key.includes(".") ? key.split(".") : [key];
        if (segments.some((segment) => segment.trim().length === 0)) {
          return {
            path,
            message: `metadata key ${
              JSON.stringify(key)
            } has an empty segment: Elasticsearch reads dots as object paths and refuses it`,
          };
        }
        // Each dot of a key is an object of its own.
        let childPath = path;
        let childDepth = depth;
        for (let i = 0; i < segments.length; i++) {
          childPath = `${childPath}.${segments[i]}`;
          childDepth++;
          fields.add(childPath);
          const isObject = i < segments.length - 1 ||
            (typeof child === "object" && child !== null &&
              !Array.isArray(child));
          if (isObject && childDepth + 1 > DEFAULT_MAPPING_DEPTH_LIMIT) {
            return {
              path: childPath,
              message:
                `${childPath} nests deeper than Elasticsearch's default mapping depth limit of ${DEFAULT_MAPPING_DEPTH_LIMIT} (index.mapping.depth.limit)`,
            };
          }
        }
        const problem = visit(child, childPath, childDepth) ??
          tooMany(childPath);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    if (typeof value === "number") return numberProblem(value, path);
    // A dynamic string is text plus a keyword sub-field: two fields.
    if (typeof value === "string") fields.add(`${path}.keyword`);
    return undefined;
  };
  return visit(metadata, "metadata", 1);
}

function numberProblem(value: number, path: string): MappingIssue | undefined {
  // JSON.stringify writes integers below 1e21 without an exponent, which
  // Elasticsearch reads as a long.
  if (
    Number.isInteger(value) && Math.abs(value) < 1e21 &&
    (value >= LONG_LIMIT || value < -LONG_LIMIT)
  ) {
    return {
      path,
      message:
        `${path} is ${value}, out of the range of the long that Elasticsearch maps an integer to`,
    };
  }
  if (Math.abs(value) > FLOAT_MAX) {
    return {
      path,
      message:
        `${path} is ${value}, out of the range of the float that Elasticsearch maps a decimal number to`,
    };
  }
  return undefined;
}

// The platforms that index events with Elasticsearch's dynamic mapping
// unless the index has the module's template. A string set, so that a
// platform added later ("opensearch") only needs its name here.
const DYNAMIC_MAPPING_PLATFORMS: ReadonlySet<string> = new Set([
  "elasticsearch",
  "opensearch",
]);

/**
 * Whether a destination's index maps metadata dynamically, so that events
 * whose metadata such a mapping refuses must be refused at acceptance: an
 * Elasticsearch (or OpenSearch) destination without `indexTemplate: true`.
 *
 * @example
 * ```ts
 * import { mapsMetadataDynamically } from "./elasticsearch_mapping.ts";
 * import { parseSIEMConfig } from "./siem_config.ts";
 *
 * const config = parseSIEMConfig({ platform: "elasticsearch", endpoint: "http://127.0.0.1:9200" });
 * if (!mapsMetadataDynamically(config)) throw new Error("expected a dynamic mapping");
 * ```
 *
 * @param config The destination's config.
 * @returns True when the metadata check applies.
 */
export function mapsMetadataDynamically(config: SIEMConfig): boolean {
  return DYNAMIC_MAPPING_PLATFORMS.has(config.platform) &&
    !config.indexTemplate;
}

/**
 * Why an event's metadata must be refused at acceptance, or `undefined`:
 * when one of `configs` maps metadata dynamically (see
 * {@linkcode mapsMetadataDynamically}) and the metadata has a part such a
 * mapping always refuses. The event is then refused as a whole, for every
 * destination, so that every accepted event still goes to every destination.
 *
 * @example
 * ```ts
 * import { metadataRefusal } from "./elasticsearch_mapping.ts";
 * import { parseSIEMConfig } from "./siem_config.ts";
 *
 * const es = parseSIEMConfig({ platform: "elasticsearch", endpoint: "http://127.0.0.1:9200" });
 * const refusal = metadataRefusal([es], { "": 1 });
 * if (refusal?.path !== "metadata") throw new Error("expected a refusal");
 * ```
 *
 * @param configs The enabled destinations' configs.
 * @param metadata The event's metadata.
 * @returns The field and the reason, naming the destination and the fix.
 */
export function metadataRefusal(
  configs: readonly SIEMConfig[],
  metadata: Readonly<Record<string, unknown>> | undefined,
): MappingIssue | undefined {
  if (metadata === undefined) return undefined;
  const dynamic = configs.find(mapsMetadataDynamically);
  if (dynamic === undefined) return undefined;
  const issue = dynamicMappingIssue(metadata);
  if (issue === undefined) return undefined;
  return {
    path: issue.path,
    message:
      `${issue.message} (destination "${dynamic.name}" has no index template: install it with \`deno task setup-index\` and set indexTemplate: true)`,
  };
}

/** An event refused at acceptance: its position in the batch, the field, and why. */
export interface RefusedMetadata extends MappingIssue {
  /** The event's position in the batch, from 0. */
  index: number;
}

/**
 * {@linkcode metadataRefusal} for a batch: one entry per event refused
 * (its first problem), in order.
 *
 * @example
 * ```ts
 * import { metadataRefusals } from "./elasticsearch_mapping.ts";
 * import { parseSIEMConfig } from "./siem_config.ts";
 *
 * const es = parseSIEMConfig({ platform: "elasticsearch", endpoint: "http://127.0.0.1:9200" });
 * const refused = metadataRefusals([es], [{ metadata: {} }, { metadata: { "..": 1 } }]);
 * if (refused[0]?.index !== 1) throw new Error("expected the second event");
 * ```
 *
 * @param configs The enabled destinations' configs.
 * @param events The events.
 * @returns The refused events, empty when all may be accepted.
 */
export function metadataRefusals(
  configs: readonly SIEMConfig[],
  events: readonly { metadata?: Readonly<Record<string, unknown>> }[],
): RefusedMetadata[] {
  if (!configs.some(mapsMetadataDynamically)) return [];
  const refused: RefusedMetadata[] = [];
  for (let index = 0; index < events.length; index++) {
    const issue = metadataRefusal(configs, events[index]!.metadata);
    if (issue !== undefined) refused.push({ index, ...issue });
  }
  return refused;
}
