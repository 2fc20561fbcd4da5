/**
 * NDJSON framing and index-name rules of the fake Elasticsearch `_bulk`
 * endpoint (wire-specs §2.2), kept apart from its HTTP handling.
 *
 * @module
 */
import { parseJsonText } from "../../src/events/json_text.ts";

/** An Elasticsearch `ErrorCause`: `type`, `reason`, sometimes more. */
export interface ErrorCause {
  /** e.g. `"illegal_argument_exception"`. */
  type: string;
  /** Human-readable message. */
  reason: string;
  /** Extra members such as `index` or `index_uuid`. */
  [key: string]: unknown;
}

/** One action of a bulk body, with its source line when it needs one. */
export interface BulkOperation {
  /** The action name. */
  action: "index" | "create" | "update" | "delete";
  /** 1-based line number of the action line. */
  line: number;
  /** `_index` from the action metadata. */
  index?: string;
  /** `_id` from the action metadata. */
  id?: string;
  /** The raw source line (absent for `delete`). */
  source?: string;
}

const ACTIONS = new Set(["index", "create", "update", "delete"]);
const METADATA_KEYS = new Set([
  "_index",
  "_id",
  "routing",
  "if_seq_no",
  "if_primary_term",
  "version",
  "version_type",
  "pipeline",
  "require_alias",
  "require_data_stream",
  "dynamic_templates",
  "retry_on_conflict",
  "_source",
  "op_type",
  "list_executed_pipelines",
]);
const NEWLINE_REASON = "The bulk request must be terminated by a newline [\\n]";
const INVALID_CHARS = ["\\", "/", "*", "?", '"', "<", ">", "|", ",", " "];

/**
 * Splits a bulk body into operations, or returns the request-level error
 * Elasticsearch answers with status 400.
 */
export function parseBulkBody(text: string): BulkOperation[] | ErrorCause {
  if (text === "") {
    return { type: "parse_exception", reason: "request body is required" };
  }
  if (!text.endsWith("\n")) {
    return { type: "illegal_argument_exception", reason: NEWLINE_REASON };
  }
  const lines = text.slice(0, -1).split("\n").map((line) =>
    line.replace(/\r$/, "")
  );
  const operations: BulkOperation[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === "") continue;
    const operation = parseActionLine(line, i + 1);
    if ("reason" in operation) return operation;
    if (operation.action !== "delete") {
      const source = lines[i + 1];
      if (source === undefined || source === "") {
        return validationFailed("source is missing");
      }
      operation.source = source;
      i++;
    }
    operations.push(operation);
  }
  if (operations.length === 0) return validationFailed("no requests added");
  return operations;
}

/** Elasticsearch's index-name rules; the `invalid_index_name_exception` cause, or undefined if valid. */
export function checkIndexName(name: string): ErrorCause | undefined {
  const invalid = (why: string): ErrorCause => ({
    type: "invalid_index_name_exception",
    reason: `Invalid index name [${name}], ${why}`,
    index_uuid: "_na_",
    index: name,
  });
  if (name === "") return invalid("must not be empty");
  if (name !== name.toLowerCase()) return invalid("must be lowercase");
  if (/^[-_+]/.test(name)) {
    return invalid("must not start with '_', '-', or '+'");
  }
  if (name === "." || name === "..") return invalid("must not be '.' or '..'");
  if (INVALID_CHARS.some((c) => name.includes(c))) {
    return invalid(
      `must not contain the following characters [${INVALID_CHARS.join(", ")}]`,
    );
  }
  if (name.includes("#")) return invalid("must not contain '#'");
  if (name.includes(":")) return invalid("must not contain ':'");
  const bytes = new TextEncoder().encode(name).byteLength;
  if (bytes > 255) return invalid(`index name is too long, (${bytes} > 255)`);
  return undefined;
}

function parseActionLine(
  line: string,
  number: number,
): BulkOperation | ErrorCause {
  const malformed = (expected: string, found: string): ErrorCause => ({
    type: "illegal_argument_exception",
    reason:
      `Malformed action/metadata line [${number}], expected ${expected} but found [${found}]`,
  });
  const first = tokenOf(line.trimStart());
  if (first !== "START_OBJECT") {
    if (first !== undefined) return malformed("START_OBJECT", first);
    return {
      type: "x_content_parse_exception",
      reason: `[${number}:1] Unexpected character in action/metadata line`,
    };
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = parseJsonText(line) as Record<string, unknown>;
  } catch (error) {
    return {
      type: "x_content_parse_exception",
      reason: `[${number}:1] ${(error as Error).message}`,
    };
  }
  const keys = Object.keys(parsed);
  const action = keys[0];
  if (action === undefined) return malformed("FIELD_NAME", "END_OBJECT");
  if (!ACTIONS.has(action)) {
    return malformed("field [create], [delete], [index] or [update]", action);
  }
  const metadata = parsed[action];
  if (
    typeof metadata !== "object" || metadata === null || Array.isArray(metadata)
  ) {
    return malformed(
      "START_OBJECT",
      tokenOf(JSON.stringify(metadata) ?? "null") ?? "VALUE_NULL",
    );
  }
  const operation: BulkOperation = {
    action: action as BulkOperation["action"],
    line: number,
  };
  for (const [key, value] of Object.entries(metadata)) {
    if (!METADATA_KEYS.has(key)) {
      return {
        type: "illegal_argument_exception",
        reason:
          `Action/metadata line [${number}] contains an unknown parameter [${key}]`,
      };
    }
    if (key !== "_index" && key !== "_id") continue;
    if (typeof value !== "string" && typeof value !== "number") {
      const found = tokenOf(JSON.stringify(value)) ?? "VALUE_NULL";
      return {
        type: "illegal_argument_exception",
        reason:
          `Malformed action/metadata line [${number}], expected a simple value for field [${key}] but found [${found}]`,
      };
    }
    if (key === "_index") operation.index = String(value);
    else operation.id = String(value);
  }
  if (keys.length > 1) return malformed("END_OBJECT", "FIELD_NAME");
  return operation;
}

/** The Jackson token name a JSON text starts with, or undefined for garbage. */
function tokenOf(text: string): string | undefined {
  const c = text[0] ?? "";
  if (c === "{") return "START_OBJECT";
  if (c === "[") return "START_ARRAY";
  if (c === '"') return "VALUE_STRING";
  if (c === "-" || (c >= "0" && c <= "9")) return "VALUE_NUMBER";
  if (text.startsWith("true") || text.startsWith("false")) {
    return "VALUE_BOOLEAN";
  }
  if (text.startsWith("null")) return "VALUE_NULL";
  return undefined;
}

function validationFailed(reason: string): ErrorCause {
  return {
    type: "action_request_validation_exception",
    reason: `Validation Failed: 1: ${reason};`,
  };
}
