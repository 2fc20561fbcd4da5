/**
 * Set 7i of the mutation campaign: bug-like changes to the ingest, the
 * events, the producers and the Cloudflare and Deno entry points, written
 * after the hardening sweep of those areas (docs/testing-mutations.md, "Set
 * 7i"), from the code: a secret on an unusual path, the edge of a limit, a
 * unit, a count in an admin path, a status in the wrong class, a field
 * dropped on one path.
 *
 * @module
 */
import type { Mutation } from "./mutations.ts";

const t = (...names: string[]): string[] => names.map((n) => `tests/${n}`);

/** The changes of set 7i. */
export const SET7I: Mutation[] = [
  {
    name: "set7i expired token answered 403",
    file: "src/ingest/app.ts",
    from:
      '      throw new IngestError(\n        401,\n        match.kind === "expired"',
    to:
      '      throw new IngestError(\n        403,\n        match.kind === "expired"',
    tests: t(
      "ingest/producer_tokens_test.ts",
      "ingest/answer_headers_test.ts",
      "ingest/app_test.ts",
    ),
  },
  {
    name: "set7i bytes quota charged the wire size, not the decoded size",
    file: "src/ingest/app.ts",
    from: "limits.take(producer, events.length, body.byteLength, clock.now());",
    to:
      'limits.take(producer, events.length, Number(c.req.header("content-length") ?? body.byteLength), clock.now());',
    tests: t(
      "ingest/producer_quotas_test.ts",
      "ingest/app_edges_test.ts",
      "ingest/app_test.ts",
    ),
  },
  {
    name: "set7i Content-Encoding deflate read as identity",
    file: "src/ingest/read_body.ts",
    from: 'if (encoding !== "identity" && encoding !== "gzip") {',
    to:
      'if (encoding !== "identity" && encoding !== "gzip" && encoding !== "deflate") {',
    tests: t(
      "ingest/read_body_test.ts",
      "ingest/app_test.ts",
      "ingest/answer_headers_test.ts",
    ),
  },
  {
    name: "set7i a 429 counted as overloaded in /stats",
    file: "src/ingest/request_counts.ts",
    from: "if (status === 503) counts.overloaded++;",
    to: "if (status === 503 || status === 429) counts.overloaded++;",
    tests: t("ingest/app_test.ts", "ingest/app_edges_test.ts"),
  },
  {
    name: "set7i /health shows the first recent dead letter as the last",
    file: "src/ingest/health.ts",
    from: "    last = letter;\n",
    to: "    last ??= letter;\n",
    tests: t("ingest/health_test.ts", "ingest/app_edges_test.ts"),
  },
  {
    name: "set7i /metrics accepted counter from eventsReceived",
    file: "src/ingest/metrics.ts",
    from: "lines.push(`${accepted} ${formatValue(stats.eventsAccepted)}`);",
    to: "lines.push(`${accepted} ${formatValue(stats.eventsReceived)}`);",
    tests: t("ingest/metrics_test.ts", "ingest/app_test.ts"),
  },
  {
    name: "set7i SIEM_HTTP_SECRET_HEADERS ignored",
    file: "src/ingest/http_env.ts",
    from: "  if (secret) {\n",
    to: "  if (false) {\n",
    tests: t(
      "ingest/server_config_test.ts",
      "security/http_secrets_test.ts",
    ),
  },
  {
    name: "set7i INGEST_TOKENS_RELOAD_MS read from the file only",
    file: "src/ingest/server_config.ts",
    from:
      '      "INGEST_TOKENS_RELOAD_MS",\n      env.INGEST_TOKENS_RELOAD_MS,\n',
    to: '      "INGEST_TOKENS_RELOAD_MS",\n      undefined,\n',
    tests: t(
      "ingest/server_config_test.ts",
      "runtime/deno/token_reload_test.ts",
    ),
  },
  {
    name: "set7i status page history kept 600 ms, not 10 min",
    file: "src/ingest/status_page_script.ts",
    from: "  var HISTORY_MS = 10 * 60 * 1000;",
    to: "  var HISTORY_MS = 10 * 60;",
    tests: t(
      "ingest/status_page_test.ts",
      "ingest/status_page_browser_test.ts",
    ),
  },
  {
    name: "set7i fast path: an offset's minutes subtracted",
    file: "src/events/audit_event_fast_parse.ts",
    from: "  ) - sign * (offsetHours * 60 + offsetMinutes) * 60_000;",
    to: "  ) - sign * (offsetHours * 60 - offsetMinutes) * 60_000;",
    tests: t(
      "events/audit_event_test.ts",
      "properties/fast_path_test.ts",
      "ingest/pydantic_test.ts",
    ),
  },
  {
    name: "set7i metadata depth limit lowered to 32",
    file: "src/events/json_data.ts",
    from: "export const MAX_METADATA_DEPTH = 64;",
    to: "export const MAX_METADATA_DEPTH = 32;",
    tests: t(
      "events/audit_event_edges_test.ts",
      "events/json_data_test.ts",
      "events/audit_event_test.ts",
      "properties/fast_path_test.ts",
    ),
  },
  {
    name: "set7i LogTape tool_name property dropped",
    file: "src/producers/logtape_sink.ts",
    from: "  if (tool !== undefined) event.tool_name = tool;\n",
    to: "",
    tests: t(
      "producers/logtape_sink_test.ts",
      "producers/producer_edges_test.ts",
    ),
  },
  {
    name: "set7i Hono metadata.path keeps the query string",
    file: "src/producers/hono_middleware.ts",
    from: "    path: c.req.path,\n",
    to: "    path: c.req.path + new URL(c.req.url).search,\n",
    tests: t(
      "producers/hono_middleware_test.ts",
      "producers/producer_edges_test.ts",
    ),
  },
  {
    name: "set7i Workers INGEST_TOKENS_CACHE_MS=0 read as the default",
    file: "src/runtime/cloudflare/worker.ts",
    from: "return Number.isFinite(ms) && ms >= 0 ? ms : 30_000;",
    to: "return Number.isFinite(ms) && ms > 0 ? ms : 30_000;",
    tests: t("runtime/cloudflare/kv_tokens_test.ts"),
  },
  {
    name: "set7i file sink: a failed append not counted as a failed export",
    file: "src/runtime/deno/ndjson_file_sink.ts",
    from: "        this.#counters.exportsFailed++;\n",
    to: "",
    tests: t("runtime/deno/ndjson_file_sink_test.ts"),
  },
  {
    name: "set7i deno server banner lists the ingest tokens",
    file: "src/runtime/deno/server.ts",
    from: "      ? `  ${config.tokens.length} ingest token(s) configured`",
    to:
      "      ? `  ${config.tokens.length} ingest token(s) configured: ${JSON.stringify(config.tokens)}`",
    tests: t(
      "runtime/deno/server_test.ts",
      "runtime/deno/token_reload_test.ts",
    ),
  },
];
