/**
 * The index template for Elasticsearch (and OpenSearch) destinations: the
 * event's own fields get explicit types and `metadata` is one `flattened`
 * field (`flat_object` on OpenSearch), so that arbitrary metadata never
 * causes a mapping conflict or a mapping explosion, however deep or
 * inconsistent its values.
 *
 * Composable index templates: "Create or update an index template",
 * https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-indices-put-index-template
 * (`PUT /_index_template/{name}`, body `index_patterns`, `template`,
 * `priority`, `data_stream`); the `flattened` type:
 * https://www.elastic.co/docs/reference/elasticsearch/mapping-reference/flattened
 * (`depth_limit` default 20, `ignore_above`); OpenSearch's `flat_object`:
 * https://docs.opensearch.org/latest/field-types/supported-field-types/flat-object/.
 *
 * @module
 */
import { createExporter } from "./create_exporter.ts";
import { redactSecrets } from "./redact.ts";
import { configSecrets, type SIEMConfig } from "./siem_config.ts";

/** Which server the template is for. */
export type SearchEngine = "elasticsearch" | "opensearch";

/** Options of {@linkcode indexTemplate}. */
export interface IndexTemplateOptions {
  /** The index or data stream name the destination writes to. */
  index: string;
  /** `"elasticsearch"` (`flattened`) or `"opensearch"` (`flat_object`). */
  engine?: SearchEngine | undefined;
  /**
   * Make `index` a data stream (append-only, `create` only, `@timestamp`
   * required): the recommended target for audit events. Default `true`.
   */
  dataStream?: boolean | undefined;
  /**
   * The schema the destination sends: `"native"` (default) maps the
   * module's own fields; `"ecs"` maps the ECS fields the ECS documents carry,
   * each with its ECS type, so that Elastic Security's rules and the SIEM
   * app read them.
   */
  schema?: "native" | "ecs" | undefined;
  /**
   * The template's priority; it must be higher than any other template
   * matching the same name (Elasticsearch's built-in `logs-*-*` has 100).
   * Default 200.
   */
  priority?: number | undefined;
}

/** The body of `PUT /_index_template/{name}`. */
export interface IndexTemplate {
  /** The names the template applies to: exactly the destination's index. */
  index_patterns: string[];
  /** Present (empty) when the index is a data stream. */
  data_stream?: Record<string, never>;
  /** The template's priority. */
  priority: number;
  /** Settings and mappings. */
  template: {
    /** The mappings of the event's fields. */
    mappings: {
      /** `false`: a field the template does not name is kept in `_source` but never mapped. */
      dynamic: false;
      /** The fields. */
      properties: Record<string, Record<string, unknown>>;
    };
  };
  /** Who wrote the template. */
  _meta: { managed_by: string; version: number };
}

// Lucene refuses a term over 32,766 bytes ("immense term"): a keyword
// longer than 8,191 characters (4 bytes each at most) is kept in _source but
// not indexed, instead of failing the whole document.
const KEYWORD = { type: "keyword", ignore_above: 8191 } as const;
// The library accepts metadata nested up to 64 levels.
const METADATA_DEPTH = 64;

/** The version written in `_meta`; bump it when the mapping changes. */
export const INDEX_TEMPLATE_VERSION = 1;

/**
 * The index template for a destination's index.
 *
 * @example
 * ```ts
 * import { indexTemplate } from "./index_template.ts";
 *
 * const template = indexTemplate({ index: "audit-events" });
 * if (template.template.mappings.properties.metadata?.type !== "flattened") {
 *   throw new Error("metadata must be one flattened field");
 * }
 * ```
 *
 * @param options The index and the server kind.
 * @returns The template body.
 */
export function indexTemplate(options: IndexTemplateOptions): IndexTemplate {
  const engine = options.engine ?? "elasticsearch";
  const metadata = engine === "opensearch"
    // flat_object has no depth or length parameters.
    ? { type: "flat_object" }
    : { type: "flattened", depth_limit: METADATA_DEPTH, ignore_above: 8191 };
  const template: IndexTemplate = {
    index_patterns: [options.index],
    priority: options.priority ?? 200,
    template: {
      mappings: {
        dynamic: false,
        properties: {
          "@timestamp": { type: "date" },
          timestamp: { type: "date" },
          original_timestamp: { type: "date" },
          event_id: KEYWORD,
          correlation_id: KEYWORD,
          session_id: KEYWORD,
          event_type: KEYWORD,
          actor: KEYWORD,
          tool_name: KEYWORD,
          action: KEYWORD,
          status: KEYWORD,
          source: KEYWORD,
          severity: KEYWORD,
          // The ingest's stamp: the named producer whose token sent the event.
          producer: KEYWORD,
          duration_ms: { type: "long" },
          error_message: { type: "text" },
          metadata,
        },
      },
    },
    _meta: { managed_by: "harombe-siem", version: INDEX_TEMPLATE_VERSION },
  };
  if (options.schema === "ecs") {
    template.template.mappings.properties = ecsProperties(engine, metadata);
  }
  if (options.dataStream ?? true) template.data_stream = {};
  return template;
}

const object = (
  properties: Record<string, Record<string, unknown>>,
): Record<string, unknown> => ({ properties });

// The fields an ECS document carries (see `toECS()`), each with its type in
// ECS 9.4 (https://www.elastic.co/docs/reference/ecs/ecs-field-reference;
// the tests compare them with the `@elastic/ecs` package's definitions).
// OpenSearch has no match_only_text: text is its nearest type.
function ecsProperties(
  engine: SearchEngine,
  metadata: Record<string, unknown>,
): Record<string, Record<string, unknown>> {
  const matchOnlyText = engine === "opensearch"
    ? { type: "text" }
    : { type: "match_only_text" };
  return {
    "@timestamp": { type: "date" },
    ecs: object({ version: KEYWORD }),
    event: object({
      kind: KEYWORD,
      category: KEYWORD,
      type: KEYWORD,
      code: KEYWORD,
      action: KEYWORD,
      outcome: KEYWORD,
      id: KEYWORD,
      provider: KEYWORD,
      duration: { type: "long" },
    }),
    log: object({ level: KEYWORD }),
    user: object({
      name: { ...KEYWORD, fields: { text: matchOnlyText } },
    }),
    gen_ai: object({ tool: object({ name: KEYWORD }) }),
    error: object({ message: matchOnlyText }),
    trace: object({ id: KEYWORD }),
    labels: object({
      correlation_id: KEYWORD,
      session_id: KEYWORD,
      status: KEYWORD,
      producer: KEYWORD,
    }),
    harombe: object({
      metadata,
      original_timestamp: { type: "date" },
      duration_ms: { type: "long" },
    }),
  };
}

/** The outcome of {@linkcode installIndexTemplate}. */
export interface InstallTemplateResult {
  /** The template's name on the server. */
  name: string;
  /** Whether the server acknowledged it. */
  ok: boolean;
  /** The HTTP status. */
  status: number;
  /** What went wrong, in a sentence, when not ok (never the token). */
  error?: string | undefined;
}

/**
 * Installs (creates or replaces) the index template of an Elasticsearch or
 * OpenSearch destination, with the destination's own endpoint and
 * credentials (API key, Basic auth, or AWS SigV4). The engine defaults to
 * the destination's platform.
 *
 * @example
 * ```ts ignore
 * import { parseSIEMConfig } from "@harombe/siem";
 * import { installIndexTemplate } from "./index_template.ts";
 *
 * const config = parseSIEMConfig({
 *   platform: "elasticsearch",
 *   endpoint: "https://es.example.com:9200",
 *   token: "api-key",
 *   index: "logs-audit-default",
 * });
 * console.log(await installIndexTemplate(config));
 * ```
 *
 * @param config The destination's parsed config.
 * @param options The template options (index taken from the config) and the `fetch` to use.
 * @returns What the server answered.
 */
export async function installIndexTemplate(
  config: SIEMConfig,
  options: Omit<IndexTemplateOptions, "index"> & {
    fetch?: typeof fetch | undefined;
  } = {},
): Promise<InstallTemplateResult> {
  const name = `harombe-siem-${config.index}`;
  const body = new TextEncoder().encode(JSON.stringify(indexTemplate({
    engine: config.platform === "opensearch" ? "opensearch" : "elasticsearch",
    schema: config.schema === "ecs" ? "ecs" : "native",
    ...options,
    index: config.index,
  })));
  // The destination's own credentials, as its exporter sends them.
  const exporter = createExporter(config);
  const url = `${config.endpoint}/_index_template/${encodeURIComponent(name)}`;
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    const headers = await exporter.signRequest({
      method: "PUT",
      url,
      headers: { ...exporter.headers, "Content-Type": "application/json" },
      body,
    }, Date.now());
    response = await doFetch(url, {
      method: "PUT",
      headers,
      body,
      signal: AbortSignal.timeout(config.timeoutMs),
      redirect: "manual",
    });
  } catch (error) {
    return {
      name,
      ok: false,
      status: 0,
      error: redactSecrets(
        `cannot reach ${config.endpoint}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        configSecrets(config),
      ),
    };
  }
  const text = await response.text();
  if (response.ok) return { name, ok: true, status: response.status };
  return {
    name,
    ok: false,
    status: response.status,
    error: `HTTP ${response.status}: ${reasonOf(text, configSecrets(config))}`,
  };
}

// The deepest cause's type and reason of an Elasticsearch error body, else
// the start of the body; no credential is ever quoted.
function reasonOf(text: string, secrets: readonly string[]): string {
  const clean = redactSecrets(text, secrets);
  let reason = clean.slice(0, 300);
  try {
    let cause = (JSON.parse(clean) as { error?: unknown }).error;
    while (
      typeof cause === "object" && cause !== null &&
      "caused_by" in cause && typeof cause.caused_by === "object"
    ) {
      cause = cause.caused_by;
    }
    if (typeof cause === "string") reason = cause;
    else if (typeof cause === "object" && cause !== null) {
      const { type, reason: why } = cause as {
        type?: unknown;
        reason?: unknown;
      };
      reason = `${String(type)}: ${String(why)}`;
    }
  } catch {
    // not JSON: a proxy's page; the excerpt says so
  }
  return redactSecrets(reason, secrets);
}
