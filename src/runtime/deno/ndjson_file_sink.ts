/**
 * A sink that appends accepted events to a local NDJSON file: the embedded
 * default of `deno task start` when no SIEM is configured. Deno only.
 *
 * @module
 */
import type { AuditEvent } from "../../events/audit_event.ts";
import { toSIEMEvent } from "../../events/siem_event.ts";
import { type DeliveryStats, emptyCounters } from "../../delivery/stats.ts";
import type { AcceptOptions, IngestSink } from "../../ingest/sink.ts";

/** The destination name the file sink reports in its statistics. */
export const FILE_DESTINATION = "local-file";

/**
 * Appends each accepted event, normalized as a SIEM event, as one JSON line
 * to `<dir>/events-<UTC date>.ndjson`. `accept` resolves once the lines are
 * written. Appends are serialized, so lines of concurrent requests never
 * interleave.
 *
 * @example
 * ```ts ignore
 * import { NdjsonFileSink } from "@harombe/siem/deno";
 *
 * const sink = new NdjsonFileSink("./data");
 * ```
 */
export class NdjsonFileSink implements IngestSink {
  /** The directory the files are written to. */
  readonly dir: string;
  #counters = emptyCounters();
  #accepted = 0;
  #tail: Promise<void> = Promise.resolve();
  #lastError: string | undefined;
  #failures = 0;

  /**
   * Creates the sink; nothing is written until events arrive.
   *
   * @param dir The directory of the files (created when needed).
   */
  constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * The file events of `date` go to.
   *
   * @param date The day; default today (UTC).
   * @returns The file's path.
   */
  pathFor(date: Date = new Date()): string {
    return `${this.dir}/events-${date.toISOString().slice(0, 10)}.ndjson`;
  }

  /**
   * Appends the events.
   *
   * @param events Validated events.
   * @param options The named producer to stamp them with, if any.
   * @returns When the lines are written.
   */
  accept(
    events: readonly AuditEvent[],
    options?: AcceptOptions,
  ): Promise<void> {
    const stamp = { producer: options?.producer };
    const text =
      events.map((event) => JSON.stringify(toSIEMEvent(event, stamp)))
        .join("\n") + "\n";
    const write = this.#tail.then(async () => {
      await Deno.mkdir(this.dir, { recursive: true });
      await Deno.writeTextFile(this.pathFor(), text, { append: true });
    });
    this.#tail = write.catch(() => {});
    this.#counters.eventsReceived += events.length;
    return write.then(
      () => {
        this.#accepted += events.length;
        this.#counters.eventsExported += events.length;
        this.#counters.exportsTotal++;
        this.#counters.exportsSuccessful++;
        this.#failures = 0;
      },
      (error) => {
        this.#counters.exportsTotal++;
        this.#counters.exportsFailed++;
        this.#failures++;
        this.#lastError = error instanceof Error
          ? error.message
          : String(error);
        throw error;
      },
    );
  }

  /** Unbounded: each request is written before it is answered. */
  capacity(): number {
    return Number.MAX_SAFE_INTEGER;
  }

  /** Waits for pending appends. */
  async flush(): Promise<void> {
    await this.#tail;
  }

  /** The file sink's counters, as one destination named `local-file`. */
  getStats(): DeliveryStats {
    const perDestination: DeliveryStats["perDestination"] = {
      [FILE_DESTINATION]: {
        ...this.#counters,
        name: FILE_DESTINATION,
        platform: "file",
        enabled: true,
        state: "idle",
        buffered: 0,
        consecutiveFailures: this.#failures,
        lastError: this.#lastError,
      },
    };
    // perPlatform: the former key, kept for dashboards reading `/stats`.
    return {
      ...this.#counters,
      eventsAccepted: this.#accepted,
      buffered: 0,
      perPlatform: perDestination,
      perDestination,
    };
  }
}
