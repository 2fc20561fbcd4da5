/**
 * A strict fake OpenSearch `_bulk` endpoint: the Elasticsearch bulk format
 * (shared framing and store), with what differs on OpenSearch and Amazon
 * OpenSearch (next-destinations §3):
 * - Basic auth (security plugin: 401 `Unauthorized`, `WWW-Authenticate:
 *   Basic realm="OpenSearch Security"`), or AWS SigV4 checked by recomputing
 *   the signature over the bytes received (403 with AWS's `message` body);
 *   Serverless (`aoss`) also requires `x-amz-content-sha256` on a body.
 * - The Elasticsearch 8 compatibility media type is refused with 406
 *   ("Content-Type header [...] is not supported").
 * - Serverless time-series collections refuse a custom `_id` per item:
 *   400 `illegal_argument_exception` "Document ID is not supported in
 *   create/index operation request" (as reported in
 *   opensearch-project/opensearch-py#792 and langchain-ai/langchainjs#4346).
 * - `flat_object` is a known field type in index templates; `flattened` is not.
 *
 * @module
 */
import {
  type AwsCredentials,
  signAwsRequest,
} from "../../src/platforms/aws_sigv4.ts";
import { type ErrorCause, parseBulkBody } from "./_elasticsearch_bulk.ts";
import {
  DocumentStore,
  type ItemFaultSelector,
  type StoredDocument,
} from "./_elasticsearch_store.ts";
import {
  checkIndexTemplate,
  type StoredTemplate,
} from "./_elasticsearch_templates.ts";
import {
  emptyResponse,
  FakeReceiver,
  jsonResponse,
  reasonPhrase,
  type RecordedRequest,
} from "./fake_receiver.ts";

/** Options of {@linkcode startFakeOpenSearch}. */
export interface FakeOpenSearchOptions {
  /** Require HTTP Basic auth with these credentials. */
  basic?: { username: string; password: string };
  /** Require AWS SigV4 with these credentials, region and service. */
  sigv4?: {
    credentials: AwsCredentials;
    region: string;
    service: "es" | "aoss";
  };
  /** Behave as a Serverless time-series collection (no custom `_id`). */
  serverless?: boolean;
}

const BULK_PATH = /^\/(?:([^/]+)\/)?_bulk$/;
const TEMPLATE_PATH = /^\/_index_template\/([^/]+)$/;
const UTF8 = new TextDecoder("utf-8", { fatal: true });
const SIGNATURE_MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const NO_CUSTOM_ID: ItemFaultSelector = ({ id }) =>
  id === undefined ? undefined : {
    status: 400,
    type: "illegal_argument_exception",
    reason: "Document ID is not supported in create/index operation request",
  };

/** A running fake OpenSearch; stored documents are in `documents`. */
export class FakeOpenSearch extends FakeReceiver {
  readonly #options: FakeOpenSearchOptions;
  readonly #store = new DocumentStore();
  readonly #templates = new Map<string, StoredTemplate>();

  /** Starts the fake; prefer {@linkcode startFakeOpenSearch}. */
  constructor(options: FakeOpenSearchOptions = {}) {
    super(["gzip"]);
    this.#options = options;
  }

  /** Stored documents in first-write order. */
  get documents(): StoredDocument[] {
    return this.#store.documents;
  }

  /** Index templates installed with `PUT /_index_template/{name}`, by name. */
  get templates(): ReadonlyMap<string, StoredTemplate> {
    return this.#templates;
  }

  /** OpenSearch's answer: auth, routing, content type, framing, then items. */
  protected async handle(
    request: RecordedRequest,
    encodingError: string | null,
  ): Promise<Response> {
    const denied = await this.#authenticate(request);
    if (denied !== undefined) return denied;
    const uri = request.path + request.search;
    if (request.method === "GET" && request.path === "/") {
      return jsonResponse(200, {
        name: "fake-node",
        cluster_name: "fake-cluster",
        version: { distribution: "opensearch", number: "2.19.0" },
        tagline: "The OpenSearch Project: https://opensearch.org/",
      });
    }
    const templateRoute = TEMPLATE_PATH.exec(request.path);
    if (templateRoute !== null && request.method === "PUT") {
      const outcome = checkIndexTemplate(
        decodeURIComponent(templateRoute[1]!),
        new TextDecoder().decode(request.body),
        "opensearch",
      );
      if (!outcome.ok) return failure(outcome.status, outcome.cause);
      this.#templates.set(outcome.template.name, outcome.template);
      return jsonResponse(200, { acknowledged: true });
    }
    const route = BULK_PATH.exec(request.path);
    if (route === null || request.method !== "POST") {
      const error =
        `no handler found for uri [${uri}] and method [${request.method}]`;
      return jsonResponse(400, { error, status: 400 });
    }
    const contentType = request.headers.get("content-type") ?? "";
    if (
      !/^application\/(?:x-ndjson|json)(?:;\s*charset=utf-8)?$/i.test(
        contentType,
      )
    ) {
      const error = `Content-Type header [${contentType}] is not supported`;
      return jsonResponse(406, { error, status: 406 });
    }
    if (encodingError !== null) {
      return failure(400, {
        type: "illegal_argument_exception",
        reason: `Unsupported or corrupt Content-Encoding [${encodingError}]`,
      });
    }
    let text: string;
    try {
      text = UTF8.decode(request.body);
    } catch {
      return failure(400, {
        type: "x_content_parse_exception",
        reason: "Invalid UTF-8 in the request body",
      });
    }
    const operations = parseBulkBody(text);
    if (!Array.isArray(operations)) return failure(400, operations);
    const pathIndex = route[1] === undefined
      ? undefined
      : decodeURIComponent(route[1]);
    const select = this.#options.serverless ? NO_CUSTOM_ID : undefined;
    const items = operations.map((op, position) => ({
      [op.action]: this.#store.apply(op, position, pathIndex, select),
    }));
    const errors = items.some((item) =>
      Object.values(item).some((result) => result.error !== undefined)
    );
    return jsonResponse(200, { took: 1, errors, items });
  }

  /** OpenSearch's body for an injected status. */
  protected faultResponse(status: number): Response {
    if (status === 413) return emptyResponse(413);
    if (status < 300) {
      return jsonResponse(status, { took: 0, errors: false, items: [] });
    }
    return failure(status, { type: "exception", reason: reasonPhrase(status) });
  }

  async #authenticate(request: RecordedRequest): Promise<Response | undefined> {
    const { basic, sigv4 } = this.#options;
    const header = request.headers.get("authorization") ?? "";
    if (basic !== undefined) {
      const expected = `Basic ${btoa(`${basic.username}:${basic.password}`)}`;
      if (header === expected) return undefined;
      return new Response("Unauthorized", {
        status: 401,
        headers: {
          "content-type": "text/plain; charset=UTF-8",
          "www-authenticate": 'Basic realm="OpenSearch Security"',
        },
      });
    }
    if (sigv4 === undefined) return undefined;
    const forbidden = (message: string): Response =>
      jsonResponse(403, { message });
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/
        .exec(header);
    if (match === null) return forbidden("Missing Authentication Token");
    const [, keyId, , region, service, signedHeaders, signature] = match;
    if (keyId !== sigv4.credentials.accessKeyId) {
      return forbidden(
        "The security token included in the request is invalid.",
      );
    }
    if (region !== sigv4.region || service !== sigv4.service) {
      return forbidden(SIGNATURE_MISMATCH);
    }
    const names = signedHeaders!.split(";");
    const hasBody = request.rawBody.byteLength > 0;
    if (
      sigv4.service === "aoss" && hasBody &&
      !names.includes("x-amz-content-sha256")
    ) {
      return forbidden(SIGNATURE_MISMATCH);
    }
    const amzDate = request.headers.get("x-amz-date") ?? "";
    const date = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(amzDate);
    if (date === null) return forbidden(SIGNATURE_MISMATCH);
    const headers: Record<string, string> = {};
    for (const name of names) {
      if (
        ["host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"]
          .includes(name)
      ) continue;
      headers[name] = request.headers.get(name) ?? "";
    }
    const recomputed = await signAwsRequest({
      method: request.method,
      url: `http://${
        request.headers.get("host")
      }${request.path}${request.search}`,
      headers,
      body: request.rawBody,
      region: sigv4.region,
      service: sigv4.service,
      credentials: {
        ...sigv4.credentials,
        sessionToken: request.headers.get("x-amz-security-token") ?? undefined,
      },
      date: new Date(
        `${date[1]}-${date[2]}-${date[3]}T${date[4]}:${date[5]}:${date[6]}Z`,
      ),
      contentSha256Header: names.includes("x-amz-content-sha256"),
    });
    const claimedHash = request.headers.get("x-amz-content-sha256");
    if (
      recomputed.signature !== signature ||
      recomputed.signedHeaders !== signedHeaders ||
      (claimedHash !== null &&
        claimedHash !== recomputed.headers["x-amz-content-sha256"])
    ) {
      return forbidden(SIGNATURE_MISMATCH);
    }
    return undefined;
  }
}

/** Starts a fake OpenSearch on 127.0.0.1 (free port). */
export function startFakeOpenSearch(
  options: FakeOpenSearchOptions = {},
): FakeOpenSearch {
  return new FakeOpenSearch(options);
}

function failure(status: number, cause: ErrorCause): Response {
  return jsonResponse(status, {
    error: { root_cause: [cause], ...cause },
    status,
  });
}
