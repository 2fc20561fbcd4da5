/**
 * The integrator: validates audit events, buffers them per destination, and
 * delivers them in batches with retries, backoff and statistics.
 *
 * @module
 */
import type { AuditEvent, AuditEventInput } from "../events/audit_event.ts";
import { type SIEMEvent, toSIEMEvent } from "../events/siem_event.ts";
import type {
  ParsedSIEMConfig,
  SIEMConfig,
  SIEMConfigInput,
} from "../platforms/siem_config.ts";
import { systemClock } from "./clock.ts";
import {
  BuffersFullError,
  exportValidated,
  RefusedEventsError,
} from "./internal.ts";
import { metadataRefusals } from "../platforms/elasticsearch_mapping.ts";
import { normalizeEvent, normalizeEvents } from "./normalize_event.ts";
import { type AcceptedEvent, acceptEvent } from "./accepted_event.ts";
import type { Destination } from "./destination.ts";
import { DestinationSet } from "./destination_set.ts";
import { MemoryStorage } from "./memory_storage.ts";
import { consoleLogger } from "./console_logger.ts";
import type {
  DestinationReport,
  ExportResult,
  StopReport,
} from "./export_result.ts";
import type { DeliveryStats } from "./stats.ts";
import {
  type EnqueueReceipt,
  IntegratorStoppedError,
  type SIEMIntegratorOptions,
  type StopOptions,
} from "./integrator_options.ts";

export {
  type EnqueueReceipt,
  IntegratorStoppedError,
  type SIEMIntegratorOptions,
  type StopOptions,
} from "./integrator_options.ts";

/**
 * Forwards audit events to any number of SIEM destinations.
 *
 * `exportEvent` validates and buffers an event for every enabled
 * destination and returns without waiting on the network. Each destination
 * sends a batch when it holds `batchSize` events (or `maxBatchBytes`), or
 * when its oldest event has waited `flushIntervalMs`. Failed requests are
 * retried with exponential backoff; a destination whose retries run out
 * keeps its events and backs off, so nothing is dropped while a SIEM is down
 * or a token is wrong. Events leave a buffer only when delivered, refused
 * for good by the platform, or refused by the overflow policy; the last two
 * go to `onDeadLetter` and are counted.
 *
 * The constructor only validates the configs: no timer, request or random
 * value is made until events arrive, so it may run in global scope on
 * Cloudflare Workers.
 *
 * @example Forwarding events to Splunk and Datadog
 * ```ts ignore
 * import { SIEMIntegrator } from "@harombe/siem";
 *
 * await using integrator = new SIEMIntegrator([
 *   { platform: "splunk", endpoint: "https://splunk.example.com:8088", token: "hec-token" },
 *   { platform: "datadog", endpoint: "https://http-intake.logs.datadoghq.com", token: "dd-key" },
 * ], {
 *   onDeadLetter: (letter) => console.error(letter.destination, letter.reason, letter.events.length),
 * });
 *
 * integrator.exportEvent({
 *   correlation_id: "req-42",
 *   event_type: "security_decision",
 *   actor: "policy-engine",
 *   action: "deny_tool",
 *   tool_name: "shell",
 *   status: "success",
 * });
 * console.log(integrator.getStats().buffered); // 2 (one per destination)
 * ```
 */
export class SIEMIntegrator {
  // Memory mode: the one orchestrator over a storage that keeps nothing.
  #storage = new MemoryStorage();
  #set: DestinationSet;
  #stopTimeoutMs: number;
  #source: string | undefined;
  #stopped = false;
  #accepted = 0;

  /**
   * Creates the integrator and validates every destination config.
   *
   * @param configs The destinations.
   * @param options Injected `fetch`, clock, dead-letter callback and more.
   * @throws {SIEMConfigError} When a config is invalid.
   * @throws {SIEMConfigError} When two destinations share a name.
   */
  constructor(
    configs: readonly (SIEMConfigInput | ParsedSIEMConfig)[] = [],
    options: SIEMIntegratorOptions = {},
  ) {
    this.#set = new DestinationSet(this.#storage, {
      fetch: options.fetch,
      clock: options.clock ?? systemClock,
      random: options.random ?? Math.random,
      onDeadLetter: options.onDeadLetter,
      logger: options.logger ?? consoleLogger,
      autoFlush: options.autoFlush ?? true,
    }, { stored: false });
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
    this.#source = options.source;
    for (const config of configs) this.addDestination(config);
  }

  /** The destinations' names, in the order they were added. */
  get destinations(): string[] {
    return this.#set.names;
  }

  /**
   * The destinations' names, in the order they were added.
   *
   * @deprecated Use {@linkcode SIEMIntegrator.destinations}; this alias goes in the next release.
   */
  get platforms(): string[] {
    return this.destinations;
  }

  /** Whether the integrator accepts events (false after {@linkcode stop}). */
  get running(): boolean {
    return !this.#stopped;
  }

  /**
   * Accepts events again after {@linkcode stop}. An integrator accepts events
   * from construction on, so calling this first is optional; calling it
   * twice does nothing.
   */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#set.reopen();
  }

  /**
   * Stops accepting events, then delivers what is buffered until the
   * deadline, and reports what it could not deliver (with the events, so the
   * caller can keep them). Calling it again reports again.
   *
   * @param options The deadline.
   * @returns Each destination's final flush and undelivered events.
   */
  async stop(options: StopOptions = {}): Promise<StopReport> {
    this.#stopped = true;
    const timeoutMs = options.timeoutMs ?? this.#stopTimeoutMs;
    const destinations = await this.#set.stop(timeoutMs);
    return {
      destinations,
      undeliveredCount: destinations.reduce(
        (sum, report) => sum + report.undelivered.length,
        0,
      ),
    };
  }

  /** Stops the integrator (see {@linkcode stop}). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * Validates an audit event, normalizes it, and buffers it for every
   * enabled destination. Never waits on the network.
   *
   * @param event The audit event.
   * @returns Which destinations buffered it and which refused it.
   * @throws {InvalidAuditEventError} When the event is invalid, or its
   * metadata is what an enabled Elasticsearch destination without
   * `indexTemplate` can never index (the error names the field; the event is
   * refused for every destination).
   * @throws {IntegratorStoppedError} After {@linkcode stop}.
   */
  exportEvent(event: AuditEventInput | AuditEvent): EnqueueReceipt {
    if (this.#stopped) throw new IntegratorStoppedError();
    return this.#enqueue(this.#normalize(event));
  }

  /**
   * Buffers events the ingest app has just validated (internal).
   *
   * @ignore
   * @param events Freshly validated events no caller holds.
   * @param producer The named producer to stamp them with, if any.
   */
  [exportValidated](events: readonly AuditEvent[], producer?: string): void {
    if (this.#stopped) throw new IntegratorStoppedError();
    const options = { source: this.#source, producer };
    const refused = metadataRefusals(this.#enabledConfigs(), events);
    if (refused.length > 0) throw new RefusedEventsError(refused);
    const accepted = events.map((event) => {
      return acceptEvent(toSIEMEvent(event, options));
    });
    // All or none: the app answers 202 only when every destination holds
    // them all, counted in events and in bytes (capacity() is an estimate
    // in events of the average size).
    for (const destination of this.#enabled()) {
      const { maxBufferedBytes } = destination.config;
      let bytes = 0;
      for (const item of accepted) {
        // One larger than a whole buffer is dead-lettered when buffered:
        // refusing the request would only make the client send it again.
        if (item.bytes <= maxBufferedBytes) bytes += item.bytes;
      }
      if (!destination.fits(accepted.length, bytes)) {
        throw new BuffersFullError(destination.name);
      }
    }
    for (const item of accepted) {
      this.#enqueue(item.event, true, item);
    }
  }

  /**
   * Validates all the events first (if one is invalid, none is buffered),
   * buffers them, then flushes every destination.
   *
   * @param events The audit events.
   * @returns Each enabled destination's flush result.
   * @throws {InvalidAuditEventError} When an event is invalid; its index is in the message.
   * @throws {IntegratorStoppedError} After {@linkcode stop}.
   */
  async exportEvents(
    events: readonly (AuditEventInput | AuditEvent)[],
  ): Promise<ExportResult[]> {
    if (this.#stopped) throw new IntegratorStoppedError();
    const normalized = normalizeEvents(
      events,
      this.#enabledConfigs(),
      this.#source,
    );
    for (const event of normalized) this.#enqueue(event, false);
    return await this.flushAll();
  }

  /**
   * Sends everything buffered for every enabled destination now, in
   * parallel, with retries.
   *
   * @param options `signal`: when it aborts, backoff waits end and requests
   * in flight are aborted; what is not delivered stays buffered (the flush
   * a Worker hands to `waitUntil` must end before the context does).
   * @returns Each enabled destination's flush result.
   */
  async flushAll(
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<ExportResult[]> {
    const { signal } = options;
    const signals = signal ? { sleep: signal, request: signal } : {};
    return await this.#set.flush(signals);
  }

  /**
   * How many more events every enabled destination can buffer now: the
   * smallest free space of their buffers, or 0 when no destination is
   * enabled (nothing could carry an event). A buffer's free space is its
   * free event slots (`maxBufferedEvents`), or fewer when its free bytes
   * (`maxBufferedBytes`) hold fewer events of the average size it holds.
   *
   * @returns The number of events that can be accepted without overflow.
   */
  capacity(): number {
    let free = Infinity;
    for (const destination of this.#enabled()) {
      free = Math.min(free, destination.room);
    }
    return free === Infinity ? 0 : Math.max(0, free);
  }

  /**
   * The delivery statistics: totals and each destination's.
   *
   * @returns A snapshot of the statistics.
   */
  getStats(): DeliveryStats {
    const { totals, perDestination, buffered } = this.#set.stats();
    // perPlatform: the former key, kept for dashboards reading `/stats`.
    return {
      ...totals,
      eventsAccepted: this.#accepted,
      buffered,
      perPlatform: perDestination,
      perDestination,
    };
  }

  /**
   * Adds a destination.
   *
   * @param config The destination's config.
   * @throws {SIEMConfigError} When the config is invalid.
   * @throws {SIEMConfigError} When a destination of that name exists.
   */
  addDestination(config: SIEMConfigInput | ParsedSIEMConfig): void {
    const destination = this.#set.add(config);
    if (this.#stopped) void destination.close(0);
  }

  /**
   * Removes a destination after delivering what it holds (until the stop
   * deadline); its counters stay in the totals.
   *
   * @param name The destination's name.
   * @param options The deadline.
   * @returns Its final flush and undelivered events, or `undefined` if there is no such destination.
   */
  async removeDestination(
    name: string,
    options: StopOptions = {},
  ): Promise<DestinationReport | undefined> {
    return await this.#set.remove(
      name,
      options.timeoutMs ?? this.#stopTimeoutMs,
    );
  }

  /**
   * Adds a destination.
   *
   * @param config The destination's config.
   * @throws {SIEMConfigError} When the config is invalid.
   * @throws {Error} When a destination of that name exists.
   * @deprecated Use {@linkcode SIEMIntegrator.addDestination}; this alias goes in the next release.
   */
  addPlatform(config: SIEMConfigInput | ParsedSIEMConfig): void {
    this.addDestination(config);
  }

  /**
   * Removes a destination after delivering what it holds (until the stop
   * deadline); its counters stay in the totals.
   *
   * @param name The destination's name.
   * @param options The deadline.
   * @returns Its final flush and undelivered events, or `undefined` if there is no such destination.
   * @deprecated Use {@linkcode SIEMIntegrator.removeDestination}; this alias goes in the next release.
   */
  removePlatform(
    name: string,
    options: StopOptions = {},
  ): Promise<DestinationReport | undefined> {
    return this.removeDestination(name, options);
  }

  #normalize(event: AuditEventInput | AuditEvent): SIEMEvent {
    return normalizeEvent(event, this.#enabledConfigs(), this.#source);
  }

  #enqueue(
    event: SIEMEvent,
    sendWhenFull = true,
    // Serialized once, here: every destination and every attempt sends
    // these bytes.
    serialized: AcceptedEvent = acceptEvent(event),
  ): EnqueueReceipt {
    this.#accepted++;
    const receipt: EnqueueReceipt = {
      eventId: event.event_id,
      queued: [],
      refused: [],
    };
    const enabled = this.#enabled();
    this.#storage.store({
      destinations: enabled.map((destination) => destination.name),
      events: [{ event, serialized }],
    });
    for (const { name } of enabled) {
      (this.#set.feed(name, { sendWhenFull }).refused === 0
        ? receipt.queued
        : receipt.refused).push(name);
    }
    return receipt;
  }

  #enabledConfigs(): SIEMConfig[] {
    return this.#enabled().map((destination) => destination.config);
  }

  #enabled(): Destination[] {
    return this.#set.enabled();
  }
}
