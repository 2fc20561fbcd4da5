/**
 * Pins the public API: what each entry point of deno.json exports, values
 * and types, so that an accidental export (or a lost one) fails here. The
 * root (`mod.ts`) holds only what a user of the integrator needs; exporter
 * building blocks are at `./exporters`, and each name is exported from one
 * entry point only.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** Per entry point: its runtime values, then its types (sorted). */
const EXPECTED: Record<string, { values: string[]; types: string[] }> = {
  ".": {
    values: [
      "AUDIT_EVENT_TYPES",
      "AuditEventSchema",
      "DATADOG_MAX_EVENT_AGE_MS",
      "DATADOG_MAX_REQUEST_BYTES",
      "DEFAULT_INDEX",
      "DEFAULT_MAX_BATCH_BYTES",
      "DEFAULT_MAX_BUFFERED_BYTES",
      "DEFAULT_SOURCE",
      "IntegratorStoppedError",
      "InvalidAuditEventError",
      "MAX_EVENT_ID_BYTES",
      "SIEMConfigError",
      "SIEMConfigSchema",
      "SIEMIntegrator",
      "SIEMPlatform",
      "SIEM_PLATFORMS",
      "SIEM_SCHEMAS",
      "parseAuditEvent",
      "parseSIEMConfig",
    ],
    types: [
      "AgedEventPolicy",
      "AuditEvent",
      "AuditEventInput",
      "AuditEventIssue",
      "AuditEventTarget",
      "AuditEventType",
      "AwsSigningConfig",
      "Clock",
      "Compression",
      "DeadLetter",
      "DeliveryCounters",
      "DeliveryStats",
      "DestinationReport",
      "DestinationState",
      "DestinationStats",
      "EnqueueReceipt",
      "ExportResult",
      "GoogleSecOpsConfig",
      "GoogleSecOpsConfigInput",
      "GoogleServiceAccountCredentials",
      "GoogleServiceAccountKey",
      "IntegratorStats",
      "Logger",
      "OverflowPolicy",
      "ParsedSIEMConfig",
      "RecentDeadLetter",
      "SIEMConfig",
      "SIEMConfigInput",
      "SIEMEvent",
      "SIEMIntegratorOptions",
      "SIEMSchema",
      "Schema",
      "SchemaIssue",
      "SchemaResult",
      "HttpFraming",
      "HttpOptions",
      "HttpOptionsInput",
      "HttpPreset",
      "SentinelConfig",
      "SentinelConfigInput",
      "Severity",
      "StopOptions",
      "StopReport",
    ],
  },
  "./exporters": {
    values: [
      "BodyWriter",
      "DATADOG_MAX_EVENT_LEAD_MS",
      "DATADOG_MAX_LOG_BYTES",
      "DEFAULT_AUTHORITY_HOST",
      "DEFAULT_SENTINEL_SCOPE",
      "DEFAULT_SENTINEL_STREAM",
      "DatadogExporter",
      "ElasticsearchExporter",
      "EntraTokenCache",
      "EntraTokenError",
      "Exporter",
      "GOOGLE_SECOPS_API_VERSION",
      "GoogleSecOpsExporter",
      "OpenSearchExporter",
      "RequestAbortedError",
      "SENTINEL_API_VERSION",
      "SENTINEL_COLUMNS",
      "SENTINEL_DEFAULT_MAX_BATCH_BYTES",
      "SENTINEL_MAX_REQUEST_BYTES",
      "SentinelExporter",
      "HTTP_DEFAULT_MAX_BATCH_BYTES",
      "HttpExporter",
      "SUMO_MAX_REQUEST_BYTES",
      "WELL_KNOWN_SECRET_HEADERS",
      "SplunkExporter",
      "ECS_VERSION",
      "OCSF_VERSION",
      "configSecrets",
      "createExporter",
      "schemasOf",
      "severityOf",
      "toCIM",
      "toDatadogAttributes",
      "toECS",
      "toOCSF",
      "toSIEMEvent",
    ],
    types: [
      "CIMChangeAction",
      "CIMChangeEvent",
      "DatadogAttributes",
      "ECSDocument",
      "ECSEventType",
      "EventFailure",
      "OCSFApiActivity",
      "GoogleSecOpsExporterOptions",
      "PostOptions",
      "PostOutcome",
      "PreparedBatch",
      "ResponseVerdict",
      "SentinelColumn",
      "SentinelColumnType",
      "SignContext",
      "ToSIEMEventOptions",
      "TokenRequestOptions",
      "UnsignedRequest",
    ],
  },
  "./ingest": {
    values: [
      "DEAD_LETTER_WINDOW_MS",
      "DEFAULT_PRODUCER",
      "IngestError",
      "METRICS_CONTENT_TYPE",
      "ProducerTokens",
      "ServerConfigError",
      "checkProducerTokens",
      "checkQuotas",
      "createIngestApp",
      "destinationHealth",
      "healthReport",
      "integratorSink",
      "parseQuotas",
      "parseTokenList",
      "producerLimiter",
      "reloadTokens",
      "renderMetrics",
      "renderProducerMetrics",
      "serverConfig",
    ],
    types: [
      "AcceptOptions",
      "CheckedToken",
      "DestinationHealth",
      "EventProblem",
      "HealthOptions",
      "HealthReport",
      "IngestAccepted",
      "IngestApp",
      "IngestAppOptions",
      "IngestErrorBody",
      "IngestErrorCode",
      "IngestExecutionContext",
      "IngestRequestStats",
      "IngestSink",
      "ProducerLimiter",
      "ProducerQuota",
      "ProducerQuotas",
      "ProducerStats",
      "ProducerToken",
      "ServerConfig",
      "ServerConfigFile",
      "TokenMatch",
    ],
  },
  "./deno": {
    values: [
      "FILE_DESTINATION",
      "NdjsonFileSink",
      "configFromDenoEnv",
      "startServer",
    ],
    types: ["IngestServer", "StartServerOptions"],
  },
  "./cloudflare": {
    values: [
      "QUEUE_LIMITS",
      "QueueSink",
      "WORKER_MAX_BUFFERED_BYTES",
      "consumeQueueBatch",
      "createWorker",
      "default",
      "defaultDeadLetterRetryDelaySeconds",
      "defaultRetryDelaySeconds",
      "forwardDeadLetterBatch",
    ],
    types: [
      "DeadLetterForwardOptions",
      "DeadLetterForwardSummary",
      "IngestWorker",
      "MessageBatchLike",
      "MessageLike",
      "QueueBatchSummary",
      "QueueConsumerOptions",
      "QueueContentType",
      "QueueDeadLetterMessage",
      "QueueEventsMessage",
      "QueueMessageRequest",
      "QueueProducerLike",
      "QueueRetryOptions",
      "QueueSendBatchOptions",
      "QueueSendOptions",
      "QueueSinkOptions",
      "QueueSinkStats",
      "WorkerEnv",
      "WorkerExecutionContext",
      "WorkerOptions",
    ],
  },
  "./bun": {
    values: ["serveBun", "startBunServer"],
    types: ["BunIngestServer"],
  },
  "./spool": {
    values: ["KvSpool"],
    types: [
      "KvAtomicLike",
      "KvEntryLike",
      "KvKey",
      "KvKeyPart",
      "KvLike",
      "KvMaybeEntryLike",
      "KvSpoolOptions",
      "SpoolCommitExtras",
      "SpoolStopReport",
      "StoredDeadLetter",
    ],
  },
  "./doctor": {
    values: [
      "DATADOG_SITES",
      "DEFAULT_STEP_TIMEOUT_MS",
      "TEST_EVENT_ACTION",
      "checkDestination",
      "datadogSite",
      "formatDiagnosis",
    ],
    types: [
      "CheckDestinationOptions",
      "DestinationDiagnosis",
      "DoctorCheck",
      "DoctorStatus",
      "DoctorStep",
    ],
  },
  "./hono": {
    values: ["CREDENTIAL_HEADERS", "MAX_CORRELATION_ID_LENGTH", "siemAudit"],
    types: [
      "HonoContextLike",
      "HonoEnvLike",
      "HonoRequestLike",
      "SIEMAuditContext",
      "SIEMAuditMiddleware",
      "SIEMAuditOptions",
      "VariablesOf",
    ],
  },
  "./logtape": {
    values: ["auditSink"],
    types: ["AuditSinkOptions", "LogTapeRecord", "LogTapeSink"],
  },
};

const sorted = (names: Iterable<string>): string[] =>
  [...names].sort((a, b) => a < b ? -1 : a > b ? 1 : 0);

async function denoJsonExports(): Promise<Record<string, string>> {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  );
  return config.exports;
}

/** Every symbol an entry point exports, types included, as `deno doc` lists them. */
async function documentedNames(path: string): Promise<string[]> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", path],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const doc = JSON.parse(new TextDecoder().decode(stdout)) as {
    nodes: Record<string, { symbols?: { name: string }[] }>;
  };
  return sorted(
    Object.values(doc.nodes).flatMap((node) =>
      (node.symbols ?? []).map((symbol) => symbol.name)
    ),
  );
}

Deno.test("deno.json exports exactly the entry points pinned here", async () => {
  assert.deepEqual(
    sorted(Object.keys(await denoJsonExports())),
    sorted(Object.keys(EXPECTED)),
  );
});

Deno.test("each name is exported from one entry point only", () => {
  const owners = new Map<string, string>();
  for (const [entry, { values, types }] of Object.entries(EXPECTED)) {
    for (const name of [...values, ...types]) {
      if (name === "default") continue;
      assert.equal(
        owners.get(name),
        undefined,
        `${name} is exported from ${owners.get(name)} and ${entry}`,
      );
      owners.set(name, entry);
    }
  }
});

for (const entry of Object.keys(EXPECTED)) {
  Deno.test(`the ${entry} entry point exports exactly its pinned names`, async () => {
    const path = (await denoJsonExports())[entry];
    assert.ok(path, `deno.json has no export ${entry}`);
    const expected = EXPECTED[entry]!;
    const module = await import(new URL(path, ROOT).href);
    assert.deepEqual(sorted(Object.keys(module)), sorted(expected.values));
    assert.deepEqual(
      await documentedNames(path),
      sorted([...expected.values, ...expected.types]),
    );
  });
}
