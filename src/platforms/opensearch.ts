/**
 * The OpenSearch Bulk API exporter: self-managed OpenSearch (Basic auth),
 * Amazon OpenSearch Service (AWS SigV4, service `es`) and OpenSearch
 * Serverless (SigV4, service `aoss`).
 *
 * OpenSearch takes the Elasticsearch bulk body and answers in the same
 * shape ("Bulk", https://docs.opensearch.org/latest/api-reference/document-apis/bulk/),
 * so the body and the reading of the answer are the Elasticsearch
 * exporter's. What differs (next-destinations §3):
 * - `Content-Type: application/x-ndjson`, never the Elasticsearch 8
 *   compatibility media type, which OpenSearch answers with 406.
 * - Credentials: Basic (`username`, `token` as the password), or SigV4
 *   computed over the exact bytes sent (gzipped when compressed) with
 *   `x-amz-content-sha256`, which Serverless requires on a body, and
 *   `x-amz-security-token` for temporary credentials.
 * - Serverless time-series collections generate the document ids and
 *   refuse a custom `_id` ("Document ID is not supported in create/index
 *   operation request"): for `aoss` each action is `{"create":{}}`, so a
 *   resent batch can be indexed twice there.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { signAwsRequest } from "./aws_sigv4.ts";
import { type BodyWriter, utf8 } from "./body_writer.ts";
import { writeBulkSource } from "./bulk_source.ts";
import { ElasticsearchExporter } from "./elasticsearch.ts";
import { Exporter, type UnsignedRequest } from "./exporter.ts";
import { SIEMPlatform } from "./platform.ts";
import type { SIEMConfig } from "./siem_config.ts";
import type { ResponseVerdict } from "./verdict.ts";

const CREATE_ACTION = utf8('{"create":{}}\n');

/**
 * Sends batches to `{endpoint}/{index}/_bulk`, one `create` action per
 * event: with `_id` set to the event's `event_id` (a resent event is
 * refused as a duplicate, 409), except on OpenSearch Serverless
 * (`aws.service: "aoss"`), which refuses a custom `_id`.
 *
 * @example Self-managed OpenSearch with Basic auth
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSIEMConfig } from "@harombe/siem";
 * import { OpenSearchExporter } from "@harombe/siem/exporters";
 *
 * const exporter = new OpenSearchExporter(parseSIEMConfig({
 *   platform: "opensearch",
 *   endpoint: "https://opensearch.example.com:9200",
 *   username: "audit-writer",
 *   token: "password-0123",
 *   index: "audit-events",
 * }));
 * assert.equal(
 *   exporter.headers.Authorization,
 *   `Basic ${btoa("audit-writer:password-0123")}`,
 * );
 * assert.equal(exporter.headers["Content-Type"], "application/x-ndjson");
 * ```
 */
export class OpenSearchExporter extends Exporter {
  /** Always `"opensearch"`. */
  readonly platform: "opensearch" = SIEMPlatform.OpenSearch;
  // The bulk body and the reading of the answer are Elasticsearch's.
  readonly #bulk: ElasticsearchExporter;

  /**
   * Creates the exporter. Nothing is sent and no timer starts.
   *
   * @param config The destination's validated configuration.
   */
  constructor(config: SIEMConfig) {
    super(config);
    this.#bulk = new ElasticsearchExporter(config);
  }

  /** `{endpoint}/{index}/_bulk`, with `filter_path` trimming each item's answer. */
  get url(): string {
    return this.#bulk.url;
  }

  /**
   * `Content-Type: application/x-ndjson`, and `Authorization: Basic …` when
   * a username is set (SigV4 headers are added by {@linkcode signRequest}).
   */
  get headers(): Record<string, string> {
    const headers: Record<string, string> = {
      "Content-Type": "application/x-ndjson",
    };
    const { username, token } = this.config;
    if (username !== undefined) {
      headers["Authorization"] = `Basic ${btoa(`${username}:${token}`)}`;
    }
    return headers;
  }

  /**
   * Signs the request with AWS SigV4 when `aws` is configured, over the
   * exact bytes sent, with `x-amz-content-sha256` and, for temporary
   * credentials, `x-amz-security-token`. `host` is signed but not set:
   * `fetch` sends it from the URL.
   *
   * @param request The method, URL, headers and exact body.
   * @param nowMs The signing time.
   * @returns The headers to send.
   */
  override async signRequest(
    request: UnsignedRequest,
    nowMs: number,
  ): Promise<Record<string, string>> {
    const aws = this.config.aws;
    if (aws === undefined) return request.headers;
    const signed = await signAwsRequest({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: request.body,
      region: aws.region,
      service: aws.service,
      credentials: aws,
      date: new Date(nowMs),
      contentSha256Header: true,
    });
    const { host: _host, ...sent } = signed.headers;
    return sent;
  }

  /**
   * Writes the action line and the document line of one event, as the
   * Elasticsearch exporter does; on Serverless (`aoss`) the action has no
   * `_id`.
   *
   * @param writer Where the body is written.
   * @param event The event.
   * @param index The event's position in the batch.
   * @param json The event's JSON, if already serialized.
   */
  writeEvent(
    writer: BodyWriter,
    event: SIEMEvent,
    index: number,
    json?: string,
  ): void {
    if (this.config.aws?.service !== "aoss") {
      this.#bulk.writeEvent(writer, event, index, json);
      return;
    }
    writer.writeBytes(CREATE_ACTION);
    writeBulkSource(
      writer,
      event,
      this.documentJson(event, json),
      this.config.schema,
    );
  }

  /**
   * Reads the bulk answer as the Elasticsearch exporter does (items 2xx and
   * 409 delivered, 408/429/5xx and 403/404 retried, others rejected; 413
   * and body parse errors split; setup errors retried), with OpenSearch's
   * hints: a 401 or 403 (a wrong password, a signature AWS refuses, a
   * missing permission) is a setup error, retried with the backlog kept.
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
    const verdict = this.#bulk.classify(
      status,
      headers,
      body,
      batchSize,
      nowMs,
    );
    if (verdict.kind !== "retry" || verdict.setup === undefined) {
      return verdict;
    }
    if (status === 401 || status === 403) {
      return { ...verdict, setup: this.#credentialHint() };
    }
    return {
      ...verdict,
      setup: verdict.setup.replaceAll("Elasticsearch", "OpenSearch"),
    };
  }

  #credentialHint(): string {
    const { aws, index } = this.config;
    if (aws === undefined) {
      return `check the username and password and the user's permissions on index ${index} (indices:data/write/bulk*)`;
    }
    return `check the AWS credentials (secret access key, session token not expired), region ${aws.region}, service ${aws.service}, and that the role may write to ${index} (${
      aws.service === "aoss"
        ? "the collection's data access policy"
        : "the domain's access policy and fine-grained access control"
    })`;
  }
}
