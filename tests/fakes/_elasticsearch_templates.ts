/**
 * The fake Elasticsearch's `PUT /_index_template/{name}`: validates the body
 * as Elasticsearch does for what the module sends (index patterns, known
 * field types, a data stream's `@timestamp`) and stores it.
 *
 * Elasticsearch API docs, "Create or update an index template":
 * https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-indices-put-index-template.
 * An unknown field type fails with `mapper_parsing_exception` "No handler
 * for type [T] declared on field [F]" (OpenSearch's `flat_object` is one).
 *
 * @module
 */
import type { ErrorCause } from "./_elasticsearch_bulk.ts";

/** Field types Elasticsearch 8/9 knows, of those a template may use here. */
const KNOWN_TYPES = new Set([
  "keyword",
  "text",
  "match_only_text",
  "date",
  "date_nanos",
  "long",
  "integer",
  "short",
  "byte",
  "double",
  "float",
  "boolean",
  "object",
  "nested",
  "flattened",
  "ip",
  "wildcard",
  "constant_keyword",
]);

/**
 * Field types OpenSearch 2.x knows, of those a template may use here:
 * `flat_object` in place of `flattened`
 * (https://docs.opensearch.org/latest/field-types/supported-field-types/index/).
 */
const OPENSEARCH_TYPES = new Set([
  ...[...KNOWN_TYPES].filter((type) =>
    type !== "flattened" && type !== "constant_keyword"
  ),
  "flat_object",
]);

/** An accepted template, as stored. */
export interface StoredTemplate {
  /** The template's name. */
  name: string;
  /** The body as sent. */
  body: Record<string, unknown>;
}

/** Either the stored template or the error the server answers. */
export type TemplateOutcome =
  | { ok: true; template: StoredTemplate }
  | { ok: false; status: number; cause: ErrorCause };

/** Validates a template body as Elasticsearch (or OpenSearch) would. */
export function checkIndexTemplate(
  name: string,
  text: string,
  engine: "elasticsearch" | "opensearch" = "elasticsearch",
): TemplateOutcome {
  const known = engine === "opensearch" ? OPENSEARCH_TYPES : KNOWN_TYPES;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return invalid("x_content_parse_exception", "failed to parse the body");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return invalid("x_content_parse_exception", "the body must be an object");
  }
  const record = body as Record<string, unknown>;
  const patterns = record.index_patterns;
  if (
    !Array.isArray(patterns) || patterns.length === 0 ||
    !patterns.every((p) => typeof p === "string" && p.length > 0)
  ) {
    return invalid(
      "action_request_validation_exception",
      "Validation Failed: 1: index patterns are missing;",
    );
  }
  const template = record.template as
    | { mappings?: { properties?: Record<string, unknown> } }
    | undefined;
  const properties = template?.mappings?.properties ?? {};
  for (const [field, mapping] of Object.entries(properties)) {
    const type = (mapping as { type?: unknown }).type;
    if (typeof type === "string" && !known.has(type)) {
      return invalid(
        "mapper_parsing_exception",
        `No handler for type [${type}] declared on field [${field}]`,
      );
    }
  }
  if (record.data_stream !== undefined) {
    const timestamp = properties["@timestamp"] as
      | { type?: unknown }
      | undefined;
    if (
      timestamp !== undefined && timestamp.type !== "date" &&
      timestamp.type !== "date_nanos"
    ) {
      return invalid(
        "illegal_argument_exception",
        "data stream timestamp field [@timestamp] is of type [" +
          String(timestamp.type) + "], but [date,date_nanos] is expected",
      );
    }
  }
  return { ok: true, template: { name, body: record } };
}

function invalid(type: string, reason: string): TemplateOutcome {
  return { ok: false, status: 400, cause: { type, reason } };
}
