/**
 * The main side of the chaos receivers: starts `receivers_worker.ts` (the
 * three strict fakes in their own isolate), injects faults into them and
 * reads what they stored.
 *
 * @module
 */
import type { Fault } from "../fakes/fake_receiver.ts";

/** The six platforms, by the destination names the chaos runs use. */
export type ChaosPlatform =
  | "splunk"
  | "elasticsearch"
  | "datadog"
  | "opensearch"
  | "sentinel"
  | "http";

/** The platforms, in a fixed order. */
export const PLATFORMS: readonly ChaosPlatform[] = [
  "splunk",
  "elasticsearch",
  "datadog",
  "opensearch",
  "sentinel",
  "http",
];

/**
 * The chaos OpenSearch is an Amazon OpenSearch Service domain (SigV4,
 * service `es`): this region and access key id, the secret access key from
 * the tokens.
 */
export const CHAOS_AWS = {
  region: "eu-west-1",
  accessKeyId: "AKIACHAOS0123456789",
} as const;

/** An event id ending in this is refused by Elasticsearch with an item 400, every time. */
export const POISON_SUFFIX = ".p";

/** The fakes' base URLs, and Sentinel's token endpoint (`entra`). */
export type ChaosUrls = Record<ChaosPlatform, string> & { entra: string };

/** The chaos Sentinel's app registration and DCR (its client secret is in the tokens). */
export const CHAOS_SENTINEL = {
  tenantId: "c4a05000-0000-4000-8000-000000000001",
  clientId: "c4a05000-0000-4000-8000-000000000002",
  dcrImmutableId: "dcr-c4a05000c4a05000c4a05000c4a05000",
  streamName: "Custom-HarombeSecurity",
  /** Tokens live 2 s, so a run renews them many times under faults. */
  tokenLifetimeSeconds: 2,
} as const;

/** How the worker starts the fakes. */
export interface WorkerStart {
  /** The credentials the fakes accept. */
  tokens: Record<ChaosPlatform, string>;
  /** Every event id of the run is `${prefix}${index}.${class}`. */
  prefix: string;
  /** How many events the run has. */
  count: number;
  /** Splunk's largest envelope. */
  splunkMaxEventBytes: number;
  /** Elasticsearch's `http.max_content_length`. */
  esMaxContentLength: number;
}

/** What the worker is asked to do. */
export type WorkerRequest =
  | { type: "start"; options: WorkerStart }
  | { type: "down"; platform: ChaosPlatform; fault: Fault | null }
  | { type: "failNext"; platform: ChaosPlatform; faults: Fault[] }
  | { type: "partial"; seed: number; p429: number; p503: number }
  | { type: "report" }
  | { type: "check"; indexes: Uint32Array }
  | { type: "close" };

/** A message to the worker: a request and its id. */
export type WorkerCommand = WorkerRequest & { id: number };

/** The worker's answer to one command. */
export interface WorkerReply {
  /** The command's id. */
  id: number;
  /** Its result. */
  result?: unknown;
  /** Its error, when it failed. */
  error?: string;
}

/** What one fake stored and answered over the run. */
export interface DestinationReceipt {
  /** Events stored, duplicates included. */
  stored: number;
  /** Distinct events of the run stored. */
  unique: number;
  /** Indexes of the run's events never stored. */
  missing: number[];
  /** Indexes of events stored more than once. */
  duplicated: number[];
  /** Stored events that are not of the run. */
  unknown: number;
  /** Requests answered, by HTTP status (0: hang or reset). */
  statuses: Record<string, number>;
  /** Requests received. */
  requests: number;
  /** Ids of events that were alone in a request answered 413. */
  alone413: string[];
  /** Datadog: logs accepted above 1 MB (Datadog would truncate them). */
  truncated: number;
  /** Elasticsearch: item failures injected, by status. */
  itemFaults: Record<string, number>;
  /** Sentinel: Entra tokens issued over the run (each lives 2 s). */
  tokensIssued: number;
}

/** Whether given events were stored (see {@linkcode ChaosReceivers.check}). */
export interface DeliveryCheck {
  /** How many of the given events were never stored. */
  missing: number;
  /** Up to 20 of them, by index. */
  missingSample: number[];
  /** Extra copies stored of the given events. */
  duplicates: number;
  /** Events stored in all, duplicates included. */
  stored: number;
  /** Stored events that are not of the run. */
  unknown: number;
  /** Requests answered, by HTTP status (0: hang or reset). */
  statuses: Record<string, number>;
}

/** The fakes in their worker. */
export class ChaosReceivers implements AsyncDisposable {
  readonly #worker: Worker;
  readonly #pending = new Map<
    number,
    { resolve(value: unknown): void; reject(error: Error): void }
  >();
  #urls: ChaosUrls | undefined;
  #next = 1;
  #closed = false;

  private constructor() {
    this.#worker = new Worker(
      new URL("./receivers_worker.ts", import.meta.url),
      { type: "module" },
    );
    this.#worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const waiter = this.#pending.get(event.data.id);
      this.#pending.delete(event.data.id);
      if (event.data.error !== undefined) {
        waiter?.reject(new Error(`receivers worker: ${event.data.error}`));
      } else waiter?.resolve(event.data.result);
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      for (const waiter of this.#pending.values()) {
        waiter.reject(new Error(`receivers worker failed: ${event.message}`));
      }
      this.#pending.clear();
    };
  }

  /** Starts the worker and its three fakes on 127.0.0.1. */
  static async start(options: WorkerStart): Promise<ChaosReceivers> {
    const receivers = new ChaosReceivers();
    try {
      receivers.#urls = await receivers.#call({ type: "start", options }) as
        | ChaosUrls
        | undefined;
    } catch (error) {
      receivers.#closed = true;
      receivers.#worker.terminate();
      throw error;
    }
    return receivers;
  }

  /** Each fake's base URL, and the fake Entra token endpoint's. */
  get urls(): ChaosUrls {
    if (!this.#urls) throw new Error("the receivers are not started");
    return this.#urls;
  }

  /** Every request to `platform` gets `fault` until `null` clears it. */
  async down(platform: ChaosPlatform, fault: Fault | null): Promise<void> {
    await this.#call({ type: "down", platform, fault });
  }

  /** The next requests to `platform` get these faults, one each. */
  async failNext(platform: ChaosPlatform, ...faults: Fault[]): Promise<void> {
    await this.#call({ type: "failNext", platform, faults });
  }

  /** The next Elasticsearch bulk request fails random items with 429 or 503. */
  async partial(seed: number, p429: number, p503: number): Promise<void> {
    await this.#call({ type: "partial", seed, p429, p503 });
  }

  /** What each fake stored and answered. */
  async report(): Promise<Record<ChaosPlatform, DestinationReceipt>> {
    return await this.#call({ type: "report" }) as Record<
      ChaosPlatform,
      DestinationReceipt
    >;
  }

  /** Whether each event index given was stored by each fake, and how often. */
  async check(
    indexes: Uint32Array,
  ): Promise<Record<ChaosPlatform, DeliveryCheck>> {
    return await this.#call({ type: "check", indexes }) as Record<
      ChaosPlatform,
      DeliveryCheck
    >;
  }

  /** Stops the fakes and the worker; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        this.#call({ type: "close" }),
        new Promise((resolve) => timer = setTimeout(resolve, 5000)),
      ]);
    } finally {
      clearTimeout(timer);
      this.#worker.terminate();
      for (const waiter of this.#pending.values()) {
        waiter.reject(new Error("receivers worker closed"));
      }
      this.#pending.clear();
    }
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #call(request: WorkerRequest): Promise<unknown> {
    const command: WorkerCommand = { ...request, id: this.#next++ };
    return new Promise((resolve, reject) => {
      this.#pending.set(command.id, { resolve, reject });
      this.#worker.postMessage(command);
    });
  }
}
