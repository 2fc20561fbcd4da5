/**
 * The document store behind the fake Elasticsearch: applies bulk items one by
 * one and builds each item's response (wire-specs §2.5, §2.6).
 *
 * @module
 */
import { parseJsonText } from "../../src/events/json_text.ts";

import {
  type BulkOperation,
  checkIndexName,
  type ErrorCause,
} from "./_elasticsearch_bulk.ts";
/** What parses a document for its index: a dynamic or a template's mapping. */
export interface DocumentMapping {
  /** The error Elasticsearch answers for the document, or `undefined`. */
  apply(source: Record<string, unknown>, id: string): ErrorCause | undefined;
}
import { isIsoTimestamp, memberSpan } from "./_wire.ts";

/** A document the fake stored. */
export interface StoredDocument {
  /** Index it was written to. */
  index: string;
  /** Its `_id` (given or generated). */
  id: string;
  /** The source line, parsed. */
  source: Record<string, unknown>;
}

/** The failure an item fault gives one bulk item. */
export interface ItemFault {
  /** Item status, e.g. 429. */
  status: number;
  /** `error.type`, e.g. `"es_rejected_execution_exception"`. */
  type: string;
  /** `error.reason`. */
  reason: string;
  /** `error.caused_by`: the cause, which may have its own `caused_by`. */
  causedBy?: ErrorCause | undefined;
}

/** Chooses which items of a bulk request fail: `index` is the item's 0-based position. */
export type ItemFaultSelector = (
  item: { index: number; id: string | undefined },
) => ItemFault | undefined;

type Item = Record<string, unknown>;

interface Stored extends StoredDocument {
  version: number;
}

const SHARDS = { total: 2, successful: 1, failed: 0 } as const;

/** Documents keyed by `${index}/${_id}`, with per-index sequence numbers. */
export class DocumentStore {
  readonly #documents = new Map<string, Stored>();
  readonly #seqNo = new Map<string, number>();
  /**
   * Closed indices (`POST /{index}/_close`): a write to one fails its item
   * with 400 `index_closed_exception`, reason `"closed"`, as Elasticsearch
   * answers since 6.0 (elastic/elasticsearch#25752 moved it from 403 to
   * 400; #7741 made it an item failure, not a request failure).
   */
  readonly closed: Set<string> = new Set();

  /** Stored documents in first-write order (an overwrite keeps its place). */
  get documents(): StoredDocument[] {
    return Array.from(
      this.#documents.values(),
      ({ index, id, source }) => ({ index, id, source }),
    );
  }

  /** Applies one operation; returns the item body (`status`, and `error` when it failed). */
  apply(
    op: BulkOperation,
    position: number,
    pathIndex: string | undefined,
    select: ItemFaultSelector | undefined,
    mappingFor: (index: string) => DocumentMapping | undefined = () =>
      undefined,
  ): Item {
    const index = op.index ?? pathIndex;
    const id = op.id ?? generateId();
    const fail = (status: number, error: Item): Item => ({
      _index: index ?? null,
      _id: id,
      status,
      error,
    });
    const injected = select?.({ index: position, id: op.id });
    if (injected !== undefined) {
      const { type, reason, causedBy } = injected;
      return fail(injected.status, {
        type,
        reason,
        index: index ?? null,
        ...(causedBy === undefined ? {} : { caused_by: causedBy }),
      });
    }
    if (index === undefined) return fail(400, validation("index is missing"));
    const invalid = checkIndexName(index);
    if (invalid !== undefined) return fail(400, { ...invalid });
    if (this.closed.has(index)) {
      return fail(400, {
        type: "index_closed_exception",
        reason: "closed",
        index_uuid: "fake-uuid",
        index,
      });
    }
    if (op.action !== "index" && op.action !== "create" && !op.id) {
      return fail(400, validation("id is missing"));
    }
    const key = `${index}/${id}`;
    const existing = this.#documents.get(key);
    if (op.action === "delete") {
      if (existing === undefined) {
        return this.#done(index, id, 404, "not_found", 1);
      }
      this.#documents.delete(key);
      return this.#done(index, id, 200, "deleted", existing.version + 1);
    }
    const source = parseSource(op.source ?? "");
    if (typeof source === "string") {
      return fail(400, { type: "document_parsing_exception", reason: source });
    }
    let document = source;
    if (op.action === "update") {
      const doc = isObject(source.doc) ? source.doc : undefined;
      if (doc === undefined) {
        return fail(400, validation("script or doc is missing"));
      }
      if (existing !== undefined) {
        return this.#write(existing, { ...existing.source, ...doc });
      }
      const upsert = isObject(source.upsert)
        ? source.upsert
        : source.doc_as_upsert === true
        ? doc
        : undefined;
      if (upsert === undefined) {
        const reason = `[${id}]: document missing`;
        return fail(404, { type: "document_missing_exception", reason, index });
      }
      document = upsert;
    }
    const badTimestamp = checkTimestamp(document, op.source ?? "", id);
    if (badTimestamp !== undefined) {
      return fail(400, {
        type: "document_parsing_exception",
        reason: badTimestamp,
      });
    }
    // Parsed against the mapping before the engine looks for the _id, as
    // Elasticsearch does: a refused document answers 400 even when resent.
    const refused = mappingFor(index)?.apply(document, id);
    if (refused !== undefined) return fail(400, refused);
    if (existing !== undefined && op.action === "create") {
      const reason =
        `[${id}]: version conflict, document already exists (current version [${existing.version}])`;
      return fail(409, {
        type: "version_conflict_engine_exception",
        reason,
        index,
      });
    }
    if (existing !== undefined) return this.#write(existing, document);
    this.#documents.set(key, { index, id, source: document, version: 1 });
    return this.#done(index, id, 201, "created", 1);
  }

  #write(existing: Stored, source: Record<string, unknown>): Item {
    existing.source = source;
    existing.version++;
    return this.#done(
      existing.index,
      existing.id,
      200,
      "updated",
      existing.version,
    );
  }

  #done(
    index: string,
    id: string,
    status: number,
    result: string,
    version: number,
  ): Item {
    const seqNo = this.#seqNo.get(index) ?? 0;
    this.#seqNo.set(index, seqNo + 1);
    return {
      _index: index,
      _id: id,
      _version: version,
      result,
      _shards: SHARDS,
      _seq_no: seqNo,
      _primary_term: 1,
      status,
    };
  }
}

function validation(reason: string): Item {
  return {
    type: "action_request_validation_exception",
    reason: `Validation Failed: 1: ${reason};`,
  };
}

/** The source line as an object, or the `document_parsing_exception` reason. */
function parseSource(line: string): Record<string, unknown> | string {
  let source: unknown;
  try {
    source = parseJsonText(line);
  } catch (error) {
    return `[1:1] failed to parse: ${(error as Error).message}`;
  }
  return isObject(source)
    ? source
    : "[1:1] failed to parse: source is not a JSON object";
}

/** `@timestamp` must be a strict ISO 8601 string (the fake maps it as `date`, like a data stream). */
function checkTimestamp(
  document: Record<string, unknown>,
  line: string,
  id: string,
): string | undefined {
  if (!Object.hasOwn(document, "@timestamp")) {
    return `[1:${line.length}] failed to parse: data stream timestamp field [@timestamp] is missing`;
  }
  const value = document["@timestamp"];
  if (typeof value === "string" && isIsoTimestamp(value)) return undefined;
  const column = (memberSpan(line, "@timestamp")?.start ?? 0) + 1;
  const preview = typeof value === "string" ? value : JSON.stringify(value);
  return `[1:${column}] failed to parse field [@timestamp] of type [date] in document with id '${id}'. Preview of field's value: '${preview}'`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A 20-character URL-safe id, like Elasticsearch's auto-generated ones. */
function generateId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(15));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-")
    .replaceAll("/", "_");
}
