/**
 * Checks an ECS document against the field definitions ECS publishes in the
 * `@elastic/ecs` package (its generated flat field list, `EcsFlat`): every
 * field exists, its value has the declared type, and `event.kind`,
 * `event.category`, `event.type` and `event.outcome` take allowed values,
 * each category with types it expects. The one custom field set,
 * `harombe.*`, is left to the index template's own check.
 *
 * @module
 */
import { EcsFlat, EcsVersion } from "npm:@elastic/ecs@9.4.0";

interface FieldDefinition {
  type: string;
  normalize?: string[];
  object_type?: string;
  multi_fields?: { name: string; type: string }[];
  allowed_values?: { name: string; expected_event_types?: string[] }[];
}

const FIELDS = EcsFlat as unknown as Record<string, FieldDefinition>;

/** The ECS version of the package's definitions. */
export const PACKAGE_ECS_VERSION: string = EcsVersion;

/** The custom field set the mapping writes outside ECS. */
export const CUSTOM_PREFIX = "harombe.";

const STRING_TYPES = new Set([
  "keyword",
  "constant_keyword",
  "wildcard",
  "text",
  "match_only_text",
]);

function leaves(
  value: unknown,
  path: string,
  out: [string, unknown][],
): [string, unknown][] {
  if (
    typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(path !== "" && FIELDS[path]?.type === "object")
  ) {
    for (const [key, child] of Object.entries(value)) {
      leaves(child, path === "" ? key : `${path}.${key}`, out);
    }
  } else {
    out.push([path, value]);
  }
  return out;
}

function typeProblem(type: string, value: unknown): string | undefined {
  if (STRING_TYPES.has(type)) {
    return typeof value === "string" ? undefined : "is not a string";
  }
  if (type === "long") {
    return Number.isSafeInteger(value) ? undefined : "is not a whole number";
  }
  if (type === "date") {
    return typeof value === "string" && !Number.isNaN(Date.parse(value))
      ? undefined
      : "is not a date";
  }
  return `has type ${type}, which this check does not know`;
}

/**
 * Every way an ECS document breaks the published definitions, as sentences
 * (empty when it conforms).
 *
 * @param doc The document (nested objects).
 * @returns The problems.
 */
export function ecsProblems(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [path, value] of leaves(doc, "", [])) {
    if (path.startsWith(CUSTOM_PREFIX)) continue;
    const field = FIELDS[path];
    if (field === undefined) {
      problems.push(`${path} is not an ECS field`);
      continue;
    }
    if (field.type === "object") {
      // `labels`: custom keys whose values are all keywords.
      for (const [key, child] of Object.entries(value as object)) {
        const problem = typeProblem(field.object_type ?? "keyword", child);
        if (problem) problems.push(`${path}.${key} ${problem}`);
      }
      continue;
    }
    const isArray = field.normalize?.includes("array") ?? false;
    const values = Array.isArray(value) ? value : [value];
    if (Array.isArray(value) && !isArray) {
      problems.push(`${path} is an array but ECS declares one value`);
    }
    for (const item of values) {
      const problem = typeProblem(field.type, item);
      if (problem) problems.push(`${path} ${problem}`);
      const allowed = field.allowed_values;
      if (allowed && !allowed.some((a) => a.name === item)) {
        problems.push(`${path} takes ${JSON.stringify(item)}, not allowed`);
      }
    }
  }
  const event = doc.event as Record<string, unknown> | undefined;
  const categories = (event?.category ?? []) as string[];
  const types = (event?.type ?? []) as string[];
  for (const category of categories) {
    const expected = FIELDS["event.category"]!.allowed_values!.find((a) =>
      a.name === category
    )?.expected_event_types ?? [];
    for (const type of types) {
      if (!expected.includes(type)) {
        problems.push(
          `event.type ${type} is not expected with event.category ${category}`,
        );
      }
    }
  }
  return problems;
}

/**
 * The ECS type of a field, for the index template's check.
 *
 * @param path The field's dotted name.
 * @returns Its type, or `undefined` when ECS has no such field.
 */
export function ecsType(path: string): string | undefined {
  // `labels.*`: custom keys of an object whose values have one type.
  if (path.startsWith("labels.")) return FIELDS.labels?.object_type;
  return FIELDS[path]?.type;
}

/**
 * The type of a field's multi-field (`user.name.text`).
 *
 * @param path The field's dotted name.
 * @param name The multi-field's name.
 * @returns Its type, or `undefined` when ECS declares none.
 */
export function ecsMultiFieldType(
  path: string,
  name: string,
): string | undefined {
  return FIELDS[path]?.multi_fields?.find((f) => f.name === name)?.type;
}
