// deno-lint-ignore-file no-console
/**
 * The chaos run: a seeded random fault schedule applied to the three fake
 * SIEMs (and to the network between them and the sender) while events flow
 * through a `SIEMIntegrator` or a `KvSpool`, then an audit of where every
 * event went.
 *
 * - `CHAOS_SEED` replays a run's schedule (the seed is printed first).
 * - `CHAOS_EVENTS` sets the number of events (default 10,000).
 * - `CHAOS_FAULT_RATE` multiplies the number of faults (default 1, 0: none).
 * - `CHAOS_TRACE=1` prints the retained heap and each destination's
 *   counters every second.
 *
 * Network timing is not replayed: a seed gives the same events (the same
 * oversized and poison ones), the same faults with the same parameters, at
 * the same points of delivery progress; which batch a fault meets can
 * differ between runs.
 *
 * @module
 */
import v8 from "node:v8";
import vm from "node:vm";
import {
  type AuditEventInput,
  parseAuditEvent,
} from "../../src/events/audit_event.ts";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import type {
  DeadLetter,
  StopReport,
} from "../../src/delivery/export_result.ts";
import type { Logger } from "../../src/delivery/logger.ts";
import type { DeliveryStats } from "../../src/delivery/stats.ts";
import { IngestError } from "../../src/ingest/ingest_error.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { KvSpool } from "../../src/spool/kv_spool.ts";
import type { Fault } from "../fakes/fake_receiver.ts";
import { seededRandom } from "../fixtures/events.ts";
import { TOKENS } from "../support/receivers.ts";
import {
  CHAOS_AWS,
  CHAOS_SENTINEL,
  type ChaosPlatform,
  ChaosReceivers,
  type ChaosUrls,
  type DestinationReceipt,
  PLATFORMS,
  POISON_SUFFIX,
} from "./chaos_receivers.ts";

// ---------------------------------------------------------------------------
// Settings

/** The seed of this process's runs: `CHAOS_SEED`, or a random one. */
export function chaosSeed(): number {
  const text = Deno.env.get("CHAOS_SEED");
  if (text !== undefined && text !== "") {
    const seed = Number(text);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`CHAOS_SEED must be a 32-bit unsigned integer`);
    }
    return seed;
  }
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/** How many events a run has: `CHAOS_EVENTS`, default 10,000. */
export function chaosEvents(): number {
  const text = Deno.env.get("CHAOS_EVENTS");
  if (text === undefined || text === "") return 10_000;
  const count = Number(text);
  if (!Number.isInteger(count) || count < 100 || count > 10_000_000) {
    throw new RangeError("CHAOS_EVENTS must be an integer in 100..10000000");
  }
  return count;
}

/** Splunk refuses an envelope over this (HEC code 6 with its number). */
export const SPLUNK_MAX_EVENT_BYTES = 16_384;
/** Elasticsearch refuses a request body over this with 413. */
export const ES_MAX_CONTENT_LENGTH = 600_000;
/** Each destination's buffer bound in the integrator run. */
export const MAX_BUFFERED_EVENTS = 5_000;
/**
 * How much the main isolate's retained heap (`heapUsed` after a full
 * collection) may grow over its first sample during a run, whatever the
 * number of events. The integrator buffers at most
 * {@linkcode MAX_BUFFERED_EVENTS} events per destination (one shared object
 * per event, about 1.5 KB retained: 7.5 MB), a spool lease holder loads
 * about 4 batches per destination (600 events), and at most one batch per
 * destination is in flight, holding at most one 1.05 MB event of the run
 * (its string and the copies serializing makes: about 6 MB for three
 * destinations); the
 * bookkeeping of the run (dead letters, ids of lost answers) stays under a
 * few MB. That is under 20 MB: the bound is three times that, and does not
 * grow with the number of events, so a leak of even 1 KB per event fails a
 * 100,000-event run.
 */
export const HEAP_GROWTH_BOUND_BYTES = 64 * 1024 * 1024;
/** Without a way to collect garbage first, only a coarse bound on the raw peak. */
export const RAW_HEAP_BOUND_BYTES = 512 * 1024 * 1024;

/** The delivery settings of every destination: small delays so a run converges fast. */
export const FAST = {
  batchSize: 50,
  flushIntervalMs: 100,
  maxRetries: 3,
  retryDelayMs: 10,
  maxRetryDelayMs: 250,
  timeoutMs: 1000,
} as const;

// ---------------------------------------------------------------------------
// Events

/** The kinds of event of a run. */
export type EventClass =
  /** ~1 KB: every platform takes it. */
  | "n"
  /** 20-40 KB: over Splunk's maxEventBytes, fine elsewhere. */
  | "b"
  /** Integrator: 1.05 MB, refused by all three; spool: 650 KB, refused by Splunk and Elasticsearch. */
  | "h"
  /** Refused by Elasticsearch with an item 400, every time. */
  | "p"
  /** Spool only: 800 KB, over what the spool stores at once (refused at accept with 413). */
  | "g";

/** Which events of a run are which, and the events themselves (made on demand). */
export class EventPlan {
  readonly prefix: string;
  readonly count: number;
  readonly #special = new Map<number, EventClass>();
  readonly #variant: Variant;
  readonly #base = Math.floor(Date.now() / 1000) * 1000 - 10 * 60_000;

  constructor(seed: number, count: number, variant: Variant) {
    this.prefix = `c${seed}-${variant === "integrator" ? "i" : "s"}-`;
    this.count = count;
    this.#variant = variant;
    const random = seededRandom(seed ^ 0x5eed);
    const place = (cls: EventClass, n: number): void => {
      for (let placed = 0, tries = 0; placed < n && tries < n * 20; tries++) {
        const index = Math.floor(random() * count);
        if (this.#special.has(index)) continue;
        this.#special.set(index, cls);
        placed++;
      }
    };
    place("b", Math.max(3, Math.round(count * 0.004)));
    place("h", Math.max(2, Math.round(count * 0.0004)));
    place("p", Math.max(3, Math.round(count * 0.002)));
    if (variant === "spool") {
      place("g", Math.max(1, Math.round(count * 0.0002)));
    }
  }

  /** The class of event `index`. */
  classOf(index: number): EventClass {
    return this.#special.get(index) ?? "n";
  }

  /** The id of event `index`. */
  id(index: number): string {
    const cls = this.classOf(index);
    return `${this.prefix}${index}${cls === "p" ? POISON_SUFFIX : `.${cls}`}`;
  }

  /** How many events of each class. */
  classCounts(): Record<EventClass, number> {
    const counts: Record<EventClass, number> = { n: 0, b: 0, h: 0, p: 0, g: 0 };
    for (const cls of this.#special.values()) counts[cls]++;
    counts.n = this.count - this.#special.size;
    return counts;
  }

  /** Indexes of the events of a class. */
  indexesOf(cls: EventClass): number[] {
    return [...this.#special].filter(([, c]) => c === cls).map(([i]) => i);
  }

  /** Event `index`, as a caller would post it. */
  event(index: number): AuditEventInput {
    const cls = this.classOf(index);
    const metadata: Record<string, unknown> = {
      request_path: `/api/v1/tools/${TOOLS[index % TOOLS.length]}`,
      client_ip: `10.0.${index % 256}.${(index * 7) % 256}`,
      attempt: index % 5,
      labels: { team: `team-${index % 13}`, tier: index % 2 ? "gold" : "std" },
    };
    if (index % 10 === 0) metadata.user_name = "José Müller — 東京";
    if (cls === "b") metadata.blob = "b".repeat(20_000 + (index % 20) * 1000);
    if (cls === "h") {
      metadata.blob = "h".repeat(
        this.#variant === "integrator" ? 1_050_000 : 650_000,
      );
    }
    if (cls === "g") metadata.blob = "g".repeat(800_000);
    if (cls === "p") metadata.poison = "not-a-number";
    const failed = index % 17 === 0;
    return {
      event_id: this.id(index),
      correlation_id: `corr-${index >> 2}`,
      session_id: `sess-${index % 97}`,
      timestamp: new Date(this.#base + (index % 600_000)).toISOString(),
      event_type: TYPES[index % TYPES.length]!,
      actor: `agent-${index % 31}`,
      tool_name: TOOLS[(index >> 3) % TOOLS.length],
      action: TOOLS[(index >> 1) % TOOLS.length]!,
      metadata,
      duration_ms: (index * 37) % 5000,
      status: failed ? "error" : "success",
      error_message: failed ? `Tool failed: exit code ${index % 7}` : undefined,
    };
  }
}

const TYPES = [
  "request",
  "response",
  "error",
  "security_decision",
  "tool_call",
] as const;
const TOOLS = ["read_file", "write_file", "run_shell", "http_get", "query_db"];

// ---------------------------------------------------------------------------
// Faults

/** The kinds of fault a schedule injects. */
export type FaultKind =
  | "outage"
  | "rate_limit"
  | "server_error"
  | "hang"
  | "reset"
  | "too_large"
  | "bulk_partial"
  | "answer_lost"
  | "answer_late";

/** One fault of the schedule, applied when `at` events have been handed over. */
export interface ScheduledFault {
  at: number;
  kind: FaultKind;
  platform: ChaosPlatform;
  /** outage: how long; rate_limit/server_error/reset: how many requests. */
  amount: number;
  /** server_error: the status; bulk_partial: the item-fault seed. */
  detail: number;
}

const WEIGHTS: ReadonlyArray<readonly [FaultKind, number]> = [
  ["outage", 2],
  ["rate_limit", 3],
  ["server_error", 3],
  ["hang", 1],
  ["reset", 3],
  ["too_large", 2],
  ["bulk_partial", 3],
  ["answer_lost", 3],
  ["answer_late", 1],
];
/** Faults per 10,000 events. */
const FAULTS_PER_10K = 60;

/**
 * How many times the usual number of faults a run gets: `CHAOS_FAULT_RATE`
 * (default 1; 0 runs without faults, to tell a fault's effect from the
 * sender's own behaviour).
 */
export function chaosFaultRate(): number {
  const text = Deno.env.get("CHAOS_FAULT_RATE");
  if (text === undefined || text === "") return 1;
  const rate = Number(text);
  if (!(rate >= 0 && rate <= 100)) {
    throw new RangeError("CHAOS_FAULT_RATE must be a number in 0..100");
  }
  return rate;
}

/** The seeded fault schedule of a run, sorted by `at`. */
export function faultSchedule(
  seed: number,
  count: number,
  rate = 1,
): ScheduledFault[] {
  const random = seededRandom(seed);
  const total = Math.round((count / 10_000) * FAULTS_PER_10K * rate);
  const sum = WEIGHTS.reduce((s, [, w]) => s + w, 0);
  const faults: ScheduledFault[] = [];
  for (let n = 0; n < total; n++) {
    let roll = random() * sum;
    let kind: FaultKind = "outage";
    for (const [k, w] of WEIGHTS) {
      if ((roll -= w) < 0) {
        kind = k;
        break;
      }
    }
    const platform = kind === "bulk_partial"
      ? "elasticsearch"
      : PLATFORMS[Math.floor(random() * PLATFORMS.length)]!;
    const at = Math.floor(random() * count);
    const amount = kind === "outage"
      ? 300 + Math.floor(random() * 1200)
      : 1 + Math.floor(random() * 3);
    const detail = kind === "server_error"
      ? [500, 502, 503, 504][Math.floor(random() * 4)]!
      : Math.floor(random() * 0xffffffff);
    faults.push({ at, kind, platform, amount, detail });
  }
  return faults.sort((a, b) => a.at - b.at);
}

/**
 * A `fetch` for the sender that loses answers on purpose: `answer_lost`
 * drops the connection after the SIEM has processed the request (as a reset
 * on the way back), `answer_late` holds the answer until the request's
 * timeout. It also records the events of every request whose answer never
 * reached the sender, the only ones a SIEM may have stored twice.
 */
export class ChaosFetch {
  readonly #origins: Map<string, ChaosPlatform>;
  readonly #queued: Record<ChaosPlatform, ("lost" | "late")[]> = {
    splunk: [],
    elasticsearch: [],
    datadog: [],
    opensearch: [],
    sentinel: [],
    http: [],
  };
  /** Per platform: ids of events in requests whose answer the sender never read. */
  readonly ambiguous: Record<ChaosPlatform, Set<string>> = {
    splunk: new Set(),
    elasticsearch: new Set(),
    datadog: new Set(),
    opensearch: new Set(),
    sentinel: new Set(),
    http: new Set(),
  };
  /** Client faults applied, by kind. */
  readonly appliedFaults: Record<string, number> = {};
  /** Per platform: requests that failed on the network without an injected client fault. */
  readonly networkErrors: Record<ChaosPlatform, number> = {
    splunk: 0,
    elasticsearch: 0,
    datadog: 0,
    opensearch: 0,
    sentinel: 0,
    http: 0,
  };

  /**
   * Token requests to the fake Entra endpoint that got no token (an error
   * answer or a network error). A Sentinel post whose token request fails
   * is counted in its destination's exportsTotal but never reaches the
   * SIEM.
   */
  tokenFailures = 0;
  readonly #entra: string;

  constructor(urls: ChaosUrls) {
    this.#origins = new Map(
      PLATFORMS.map((p) => [new URL(urls[p]).origin, p] as const),
    );
    this.#entra = new URL(urls.entra).origin;
  }

  /** The next request to `platform` loses its answer so. */
  inject(platform: ChaosPlatform, kind: "lost" | "late"): void {
    this.#queued[platform].push(kind);
  }

  /** The `fetch` to give the sender. */
  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const platform = this.#origins.get(url.origin);
    let response: Response;
    try {
      response = await fetch(input, init);
      if (url.origin === this.#entra && !response.ok) this.tokenFailures++;
    } catch (error) {
      if (url.origin === this.#entra) this.tokenFailures++;
      if (platform) {
        this.networkErrors[platform]++;
        this.#note(platform, init?.body);
      }
      throw error;
    }
    // A client fault waits for a request the SIEM accepts (2xx): only then
    // does losing the answer matter.
    if (!platform || !response.ok || this.#queued[platform].length === 0) {
      return response;
    }
    const injected = this.#queued[platform].shift()!;
    this.#note(platform, init?.body);
    // Let the SIEM finish: it has stored the events once this is read (a
    // reset injected by the fake itself fails here).
    await response.arrayBuffer();
    this.appliedFaults[injected] = (this.appliedFaults[injected] ?? 0) + 1;
    if (injected === "lost") {
      throw new TypeError(
        "error reading a body from connection: connection reset (chaos)",
      );
    }
    const signal = init?.signal;
    await new Promise<never>((_, reject) => {
      if (!signal) {
        reject(new TypeError("chaos: no signal to wait for"));
        return;
      }
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener("abort", () => reject(signal.reason), {
        once: true,
      });
    });
    throw new Error("unreachable");
  };

  #note(platform: ChaosPlatform, body: unknown): void {
    if (!(body instanceof Uint8Array)) return;
    for (const match of decoder.decode(body).matchAll(EVENT_ID)) {
      this.ambiguous[platform].add(match[1]!);
    }
  }
}

const decoder = new TextDecoder();
const EVENT_ID = /"event_id":"([^"\\]*)"/g;

/**
 * Applies a schedule's faults as delivery passes them: a fault scheduled at
 * `at` is injected once the destinations have settled (delivered or
 * dead-lettered) `at` events on average, so that faults spread over the
 * delivery whether the sender accepts events as fast as it delivers them
 * (integrator, bounded buffer) or much faster (spool).
 */
class FaultInjector {
  readonly applied: Record<string, number> = {};
  readonly #schedule: ScheduledFault[];
  readonly #receivers: ChaosReceivers;
  readonly #client: ChaosFetch;
  readonly #outages: Record<ChaosPlatform, number> = {
    splunk: 0,
    elasticsearch: 0,
    datadog: 0,
    opensearch: 0,
    sentinel: 0,
    http: 0,
  };
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #pending = new Set<Promise<void>>();
  #next = 0;
  #ticker: ReturnType<typeof setInterval> | undefined;
  outageMs = 0;

  constructor(
    schedule: ScheduledFault[],
    receivers: ChaosReceivers,
    client: ChaosFetch,
  ) {
    this.#schedule = schedule;
    this.#receivers = receivers;
    this.#client = client;
  }

  /** Starts applying faults as `progress()` (events settled) passes them. */
  start(progress: () => number): void {
    let busy = false;
    this.#ticker = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        await this.reach(progress());
      } finally {
        busy = false;
      }
    }, 10);
  }

  /** Whether every scheduled fault has been applied and every outage has ended. */
  get done(): boolean {
    return this.#next >= this.#schedule.length && this.#pending.size === 0;
  }

  /** Applies every fault scheduled at or before `progress` events. */
  async reach(progress: number): Promise<void> {
    while (
      this.#next < this.#schedule.length &&
      this.#schedule[this.#next]!.at <= progress
    ) {
      await this.#apply(this.#schedule[this.#next++]!);
    }
  }

  /** Stops applying faults, ends every outage now and cancels their timers. */
  async clear(): Promise<void> {
    clearInterval(this.#ticker);
    this.#ticker = undefined;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const platform of PLATFORMS) {
      if (this.#outages[platform] > 0) {
        this.#outages[platform] = 0;
        await this.#receivers.down(platform, null).catch(() => {});
      }
    }
    this.#pending.clear();
  }

  async #apply(fault: ScheduledFault): Promise<void> {
    const { kind, platform, amount } = fault;
    this.applied[kind] = (this.applied[kind] ?? 0) + 1;
    const receivers = this.#receivers;
    switch (kind) {
      case "outage": {
        this.outageMs += amount;
        this.#outages[platform]++;
        await receivers.down(platform, { status: 503 });
        const ended = new Promise<void>((resolve) => {
          const timer = setTimeout(async () => {
            this.#timers.delete(timer);
            if (--this.#outages[platform] === 0) {
              await receivers.down(platform, null).catch(() => {});
            }
            resolve();
          }, amount);
          this.#timers.add(timer);
        });
        this.#pending.add(ended);
        void ended.then(() => this.#pending.delete(ended));
        return;
      }
      case "rate_limit": {
        const headers: Record<string, string> = platform === "datadog"
          ? { "X-RateLimit-Reset": "1", "X-RateLimit-Remaining": "0" }
          : { "Retry-After": "1" };
        const faults: Fault[] = [];
        for (let i = 0; i < amount; i++) faults.push({ status: 429, headers });
        return await receivers.failNext(platform, ...faults);
      }
      case "server_error": {
        const faults: Fault[] = [];
        for (let i = 0; i < amount; i++) faults.push({ status: fault.detail });
        return await receivers.failNext(platform, ...faults);
      }
      case "hang":
        return await receivers.failNext(platform, { hang: true });
      case "reset": {
        const faults: Fault[] = [];
        for (let i = 0; i < amount; i++) faults.push({ reset: true });
        return await receivers.failNext(platform, ...faults);
      }
      case "too_large":
        return await receivers.failNext(platform, { status: 413 });
      case "bulk_partial":
        return await receivers.partial(fault.detail, 0.15, 0.1);
      case "answer_lost":
        return this.#client.inject(platform, "lost");
      case "answer_late":
        return this.#client.inject(platform, "late");
    }
  }
}

// ---------------------------------------------------------------------------
// Bookkeeping

/** A logger that counts lines by message and keeps the last few. */
export class CountingLogger implements Logger {
  readonly counts: Record<string, number> = {};
  readonly last: string[] = [];
  warn(message: string, fields?: Record<string, unknown>): void {
    this.#add("warn", message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.#add("error", message, fields);
  }
  #add(level: string, message: string, fields?: Record<string, unknown>): void {
    const key = `${level} ${message}`;
    this.counts[key] = (this.counts[key] ?? 0) + 1;
    this.last.push(`${key} ${JSON.stringify(fields ?? {}).slice(0, 300)}`);
    if (this.last.length > 20) this.last.shift();
  }
}

/** Dead letters by destination and event id (reasons only, not the events). */
export class DeadLetterBook {
  readonly byDestination: Record<string, Map<string, string>> = {};
  /** Events dead-lettered twice at one destination. */
  readonly twice: string[] = [];
  /** Events in letters, counted per destination. */
  readonly counted: Record<string, number> = {};

  readonly add = (letter: DeadLetter): void => {
    const book = this.byDestination[letter.destination] ??= new Map();
    this.counted[letter.destination] = (this.counted[letter.destination] ?? 0) +
      letter.events.length;
    for (const event of letter.events) {
      if (book.has(event.event_id)) {
        this.twice.push(`${letter.destination}:${event.event_id}`);
      }
      book.set(event.event_id, letter.reason);
    }
  };

  /** The dead letters of a destination. */
  of(destination: string): Map<string, string> {
    return this.byDestination[destination] ?? new Map();
  }
}

/**
 * A full garbage collection of this isolate, when the runtime lets V8's
 * `--expose-gc` be set at run time (Deno 2.9 does, through `node:v8`), so
 * that a heap sample measures what is retained rather than garbage not yet
 * collected; `undefined` otherwise.
 */
export const collectGarbage: (() => void) | undefined = (() => {
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc");
    return typeof gc === "function" ? gc as () => void : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * Samples the main isolate's heap: `heapUsed` every `intervalMs` (garbage
 * included), and every `retainedEveryMs` after a full collection (what is
 * retained: the figure that must stay bounded).
 */
export class HeapSampler {
  /** Largest `heapUsed` seen, garbage included. */
  peak = 0;
  /** The first `heapUsed` right after a full collection (the baseline). */
  retainedFirst = 0;
  /** Largest `heapUsed` right after a full collection. */
  retainedPeak = 0;
  /** Smallest `heapUsed` right after a full collection. */
  retainedMin = Infinity;
  /** The last `heapUsed` right after a full collection. */
  retainedLast = 0;
  /** Samples taken after a full collection. */
  retainedSamples = 0;
  /** Largest resident set size (the whole process, worker included). */
  peakRss = 0;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #retainedTimer: ReturnType<typeof setInterval> | undefined;

  /** Called with each retained sample (`CHAOS_TRACE=1` prints them). */
  onRetained: ((heapUsed: number) => void) | undefined;

  constructor(intervalMs = 50, retainedEveryMs = 1000) {
    this.#sample();
    this.#retained();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
    this.#retainedTimer = collectGarbage
      ? setInterval(() => this.#retained(), retainedEveryMs)
      : undefined;
  }

  /** Whether the retained figures come from full collections. */
  get exact(): boolean {
    return collectGarbage !== undefined;
  }

  /** Stops sampling, after one last sample of each kind. */
  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#retainedTimer);
    this.#sample();
    this.#retained();
  }

  #sample(): void {
    const usage = Deno.memoryUsage();
    this.peak = Math.max(this.peak, usage.heapUsed);
    this.peakRss = Math.max(this.peakRss, usage.rss);
  }

  #retained(): void {
    collectGarbage?.();
    const { heapUsed } = Deno.memoryUsage();
    if (this.retainedSamples++ === 0) this.retainedFirst = heapUsed;
    this.retainedLast = heapUsed;
    this.retainedPeak = Math.max(this.retainedPeak, heapUsed);
    this.retainedMin = Math.min(this.retainedMin, heapUsed);
    this.onRetained?.(heapUsed);
  }
}

/** Waits `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Megabytes, one decimal. */
export function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

// ---------------------------------------------------------------------------
// The run

/** Which sender a run drives. */
export type Variant = "integrator" | "spool";

/** Everything a run observed, for the assertions and the summary. */
export interface ChaosOutcome {
  variant: Variant;
  seed: number;
  plan: EventPlan;
  /** Events handed to the sender and accepted by it. */
  accepted: number;
  /** Events the spool refused at accept (too large to store). */
  refusedAtAccept: string[];
  /** 503 answers of the spool's accept (full), retried. */
  overloaded: number;
  faults: Record<string, number>;
  outageMs: number;
  stats: DeliveryStats;
  stop: StopReport;
  receipts: Record<ChaosPlatform, DestinationReceipt>;
  deadLetters: DeadLetterBook;
  /** Spool only: the dead letters stored, per destination, by id. */
  storedDeadLetters?: Record<string, Map<string, string>>;
  /** Spool only: outbox keys left after stop. */
  outboxLeft?: number;
  client: ChaosFetch;
  heap: HeapSampler;
  logger: CountingLogger;
  elapsedMs: number;
  /** Set when the run did not converge before its deadline. */
  timedOut?: string | undefined;
}

/** Runs a chaos scenario of `count` events with `seed`. */
export async function runChaos(
  variant: Variant,
  seed: number,
  count: number,
): Promise<ChaosOutcome> {
  const started = Date.now();
  const plan = new EventPlan(seed, count, variant);
  const schedule = faultSchedule(seed, count, chaosFaultRate());
  const logger = new CountingLogger();
  const book = new DeadLetterBook();
  await using receivers = await ChaosReceivers.start({
    tokens: TOKENS,
    prefix: plan.prefix,
    count,
    splunkMaxEventBytes: SPLUNK_MAX_EVENT_BYTES,
    esMaxContentLength: ES_MAX_CONTENT_LENGTH,
  });
  const client = new ChaosFetch(receivers.urls);
  const injector = new FaultInjector(schedule, receivers, client);
  const configs = destinationConfigs(receivers.urls);
  const heap = new HeapSampler();
  let progress = (): string => "";
  if (Deno.env.get("CHAOS_TRACE")) {
    heap.onRetained = (heapUsed) =>
      console.log(`trace ${variant} heap ${mb(heapUsed)} MB ${progress()}`);
  }
  // Bounded in time: production and delivery together.
  const deadline = started + 40_000 + count * 2;
  try {
    const run = variant === "integrator"
      ? await driveIntegrator(
        plan,
        configs,
        client,
        injector,
        book,
        logger,
        deadline,
        (p) => progress = p,
      )
      : await driveSpool(
        plan,
        configs,
        client,
        injector,
        book,
        logger,
        deadline,
        (p) => progress = p,
      );
    heap.stop();
    const receipts = await receivers.report();
    return {
      variant,
      seed,
      plan,
      ...run,
      faults: injector.applied,
      outageMs: injector.outageMs,
      receipts,
      deadLetters: book,
      client,
      heap,
      logger,
      elapsedMs: Date.now() - started,
    };
  } finally {
    heap.stop();
    await injector.clear();
  }
}

function destinationConfigs(urls: ChaosUrls): SIEMConfigInput[] {
  return [
    {
      platform: "splunk",
      endpoint: urls.splunk,
      token: TOKENS.splunk,
      ...FAST,
      maxBufferedEvents: MAX_BUFFERED_EVENTS,
    },
    {
      platform: "elasticsearch",
      endpoint: urls.elasticsearch,
      token: TOKENS.elasticsearch,
      ...FAST,
      maxBufferedEvents: MAX_BUFFERED_EVENTS,
    },
    {
      platform: "datadog",
      endpoint: urls.datadog,
      token: TOKENS.datadog,
      ...FAST,
      maxBufferedEvents: MAX_BUFFERED_EVENTS,
    },
    {
      platform: "opensearch",
      endpoint: urls.opensearch,
      aws: {
        ...CHAOS_AWS,
        service: "es",
        secretAccessKey: TOKENS.opensearch,
      },
      ...FAST,
      maxBufferedEvents: MAX_BUFFERED_EVENTS,
    },
    {
      platform: "sentinel",
      endpoint: urls.sentinel,
      sentinel: {
        tenantId: CHAOS_SENTINEL.tenantId,
        clientId: CHAOS_SENTINEL.clientId,
        clientSecret: TOKENS.sentinel,
        dcrImmutableId: CHAOS_SENTINEL.dcrImmutableId,
        authorityHost: urls.entra,
      },
      ...FAST,
      maxBufferedEvents: MAX_BUFFERED_EVENTS,
    },
    {
      // A generic receiver (a Vector or Logstash HTTP input): NDJSON with
      // an API key header; it stores whatever it is sent, resends included.
      platform: "http",
      endpoint: urls.http,
      http: { framing: "ndjson", headers: { "X-API-Key": TOKENS.http } },
      ...FAST,
      maxBufferedEvents: MAX_BUFFERED_EVENTS,
    },
  ];
}

type Driven = Pick<
  ChaosOutcome,
  | "accepted"
  | "refusedAtAccept"
  | "overloaded"
  | "stats"
  | "stop"
  | "storedDeadLetters"
  | "outboxLeft"
  | "timedOut"
>;

function settledAll(stats: DeliveryStats, expected: number): boolean {
  return PLATFORMS.every((name) => {
    const d = stats.perDestination[name];
    return d !== undefined && d.buffered === 0 &&
      d.eventsExported + d.eventsFailed >= expected;
  });
}

/** Events settled (delivered or dead-lettered), averaged over the destinations. */
function settledEvents(stats: DeliveryStats): number {
  let sum = 0;
  for (const name of PLATFORMS) {
    const d = stats.perDestination[name];
    if (d) sum += d.eventsExported + d.eventsFailed;
  }
  return Math.floor(sum / PLATFORMS.length);
}

function progressLine(stats: DeliveryStats): string {
  return PLATFORMS.map((name) => {
    const d = stats.perDestination[name]!;
    return `${name}: exported ${d.eventsExported} failed ${d.eventsFailed} buffered ${d.buffered} state ${d.state} lastError ${d.lastError}`;
  }).join("; ");
}

async function driveIntegrator(
  plan: EventPlan,
  configs: SIEMConfigInput[],
  client: ChaosFetch,
  injector: FaultInjector,
  book: DeadLetterBook,
  logger: CountingLogger,
  deadline: number,
  trace: (progress: () => string) => void,
): Promise<Driven> {
  const integrator = new SIEMIntegrator(configs, {
    fetch: client.fetch,
    logger,
    onDeadLetter: book.add,
    stopTimeoutMs: 10_000,
  });
  trace(() => progressLine(integrator.getStats()));
  let timedOut: string | undefined;
  let stop: StopReport | undefined;
  let accepted = 0;
  injector.start(() => settledEvents(integrator.getStats()));
  try {
    for (let i = 0; i < plan.count; i++) {
      while (integrator.capacity() < 1) {
        if (Date.now() > deadline) throw new Error("production timed out");
        await delay(2);
      }
      integrator.exportEvent(plan.event(i));
      accepted++;
      if (i % 50 === 49) await delay(0);
    }
    while (
      !injector.done || !settledAll(integrator.getStats(), plan.count)
    ) {
      if (Date.now() > deadline) {
        timedOut = `delivery did not settle: ${
          progressLine(integrator.getStats())
        }`;
        break;
      }
      await delay(20);
    }
  } catch (error) {
    timedOut = `${error}: ${progressLine(integrator.getStats())}`;
  } finally {
    await injector.clear();
    stop = await integrator.stop({ timeoutMs: 5000 });
  }
  return {
    accepted,
    refusedAtAccept: [],
    overloaded: 0,
    stats: integrator.getStats(),
    stop,
    timedOut,
  };
}

async function driveSpool(
  plan: EventPlan,
  configs: SIEMConfigInput[],
  client: ChaosFetch,
  injector: FaultInjector,
  book: DeadLetterBook,
  logger: CountingLogger,
  deadline: number,
  trace: (progress: () => string) => void,
): Promise<Driven> {
  const kv = await Deno.openKv(":memory:");
  const spool = new KvSpool(kv, configs, {
    fetch: client.fetch,
    logger,
    onDeadLetter: book.add,
    pollMs: 25,
    maxSpooledEvents: 20_000,
    stopTimeoutMs: 10_000,
  });
  spool.start();
  // Events refused at accept never settle: count them as passed.
  const refusedClass = plan.classCounts().g;
  injector.start(() => settledEvents(spool.getStats()) + refusedClass);
  trace(() => progressLine(spool.getStats()));
  let timedOut: string | undefined;
  let stop: StopReport | undefined;
  let accepted = 0;
  let overloaded = 0;
  const refusedAtAccept: string[] = [];
  let cursor = 0;
  let failed = false;
  // Four callers at a time, each handing over 100 events per call, as
  // concurrent ingest requests do; an event the spool cannot store goes in
  // a call of its own, which must be refused with 413.
  // Hands events over as an ingest request does: waits while the spool is
  // full (503), and reports an event too large to store (413).
  const acceptAll = async (
    events: ReturnType<typeof parseAuditEvent>[],
  ): Promise<"stored" | "too_large"> => {
    while (!failed) {
      if (Date.now() > deadline) throw new Error("production timed out");
      if (spool.capacity() < events.length) {
        await delay(5);
        continue;
      }
      try {
        await spool.accept(events);
        accepted += events.length;
        return "stored";
      } catch (error) {
        if (!(error instanceof IngestError)) throw error;
        if (error.status === 413) return "too_large";
        if (error.status !== 503) throw error;
        overloaded++;
        await delay(20);
      }
    }
    return "stored";
  };
  const caller = async (): Promise<void> => {
    while (cursor < plan.count && !failed) {
      const chunk: number[] = [];
      const giants: number[] = [];
      while (cursor < plan.count && chunk.length < 100) {
        const index = cursor++;
        (plan.classOf(index) === "g" ? giants : chunk).push(index);
      }
      for (const index of giants) {
        const outcome = await acceptAll([parseAuditEvent(plan.event(index))]);
        if (outcome === "too_large") refusedAtAccept.push(plan.id(index));
      }
      if (chunk.length === 0) continue;
      const events = chunk.map((index) => parseAuditEvent(plan.event(index)));
      if (await acceptAll(events) === "too_large") {
        throw new Error("a chunk of storable events was refused with 413");
      }
    }
  };
  const guarded = (): Promise<void> =>
    caller().catch((error) => {
      failed = true;
      throw error;
    });
  const expected = plan.count - plan.classCounts().g;
  try {
    const callers = [guarded(), guarded(), guarded(), guarded()];
    const results = await Promise.allSettled(callers);
    const rejected = results.find((r) => r.status === "rejected");
    if (rejected) throw (rejected as PromiseRejectedResult).reason;
    while (!injector.done || !settledAll(spool.getStats(), expected)) {
      if (Date.now() > deadline) {
        timedOut = `delivery did not settle: ${progressLine(spool.getStats())}`;
        break;
      }
      await delay(20);
    }
  } catch (error) {
    timedOut = `${error}: ${progressLine(spool.getStats())}`;
  } finally {
    await injector.clear();
    stop = await spool.stop({ timeoutMs: 5000 });
  }
  const stats = spool.getStats();
  const storedDeadLetters: Record<string, Map<string, string>> = {};
  for await (const letter of spool.deadLetters()) {
    const map = storedDeadLetters[letter.destination] ??= new Map();
    for (const event of letter.events) map.set(event.event_id, letter.reason);
  }
  let outboxLeft = 0;
  for await (const _ of kv.list({ prefix: ["harombe-siem", "outbox"] })) {
    outboxLeft++;
  }
  kv.close();
  return {
    accepted,
    refusedAtAccept,
    overloaded,
    stats,
    stop,
    storedDeadLetters,
    outboxLeft,
    timedOut,
  };
}
