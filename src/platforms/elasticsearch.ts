/**
 * The Elasticsearch Bulk API exporter (OpenSearch speaks the same format).
 *
 * Wire contract (Elasticsearch API docs, "Bulk index or delete documents",
 * https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk):
 * the body is newline-delimited JSON, an action line then a source line per
 * document, and "the final line of data must end with a newline character";
 * `Content-Type` is `application/json` or `application/x-ndjson`; a target
 * in the path serves actions without `_index`; "a `create` action fails if
 * a document with the same ID already exists" (409); the answer's `errors`
 * flag says whether any operation failed and `items` lists one result per
 * action "in the order they were submitted", each with its own `status` and
 * `error`. API keys go in `Authorization: ApiKey <encoded>`
 * (https://www.elastic.co/docs/api/elasticsearch/authentication).
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { type BodyWriter, utf8 } from "./body_writer.ts";
import { writeBulkSource } from "./bulk_source.ts";
import { Exporter } from "./exporter.ts";
import { SIEMPlatform } from "./platform.ts";
import {
  type EventFailure,
  excerpt,
  foreignAnswerHint,
  isTransientStatus,
  looksLikeJsonObject,
  requestedDelayMs,
  type ResponseVerdict,
  setupRetry,
  wrongPathHint,
} from "./verdict.ts";

const CREATE_ID = utf8('{"create":{"_id":');
const CLOSE_ACTION = utf8("}}\n");

/**
 * Sends batches to `{endpoint}/{index}/_bulk`, one `create` action per event
 * with `_id` set to the event's `event_id`, so that a resent event is
 * refused as a duplicate (409) instead of indexed twice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSIEMConfig } from "@harombe/siem";
 * import { ElasticsearchExporter } from "@harombe/siem/exporters";
 *
 * const exporter = new ElasticsearchExporter(parseSIEMConfig({
 *   platform: "elasticsearch",
 *   endpoint: "https://es.example.com:9200",
 *   token: "base64-api-key",
 *   index: "audit-events",
 * }));
 * assert.equal(
 *   exporter.url,
 *   "https://es.example.com:9200/audit-events/_bulk?filter_path=errors,items.*.status,items.*.error",
 * );
 * ```
 */
export class ElasticsearchExporter extends Exporter {
  /** Always `"elasticsearch"`. */
  readonly platform: "elasticsearch" = SIEMPlatform.Elasticsearch;

  /**
   * `{endpoint}/{index}/_bulk`, with `filter_path` trimming each item's
   * answer to what is read (status and error).
   */
  get url(): string {
    return `${this.config.endpoint}/${
      encodeURIComponent(this.config.index)
    }/_bulk?filter_path=errors,items.*.status,items.*.error`;
  }

  /** `Content-Type: application/x-ndjson`, and `Authorization: ApiKey <token>` when a token is set. */
  get headers(): Record<string, string> {
    const headers: Record<string, string> = {
      "Content-Type": "application/x-ndjson",
    };
    if (this.config.token) {
      headers["Authorization"] = `ApiKey ${this.config.token}`;
    }
    return headers;
  }

  /**
   * Writes the action line and the document line of one event, each ending
   * with a newline (so the body's last line does too). The document is the
   * SIEM event with `@timestamp` first (or its document in the destination's
   * schema: ECS has its own `@timestamp`; OCSF gets one first, for data
   * streams and time-based views).
   *
   * @param writer Where the body is written.
   * @param event The event.
   * @param _index The event's position in the batch.
   * @param json The event's JSON, if already serialized.
   */
  writeEvent(
    writer: BodyWriter,
    event: SIEMEvent,
    _index: number,
    json?: string,
  ): void {
    writer.writeBytes(CREATE_ID);
    writer.writeJsonString(event.event_id);
    writer.writeBytes(CLOSE_ACTION);
    writeBulkSource(
      writer,
      event,
      this.documentJson(event, json),
      this.config.schema,
    );
  }

  /**
   * Reads the bulk answer item by item: 2xx and 409 (already indexed) are
   * delivered; 408, 429, 5xx, 403/404 and 400 `index_closed_exception`
   * (an index block, a missing privilege or index, a closed index, which an
   * operator clears) are retried alone with
   * backoff; any other item failure is rejected with its reason. At request
   * level, 413 and parse errors of the body split the batch; transient
   * statuses are retried; setup errors (401, 403, 404, 405, 406, an answer
   * that is not Elasticsearch's, any other 4xx) are retried with a hint of
   * what to check.
   *
   * @param status The HTTP status.
   * @param headers The answer's headers.
   * @param body The answer's body.
   * @param batchSize How many events the batch had.
   * @param nowMs The current time.
   * @returns The verdict.
   */
  classify(
    status: number,
    headers: Headers,
    body: string,
    batchSize: number,
    nowMs: number,
  ): ResponseVerdict {
    const platform = looksLikeJsonObject(headers, body);
    if (status === 200) {
      const verdict = classifyItems(body, batchSize);
      return verdict.kind === "retry" && !platform
        ? {
          ...verdict,
          setup: foreignAnswerHint("Elasticsearch", 200, headers),
        }
        : verdict;
    }
    const error = platform ? requestError(body) : undefined;
    const reason = `HTTP ${status}: ${
      error?.text ?? (excerpt(body) || "(empty body)")
    }`;
    if (status === 413) return { kind: "split", reason, status };
    const retryAfterMs = requestedDelayMs(headers, nowMs);
    const setup = setupRetry(reason, status, retryAfterMs);
    if (isTransientStatus(status)) {
      return { kind: "retry", reason, status, retryAfterMs };
    }
    if (error === undefined) {
      return setup(foreignAnswerHint("Elasticsearch", status, headers));
    }
    if (status === 401 || status === 403) {
      return setup(
        `check the API key and its privileges on index ${this.config.index} (create_doc or write)`,
      );
    }
    if (status === 405 || (status === 400 && error.type === undefined)) {
      // "no handler found for uri": the path is not a bulk endpoint.
      return setup(wrongPathHint("Elasticsearch", "/{index}/_bulk"));
    }
    if (status === 404) {
      return setup(
        `check the endpoint and that index ${this.config.index} exists or may be created`,
      );
    }
    if (
      status === 400 && error.type !== undefined &&
      PARSE_ERRORS.has(error.type)
    ) {
      return { kind: "split", reason, status };
    }
    return setup(
      "check the endpoint, the index name and the cluster's settings",
    );
  }
}

/**
 * Request-level error types that fault the body's content (a line that is
 * not JSON, a malformed action; wire-specs §2.6): the batch is split to
 * find the lines at fault.
 */
const PARSE_ERRORS = new Set([
  "illegal_argument_exception",
  "x_content_parse_exception",
  "json_parse_exception",
  "json_e_o_f_exception",
  "parse_exception",
  "not_x_content_exception",
  "action_request_validation_exception",
  "mapper_parsing_exception",
  "document_parsing_exception",
]);

function classifyItems(body: string, batchSize: number): ResponseVerdict {
  let items: unknown;
  try {
    items = JSON.parse(body)?.items;
  } catch {
    // Fall through: an unreadable answer says nothing of what was indexed.
  }
  if (!Array.isArray(items) || items.length !== batchSize) {
    return {
      kind: "retry",
      status: 200,
      reason: `unexpected bulk answer (HTTP 200): ${
        excerpt(body, 200) || "(empty body)"
      }`,
    };
  }
  const retry: EventFailure[] = [];
  const rejected: EventFailure[] = [];
  for (let index = 0; index < batchSize; index++) {
    const item = items[index];
    const result = item && typeof item === "object"
      ? Object.values(item)[0] as { status?: unknown; error?: unknown }
      : undefined;
    const itemStatus = typeof result?.status === "number" ? result.status : 0;
    if ((itemStatus >= 200 && itemStatus < 300) || itemStatus === 409) {
      continue;
    }
    const reason = `item HTTP ${itemStatus}: ${describeError(result?.error)}`;
    const failure = { index, reason, status: itemStatus };
    if (
      isTransientStatus(itemStatus) || isBlocked(itemStatus, result?.error)
    ) {
      retry.push(failure);
    } else {
      rejected.push(failure);
    }
  }
  if (retry.length === 0 && rejected.length === 0) return { kind: "delivered" };
  return { kind: "partial", retry, rejected, backoff: retry.length > 0 };
}

/**
 * Item failures that say nothing is wrong with the document itself and that
 * clear when an operator acts, as the same causes do at request level
 * (wire-specs §2.6): 403 `cluster_block_exception` (a flood-stage disk
 * watermark, a read-only index) or `security_exception` (a missing index
 * privilege), 404 `index_not_found_exception` (auto-create off), 400
 * `index_closed_exception` (a closed index: 400 since Elasticsearch 6.0,
 * elastic/elasticsearch#25752; its reason is just "closed"). 0 is an item
 * without a status. They are retried with backoff, never dead-lettered.
 */
function isBlocked(itemStatus: number, error: unknown): boolean {
  if (itemStatus === 403 || itemStatus === 404 || itemStatus === 0) {
    return true;
  }
  return itemStatus === 400 && typeof error === "object" && error !== null &&
    (error as { type?: unknown }).type === "index_closed_exception";
}

/**
 * An `ErrorCause` as text: its type and reason and, when it has a
 * `caused_by` chain, the deepest cause's type and reason, which is what
 * explains the refusal ("mapper_parsing_exception: failed to parse" says
 * nothing; its cause "field name cannot be an empty string" does). Each part
 * is shortened on its own, so that a long top reason never hides the cause.
 */
function describeError(error: unknown): string {
  if (typeof error === "string") return excerpt(error);
  if (error && typeof error === "object") {
    const top = causeText(error);
    let root: object = error;
    // A cause chain is short; the bound guards against a hostile answer.
    for (let depth = 0; depth < 16; depth++) {
      const next = (root as { caused_by?: unknown }).caused_by;
      if (!next || typeof next !== "object") break;
      root = next;
    }
    return root === error
      ? excerpt(top)
      : `${excerpt(top, 200)}; caused by ${excerpt(causeText(root))}`;
  }
  return "(no error given)";
}

function causeText(cause: object): string {
  const { type, reason } = cause as { type?: unknown; reason?: unknown };
  return `${type ?? "error"}: ${reason ?? "(no reason)"}`;
}

/**
 * Elasticsearch's request-level error, `{"error":{...},"status":N}` (an
 * `error` string for routing errors), or `undefined` for another body.
 */
function requestError(
  body: string,
): { text: string; type: string | undefined } | undefined {
  try {
    const parsed = JSON.parse(body);
    if (parsed && typeof parsed === "object" && "error" in parsed) {
      const type = parsed.error && typeof parsed.error === "object" &&
          typeof parsed.error.type === "string"
        ? parsed.error.type as string
        : undefined;
      return { text: describeError(parsed.error), type };
    }
  } catch {
    // Not JSON: not Elasticsearch's answer.
  }
  return undefined;
}
