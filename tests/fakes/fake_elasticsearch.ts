/**
 * A strict fake Elasticsearch `_bulk` endpoint (wire-specs §2).
 *
 * @module
 */

import {
  emptyResponse,
  FakeReceiver,
  jsonResponse,
  reasonPhrase,
  type RecordedRequest,
} from "./fake_receiver.ts";
import {
  checkIndexName,
  type ErrorCause,
  parseBulkBody,
} from "./_elasticsearch_bulk.ts";
import {
  DocumentStore,
  type ItemFaultSelector,
  type StoredDocument,
} from "./_elasticsearch_store.ts";
import { DynamicMapping, matchesPatterns } from "./_elasticsearch_mapping.ts";
import { TemplateMapping } from "./_elasticsearch_template_mapping.ts";
import {
  checkIndexTemplate,
  type StoredTemplate,
} from "./_elasticsearch_templates.ts";

export type { StoredTemplate } from "./_elasticsearch_templates.ts";
export type { ErrorCause } from "./_elasticsearch_bulk.ts";
export type {
  ItemFault,
  ItemFaultSelector,
  StoredDocument,
} from "./_elasticsearch_store.ts";

/** Options of {@linkcode startFakeElasticsearch}. */
export interface FakeElasticsearchOptions {
  /** When set, require `Authorization: ApiKey <apiKey>`. */
  apiKey?: string;
  /** Largest request body as received (`http.max_content_length`). Default 104_857_600. */
  maxContentLength?: number;
  /**
   * Whether an index that no installed template matches maps documents
   * dynamically, refusing what Elasticsearch's default mapping refuses
   * (see `_elasticsearch_mapping.ts`). Default true.
   */
  dynamicMapping?: boolean;
  /**
   * With `apiKey`: the indexes the key may write to (`create_doc`), as
   * `_has_privileges` reports them. Default: every index.
   */
  writableIndexes?: readonly string[];
}

const BULK_PATH = /^\/(?:([^/]+)\/)?_bulk$/;
const TEMPLATE_PATH = /^\/_index_template\/([^/]+)$/;
const MEDIA_TYPE = /^application\/(?:vnd\.elasticsearch\+)?(?:x-ndjson|json)$/;
const UTF8 = new TextDecoder("utf-8", { fatal: true });
const FAULT_CAUSES: Record<number, ErrorCause> = {
  400: { type: "illegal_argument_exception", reason: "Bad Request" },
  403: {
    type: "security_exception",
    reason:
      "action [indices:data/write/bulk] is unauthorized for API key id [fake]",
  },
  404: { type: "index_not_found_exception", reason: "no such index" },
  429: {
    type: "es_rejected_execution_exception",
    reason:
      "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1, max_coordinating_and_primary_bytes=0]",
  },
  500: { type: "exception", reason: "internal error" },
  503: {
    type: "cluster_block_exception",
    reason:
      "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];",
  },
};

/** A running fake Elasticsearch; stored documents are in `documents`. */
export class FakeElasticsearch extends FakeReceiver {
  readonly #apiKey: string | undefined;
  readonly #maxContentLength: number;
  readonly #writable: ReadonlySet<string> | undefined;
  readonly #store = new DocumentStore();
  readonly #templates = new Map<string, StoredTemplate>();
  readonly #mappings = new Map<string, DynamicMapping>();
  readonly #templated = new Map<string, TemplateMapping>();
  readonly #dynamicMapping: boolean;
  #itemFaults: ItemFaultSelector | undefined;

  /** Starts the fake; prefer {@linkcode startFakeElasticsearch}. */
  constructor(options: FakeElasticsearchOptions = {}) {
    super(["gzip"]);
    this.#apiKey = options.apiKey;
    this.#maxContentLength = options.maxContentLength ?? 104_857_600;
    this.#dynamicMapping = options.dynamicMapping ?? true;
    this.#writable = options.writableIndexes === undefined
      ? undefined
      : new Set(options.writableIndexes);
  }

  /** The dynamic mapping of an index no template matches, as grown so far. */
  mappingOf(index: string): DynamicMapping | undefined {
    return this.#mappings.get(index);
  }

  /** Stored documents in first-write order (an overwrite keeps its place). */
  get documents(): StoredDocument[] {
    return this.#store.documents;
  }

  /** Index templates installed with `PUT /_index_template/{name}`, by name. */
  get templates(): ReadonlyMap<string, StoredTemplate> {
    return this.#templates;
  }

  /** Closes an index: writes to it fail item by item with 400 `index_closed_exception` until {@linkcode openIndex}. */
  closeIndex(index: string): void {
    this.#store.closed.add(index);
  }

  /** Reopens an index closed with {@linkcode closeIndex}. */
  openIndex(index: string): void {
    this.#store.closed.delete(index);
  }

  /** Fails the items `select` picks, in the next bulk request that reaches item processing only. */
  failItemsNext(select: ItemFaultSelector): void {
    this.#itemFaults = select;
  }

  /** Elasticsearch's answer: auth, routing, content type, framing, then items. */
  protected handle(
    request: RecordedRequest,
    encodingError: string | null,
  ): Response {
    const started = performance.now();
    const { method, path } = request;
    const uri = path + request.search;
    const denied = this.#authenticate(request, uri);
    if (denied !== undefined) return denied;
    if (method === "GET" && path === "/") return clusterInfo();
    // Without an API key the fake is a cluster with security disabled: the
    // security handlers are not registered, so these paths fall through to
    // "no handler found" (https://github.com/elastic/elasticsearch/pull/54043).
    if (this.#apiKey !== undefined) {
      if (method === "GET" && path === "/_security/_authenticate") {
        return reply(200, AUTHENTICATED);
      }
      if (
        (method === "GET" || method === "POST") &&
        path === "/_security/user/_has_privileges"
      ) {
        return this.#hasPrivileges(new TextDecoder().decode(request.body));
      }
    }
    const templateRoute = TEMPLATE_PATH.exec(path);
    if (templateRoute !== null && method === "PUT") {
      const outcome = checkIndexTemplate(
        safeDecode(templateRoute[1]!),
        new TextDecoder().decode(request.body),
      );
      if (!outcome.ok) return failure(outcome.status, outcome.cause);
      this.#templates.set(outcome.template.name, outcome.template);
      return reply(200, { acknowledged: true });
    }
    const route = BULK_PATH.exec(path);
    if (route === null) {
      const error = `no handler found for uri [${uri}] and method [${method}]`;
      return reply(400, { error, status: 400 });
    }
    if (method !== "POST" && method !== "PUT") {
      const error =
        `Incorrect HTTP method for uri [${uri}] and method [${method}], allowed: [POST, PUT]`;
      return reply(405, { error, status: 405 });
    }
    const pathIndex = route[1] === undefined ? undefined : safeDecode(route[1]);
    const invalidIndex = pathIndex === undefined
      ? undefined
      : checkIndexName(pathIndex);
    if (invalidIndex !== undefined) return failure(400, invalidIndex);
    const contentType = request.headers.get("content-type");
    if (!acceptsContentType(contentType)) {
      const error = contentType === null
        ? "Content-Type header is missing"
        : `Content-Type header [${contentType}] is not supported`;
      return reply(406, { error, status: 406 });
    }
    if (request.rawBody.byteLength > this.#maxContentLength) {
      return withProduct(emptyResponse(413));
    }
    if (encodingError !== null) {
      const reason =
        `Unsupported or corrupt Content-Encoding [${encodingError}]`;
      return failure(400, { type: "illegal_argument_exception", reason });
    }
    let text: string;
    try {
      text = UTF8.decode(request.body);
    } catch {
      const reason = "Invalid UTF-8 in the request body";
      return failure(400, { type: "x_content_parse_exception", reason });
    }
    const operations = parseBulkBody(text);
    if (!Array.isArray(operations)) return failure(400, operations);
    const select = this.#itemFaults;
    this.#itemFaults = undefined;
    const mappingFor = (
      index: string,
    ): DynamicMapping | TemplateMapping | undefined => this.#mappingFor(index);
    const items = operations.map((op, position) => ({
      [op.action]: this.#store.apply(
        op,
        position,
        pathIndex,
        select,
        mappingFor,
      ),
    }));
    const errors = items.some((item) =>
      Object.values(item).some((result) => result.error !== undefined)
    );
    const took = Math.round(performance.now() - started);
    return reply(200, { took, errors, items });
  }

  /** Elasticsearch's body for an injected status (413: empty). */
  protected faultResponse(status: number, request: RecordedRequest): Response {
    if (status === 413) return withProduct(emptyResponse(413));
    if (status < 300) {
      return reply(status, { took: 0, errors: false, items: [] });
    }
    if (status === 401) {
      const uri = request.path + request.search;
      return unauthorized(
        `missing authentication credentials for REST request [${uri}]`,
      );
    }
    const cause = FAULT_CAUSES[status] ??
      { type: "exception", reason: reasonPhrase(status) };
    return failure(status, cause);
  }

  // A template applies when its index is created (the first write here):
  // an index a template matches then has that template's mapping, and a
  // document whose values disagree with a mapped field's type is refused
  // (see `_elasticsearch_template_mapping.ts`); any other index maps
  // dynamically, even after a template for it is installed.
  #mappingFor(index: string): DynamicMapping | TemplateMapping | undefined {
    if (!this.#dynamicMapping) return undefined;
    const existing = this.#mappings.get(index) ?? this.#templated.get(index);
    if (existing !== undefined) return existing;
    for (const { body } of this.#templates.values()) {
      if (matchesPatterns(body.index_patterns, index)) {
        const template = body.template as
          | { mappings?: { properties?: Record<string, never> } }
          | undefined;
        const mapping = new TemplateMapping(
          template?.mappings?.properties ?? {},
        );
        this.#templated.set(index, mapping);
        return mapping;
      }
    }
    const mapping = new DynamicMapping();
    this.#mappings.set(index, mapping);
    return mapping;
  }

  /**
   * `_has_privileges` for the key's own index privileges: each index asked
   * maps each privilege to whether the key has it, and `has_all_requested`
   * says whether all are held
   * (https://elastic.co/guide/en/elasticsearch/reference/7.6/security-api-has-privileges.html).
   * The key holds every privilege on `writableIndexes` (or on every index).
   */
  #hasPrivileges(body: string): Response {
    let asked: unknown;
    try {
      asked = JSON.parse(body);
    } catch {
      const reason = "Failed to parse the request body";
      return failure(400, { type: "x_content_parse_exception", reason });
    }
    const entries = (asked as { index?: unknown }).index;
    const index: Record<string, Record<string, boolean>> = {};
    let all = true;
    for (const entry of Array.isArray(entries) ? entries : []) {
      const { names = [], privileges = [] } = entry as {
        names?: string[];
        privileges?: string[];
      };
      for (const name of names) {
        for (const privilege of privileges) {
          const held = this.#writable === undefined || this.#writable.has(name);
          (index[name] ??= {})[privilege] = held;
          all &&= held;
        }
      }
    }
    return reply(200, {
      username: AUTHENTICATED.username,
      has_all_requested: all,
      cluster: {},
      index,
      application: {},
    });
  }

  #authenticate(request: RecordedRequest, uri: string): Response | undefined {
    if (this.#apiKey === undefined) return undefined;
    const header = request.headers.get("authorization") ?? "";
    const credentials = /^(ApiKey|Basic|Bearer) (.*)$/i.exec(header);
    if (credentials === null) {
      return unauthorized(
        `missing authentication credentials for REST request [${uri}]`,
      );
    }
    const [, scheme = "", secret] = credentials;
    if (scheme.toLowerCase() !== "apikey" || secret !== this.#apiKey) {
      return unauthorized("unable to authenticate with provided credentials");
    }
    return undefined;
  }
}

/** Starts a fake Elasticsearch on 127.0.0.1 (free port); with `apiKey`, requests must carry it. */
export function startFakeElasticsearch(
  options: FakeElasticsearchOptions = {},
): FakeElasticsearch {
  return new FakeElasticsearch(options);
}

/**
 * `_security/_authenticate` for an API key, as Elasticsearch 8 answers it
 * (https://www.elastic.co/guide/en/elasticsearch/reference/8.19/security-api-authenticate.html).
 */
const AUTHENTICATED = {
  username: "fake-user",
  roles: [],
  full_name: null,
  email: null,
  metadata: {},
  enabled: true,
  authentication_realm: { name: "_es_api_key", type: "_es_api_key" },
  lookup_realm: { name: "_es_api_key", type: "_es_api_key" },
  authentication_type: "api_key",
  api_key: { id: "fake-key-id", name: "harombe-siem" },
};

function withProduct(response: Response): Response {
  response.headers.set("x-elastic-product", "Elasticsearch");
  return response;
}

function reply(status: number, body: unknown): Response {
  return withProduct(jsonResponse(status, body));
}

/** A request-level error: `{"error":{root_cause,type,reason},"status":N}`. */
function failure(status: number, cause: ErrorCause): Response {
  return reply(status, { error: { root_cause: [cause], ...cause }, status });
}

function unauthorized(reason: string): Response {
  const response = failure(401, { type: "security_exception", reason });
  response.headers.set("www-authenticate", "ApiKey");
  return response;
}

function clusterInfo(): Response {
  return reply(200, {
    name: "fake-node",
    cluster_name: "fake-cluster",
    version: { number: "8.19.0", build_flavor: "default" },
    tagline: "You Know, for Search",
  });
}

/** `application/x-ndjson` or `application/json`, optionally `charset=UTF-8` (or a vendor type with `compatible-with`). */
function acceptsContentType(header: string | null): boolean {
  if (header === null) return false;
  const [type = "", ...params] = header.split(";").map((part) =>
    part.trim().toLowerCase()
  );
  if (!MEDIA_TYPE.test(type)) return false;
  const vendor = type.includes("vnd.elasticsearch");
  return params.every((param) =>
    param === "charset=utf-8" ||
    (vendor && /^compatible-with=(?:7|8|9)$/.test(param))
  );
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
