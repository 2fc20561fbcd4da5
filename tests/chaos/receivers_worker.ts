/**
 * The three strict fake SIEMs, run in a Web Worker for the chaos runs: their
 * stored events live in the worker's own V8 heap, so the main isolate's
 * `heapUsed` measures the integrator (or spool) alone. The main side drives
 * faults and reads results through {@linkcode ChaosReceivers} in
 * `chaos_receivers.ts`; this file only answers its messages.
 *
 * Every 100 ms the worker compacts what the fakes record (requests and
 * accepted events) into counters per event index, so its own memory stays
 * small too, except the Elasticsearch documents, which the fake must keep to
 * answer a resent `create` with 409.
 *
 * @module
 */
import type { Fault } from "../fakes/fake_receiver.ts";
import { FakeDatadog } from "../fakes/fake_datadog.ts";
import { FakeHttpReceiver } from "../fakes/fake_http_receiver.ts";
import {
  FakeElasticsearch,
  type ItemFault,
  type ItemFaultSelector,
} from "../fakes/fake_elasticsearch.ts";
import { FakeSplunk } from "../fakes/fake_splunk.ts";
import { FakeOpenSearch } from "../fakes/fake_opensearch.ts";
import { FakeEntra } from "../fakes/fake_entra.ts";
import { FakeSentinel } from "../fakes/fake_sentinel.ts";
import { shippedColumns } from "../support/sentinel.ts";
import type { RecordedRequest } from "../fakes/fake_receiver.ts";
import { seededRandom } from "../fixtures/events.ts";
import {
  CHAOS_AWS,
  CHAOS_SENTINEL,
  type ChaosPlatform,
  type ChaosUrls,
  type DeliveryCheck,
  type DestinationReceipt,
  POISON_SUFFIX,
  type WorkerCommand,
  type WorkerReply,
  type WorkerStart,
} from "./chaos_receivers.ts";

interface Scope {
  onmessage: ((event: MessageEvent<WorkerCommand>) => void) | null;
  postMessage(message: WorkerReply): void;
}

const scope = globalThis as unknown as Scope;
const decoder = new TextDecoder();
const EVENT_ID = /"event_id":"([^"\\]*)"/g;

/** Per destination: what the fake received, compacted. */
class Tally {
  /** Times each event index was accepted (stored). */
  counts = new Uint16Array(0);
  /** Accepted ids that are not of the run (prefix or index unknown). */
  unknown = 0;
  /** Requests answered, by status (0: hang or reset). */
  statuses: Record<string, number> = {};
  /** Ids alone in a request answered 413. */
  alone413 = new Set<string>();
  /** Requests received. */
  requests = 0;
  /** Logs Datadog accepted but would truncate (over 1 MB). */
  truncated = 0;

  constructor(readonly prefix: string, count: number) {
    this.counts = new Uint16Array(count);
  }

  index(id: string): number {
    if (!id.startsWith(this.prefix)) return -1;
    const dot = id.indexOf(".", this.prefix.length);
    const index = Number(id.slice(this.prefix.length, dot));
    return Number.isInteger(index) && index >= 0 && index < this.counts.length
      ? index
      : -1;
  }

  stored(id: string): void {
    const index = this.index(id);
    if (index < 0) this.unknown++;
    else this.counts[index] = Math.min(65535, this.counts[index]! + 1);
  }

  request(request: RecordedRequest): void {
    this.requests++;
    const key = String(request.status);
    this.statuses[key] = (this.statuses[key] ?? 0) + 1;
    if (request.status === 413) {
      const ids = new Set(
        [...decoder.decode(request.body).matchAll(EVENT_ID)].map((m) => m[1]!),
      );
      if (ids.size === 1) this.alone413.add([...ids][0]!);
    }
  }
}

/**
 * The fake Elasticsearch of the chaos runs: documents whose id ends in
 * {@linkcode POISON_SUFFIX} always fail with an item 400 (a mapping
 * conflict is a property of the document), and an armed partial failure
 * fails random items of the next bulk request with 429 or 503.
 */
class ChaosElasticsearch extends FakeElasticsearch {
  #partial: { random: () => number; p429: number; p503: number } | undefined;
  itemFaults: Record<string, number> = {};

  armPartial(seed: number, p429: number, p503: number): void {
    this.#partial = { random: seededRandom(seed), p429, p503 };
  }

  protected override handle(
    request: RecordedRequest,
    encodingError: string | null,
  ): Response {
    const partial = this.#partial;
    let used = false;
    const select: ItemFaultSelector = ({ id }) => {
      used = true;
      let fault: ItemFault | undefined;
      if (id?.endsWith(POISON_SUFFIX)) {
        fault = {
          status: 400,
          type: "document_parsing_exception",
          reason:
            "[1:2] failed to parse field [metadata.poison] of type [long]",
        };
      } else if (partial) {
        const roll = partial.random();
        if (roll < partial.p429) {
          fault = {
            status: 429,
            type: "es_rejected_execution_exception",
            reason: "rejected execution of coordinating operation",
          };
        } else if (roll < partial.p429 + partial.p503) {
          fault = {
            status: 503,
            type: "unavailable_shards_exception",
            reason: "primary shard is not active",
          };
        }
      }
      if (fault) {
        const key = String(fault.status);
        this.itemFaults[key] = (this.itemFaults[key] ?? 0) + 1;
      }
      return fault;
    };
    this.failItemsNext(select);
    const response = super.handle(request, encodingError);
    // Only a request that reached item processing used the armed faults.
    if (used) this.#partial = undefined;
    return response;
  }
}

let fakes:
  | {
    splunk: FakeSplunk;
    elasticsearch: ChaosElasticsearch;
    datadog: FakeDatadog;
    opensearch: FakeOpenSearch;
    sentinel: FakeSentinel;
    entra: FakeEntra;
    http: FakeHttpReceiver;
  }
  | undefined;
let tallies: Record<ChaosPlatform, Tally> | undefined;
let compactor: ReturnType<typeof setInterval> | undefined;

function start(options: WorkerStart): ChaosUrls {
  const entra = new FakeEntra({
    tenantId: CHAOS_SENTINEL.tenantId,
    clientId: CHAOS_SENTINEL.clientId,
    clientSecret: options.tokens.sentinel,
    tokenLifetimeSeconds: CHAOS_SENTINEL.tokenLifetimeSeconds,
  });
  fakes = {
    entra,
    sentinel: new FakeSentinel({
      entra,
      dcrImmutableId: CHAOS_SENTINEL.dcrImmutableId,
      streamName: CHAOS_SENTINEL.streamName,
      columns: shippedColumns().stream,
    }),
    splunk: new FakeSplunk({
      token: options.tokens.splunk,
      maxEventBytes: options.splunkMaxEventBytes,
    }),
    elasticsearch: new ChaosElasticsearch({
      apiKey: options.tokens.elasticsearch,
      maxContentLength: options.esMaxContentLength,
    }),
    datadog: new FakeDatadog({ apiKey: options.tokens.datadog }),
    opensearch: new FakeOpenSearch({
      sigv4: {
        credentials: {
          accessKeyId: CHAOS_AWS.accessKeyId,
          secretAccessKey: options.tokens.opensearch,
        },
        region: CHAOS_AWS.region,
        service: "es",
      },
    }),
    // Takes a body a little over the sender's 1 MB maxBatchBytes: only an
    // injected 413 refuses one.
    http: new FakeHttpReceiver({
      framing: "ndjson",
      requiredHeaders: { "x-api-key": options.tokens.http },
      maxBodyBytes: 1_100_000,
    }),
  };
  tallies = {
    splunk: new Tally(options.prefix, options.count),
    elasticsearch: new Tally(options.prefix, options.count),
    datadog: new Tally(options.prefix, options.count),
    opensearch: new Tally(options.prefix, options.count),
    sentinel: new Tally(options.prefix, options.count),
    http: new Tally(options.prefix, options.count),
  };
  compactor = setInterval(compact, 100);
  return {
    sentinel: fakes.sentinel.url,
    entra: fakes.entra.url,
    splunk: fakes.splunk.url,
    elasticsearch: fakes.elasticsearch.url,
    datadog: fakes.datadog.url,
    opensearch: fakes.opensearch.url,
    http: fakes.http.endpoint,
  };
}

// Moves what the fakes recorded into the tallies, and forgets it.
function compact(): void {
  if (!fakes || !tallies) return;
  for (
    const platform of [
      "splunk",
      "elasticsearch",
      "datadog",
      "opensearch",
      "sentinel",
      "http",
    ] as const
  ) {
    const fake = fakes[platform];
    const tally = tallies[platform];
    for (const request of fake.requests.splice(0)) tally.request(request);
  }
  for (const envelope of fakes.splunk.events.splice(0)) {
    tallies.splunk.stored(
      String((envelope.event as { event_id?: unknown })?.event_id),
    );
  }
  // The token endpoint's requests are not the destination's: dropped.
  fakes.entra.requests.splice(0);
  for (const row of fakes.sentinel.rows.splice(0)) {
    tallies.sentinel.stored(String(row.event_id));
  }
  for (const event of fakes.http.events.splice(0)) {
    tallies.http.stored(String(event.event_id));
  }
  for (const log of fakes.datadog.logs.splice(0)) {
    if (log.truncated === true) tallies.datadog.truncated++;
    tallies.datadog.stored(
      String((log.audit as { event_id?: unknown })?.event_id),
    );
  }
}

// Elasticsearch and OpenSearch keep their documents (to answer a resent
// `create` with 409): counted from them.
function countDocuments(platform: ChaosPlatform): void {
  if (platform !== "elasticsearch" && platform !== "opensearch") return;
  const tally = tallies![platform];
  tally.counts.fill(0);
  tally.unknown = 0;
  for (const document of fakes![platform].documents) {
    tally.stored(document.id);
  }
}

function receipt(platform: ChaosPlatform): DestinationReceipt {
  const tally = tallies![platform];
  countDocuments(platform);
  const missing: number[] = [];
  const duplicated: number[] = [];
  let stored = 0;
  let unique = 0;
  tally.counts.forEach((n, index) => {
    stored += n;
    if (n === 0) missing.push(index);
    else unique++;
    if (n > 1) duplicated.push(index);
  });
  return {
    stored,
    unique,
    missing,
    duplicated,
    unknown: tally.unknown,
    statuses: tally.statuses,
    requests: tally.requests,
    alone413: [...tally.alone413],
    truncated: tally.truncated,
    itemFaults: platform === "elasticsearch"
      ? { ...fakes!.elasticsearch.itemFaults }
      : {},
    tokensIssued: platform === "sentinel" ? fakes!.entra.issuedTokens : 0,
  };
}

function check(platform: ChaosPlatform, indexes: Uint32Array): DeliveryCheck {
  const tally = tallies![platform];
  countDocuments(platform);
  let missing = 0;
  let duplicates = 0;
  const missingSample: number[] = [];
  for (const index of indexes) {
    const n = tally.counts[index] ?? 0;
    if (n === 0) {
      missing++;
      if (missingSample.length < 20) missingSample.push(index);
    } else duplicates += n - 1;
  }
  let stored = 0;
  for (const n of tally.counts) stored += n;
  return {
    missing,
    missingSample,
    duplicates,
    stored,
    unknown: tally.unknown,
    statuses: tally.statuses,
  };
}

async function handle(command: WorkerCommand): Promise<unknown> {
  switch (command.type) {
    case "start":
      return start(command.options);
    case "down":
      fakes![command.platform].down(command.fault);
      // An Azure outage takes the token endpoint down with the API: tokens
      // (2 s) then expire, or fail to renew, in the middle of it.
      if (command.platform === "sentinel") fakes!.entra.down(command.fault);
      return null;
    case "failNext":
      fakes![command.platform].failNext(...command.faults as Fault[]);
      return null;
    case "partial":
      fakes!.elasticsearch.armPartial(command.seed, command.p429, command.p503);
      return null;
    case "report":
      compact();
      return {
        splunk: receipt("splunk"),
        elasticsearch: receipt("elasticsearch"),
        datadog: receipt("datadog"),
        opensearch: receipt("opensearch"),
        sentinel: receipt("sentinel"),
        http: receipt("http"),
      };
    case "check":
      compact();
      return {
        splunk: check("splunk", command.indexes),
        elasticsearch: check("elasticsearch", command.indexes),
        datadog: check("datadog", command.indexes),
        opensearch: check("opensearch", command.indexes),
        sentinel: check("sentinel", command.indexes),
        http: check("http", command.indexes),
      };
    case "close":
      if (compactor !== undefined) clearInterval(compactor);
      compactor = undefined;
      if (fakes) {
        await Promise.all([
          fakes.splunk.close(),
          fakes.elasticsearch.close(),
          fakes.datadog.close(),
          fakes.opensearch.close(),
          fakes.sentinel.close(),
          fakes.entra.close(),
          fakes.http.close(),
        ]);
      }
      return null;
  }
}

scope.onmessage = (event) => {
  const command = event.data;
  handle(command).then(
    (result) => scope.postMessage({ id: command.id, result }),
    (error) =>
      scope.postMessage({
        id: command.id,
        error: error instanceof Error ? error.stack ?? error.message : String(
          error,
        ),
      }),
  );
};
