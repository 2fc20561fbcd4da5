/**
 * Checks an OCSF document against the OCSF 1.8.0 API Activity class as
 * published (reproduced in `tests/fixtures/ocsf/api_activity_1.8.0.json`
 * from https://github.com/ocsf/ocsf-schema at tag 1.8.0 by
 * `tests/fixtures/ocsf/generate.ts`): every attribute exists in the class
 * or its object, required attributes are present (those of a profile only
 * when the event declares it in `metadata.profiles`), `at_least_one`
 * constraints hold, enum ids are among the defined ones, and each value has
 * its attribute's type.
 *
 * @module
 */
import schema from "../fixtures/ocsf/api_activity_1.8.0.json" with {
  type: "json",
};

interface Attribute {
  requirement: string;
  type: string;
  base_type?: string;
  is_array?: boolean;
  enum?: string[];
  profile?: string;
}

interface Definition {
  attributes: Record<string, Attribute>;
  constraints?: { at_least_one?: string[] };
}

const CLASS = schema.class as unknown as Definition;
const OBJECTS = schema.objects as unknown as Record<string, Definition>;

const COMPILED = new Set(["class_uid", "category_uid"]);

/** The published schema's source (repository, tag, commit, files). */
export const OCSF_SOURCE = schema.source;

function scalarProblem(type: string, value: unknown): string | undefined {
  switch (type) {
    case "string_t":
      return typeof value === "string" ? undefined : "is not a string";
    case "integer_t":
      return Number.isInteger(value) && Math.abs(value as number) < 2 ** 31
        ? undefined
        : "is not an integer";
    case "long_t":
      return Number.isSafeInteger(value) ? undefined : "is not a long";
    case "boolean_t":
      return typeof value === "boolean" ? undefined : "is not a boolean";
    case "object":
      return typeof value === "object" && value !== null &&
          !Array.isArray(value)
        ? undefined
        : "is not an object";
    default:
      return `has type ${type}, which this check does not know`;
  }
}

function check(
  doc: Record<string, unknown>,
  definition: Definition,
  path: string,
  profiles: readonly string[],
  problems: string[],
): void {
  for (const [name, attribute] of Object.entries(definition.attributes)) {
    const active = attribute.profile === undefined ||
      profiles.includes(attribute.profile);
    if (attribute.requirement === "required" && active && !(name in doc)) {
      problems.push(`${path}${name} is required`);
    }
  }
  const atLeastOne = definition.constraints?.at_least_one;
  if (atLeastOne && !atLeastOne.some((name) => name in doc)) {
    problems.push(`${path} needs at least one of ${atLeastOne.join(", ")}`);
  }
  for (const [name, value] of Object.entries(doc)) {
    const attribute = definition.attributes[name];
    const at = `${path}${name}`;
    if (attribute === undefined) {
      problems.push(`${at} is not an attribute here`);
      continue;
    }
    if (
      attribute.profile !== undefined && !profiles.includes(attribute.profile)
    ) {
      problems.push(
        `${at} belongs to profile ${attribute.profile}, not declared in metadata.profiles`,
      );
    }
    const values = attribute.is_array
      ? Array.isArray(value)
        ? value
        : (problems.push(`${at} is not an array`), [])
      : [value];
    for (const item of values) {
      const object = OBJECTS[attribute.type];
      if (object !== undefined) {
        if (typeof item !== "object" || item === null || Array.isArray(item)) {
          problems.push(`${at} is not an object`);
        } else {
          check(
            item as Record<string, unknown>,
            object,
            `${at}.`,
            profiles,
            problems,
          );
        }
        continue;
      }
      const scalar = attribute.type === "object" ||
          attribute.type.endsWith("_t") && attribute.base_type === undefined
        ? attribute.type
        : attribute.base_type ?? attribute.type;
      const problem = scalarProblem(scalar, item);
      if (problem) problems.push(`${at} ${problem}`);
      // The dictionary's class_uid and category_uid enums are placeholders
      // the schema compiler fills: those two are checked on their own.
      if (
        attribute.enum && !COMPILED.has(at) &&
        !attribute.enum.includes(String(item))
      ) {
        problems.push(`${at} is ${String(item)}, not one of its enum ids`);
      }
    }
  }
}

/**
 * Every way a document breaks the OCSF 1.8.0 API Activity class, as
 * sentences (empty when it conforms).
 *
 * @param doc The document.
 * @returns The problems.
 */
export function ocsfProblems(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const metadata = doc.metadata as { profiles?: string[] } | undefined;
  check(doc, CLASS, "", metadata?.profiles ?? [], problems);
  if (doc.class_uid !== schema.class.uid) {
    problems.push("class_uid is not 6003");
  }
  if (doc.category_uid !== schema.class.category_uid) {
    problems.push("category_uid is not 6");
  }
  if (doc.type_uid !== 600300 + (doc.activity_id as number)) {
    problems.push("type_uid is not class_uid * 100 + activity_id");
  }
  return problems;
}
