/**
 * A destination's delivery loop for one batch: send, read the answer,
 * retry with backoff, split a batch refused for its content, settle what
 * was delivered or refused for good.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { RequestAbortedError } from "../platforms/exporter.ts";
import type { Exporter } from "../platforms/exporter.ts";
import type { SIEMConfig } from "../platforms/siem_config.ts";
import type { EventFailure, ResponseVerdict } from "../platforms/verdict.ts";
import { backoffDelayMs } from "./backoff.ts";
import type { BatchBuilder, Entry } from "./batch_builder.ts";
import { checkedVerdict } from "./checked_verdict.ts";
import { sleep } from "./clock.ts";
import type { DeliveryContext } from "./destination_context.ts";
import { MAX_ISOLATIONS, SplitTree } from "./split_policy.ts";
import type {
  DeliveryState,
  DrainSignals,
  FlushTally,
} from "./delivery_state.ts";

// The setup hint of an exporter that threw: its events are kept.
const EXPORTER_DEFECT =
  "the exporter threw instead of answering (a defect in it, or in a custom exporter): the events are kept and retried; see lastError and the logs";

/** What the delivery loop needs from its destination. */
export interface DeliveryHost {
  /** The platform's exporter. */
  readonly exporter: Exporter;
  /** The destination's config. */
  readonly config: SIEMConfig;
  /** The destination's name. */
  readonly name: string;
  /** Events buffered, including the batch in flight. */
  readonly buffered: number;
  /** The integrator's clock, fetch, logger and settlement callback. */
  readonly context: DeliveryContext;
  /** Writes request bodies. */
  readonly builder: BatchBuilder;
  /** Gives events up for good (and settles them). */
  deadLetter(
    events: SIEMEvent[],
    reason: string,
    status: number | undefined,
  ): void;
  /** Removes credentials from a text. */
  redact(text: string): string;
}

/** The delivery loop of one destination. */
export class BatchDelivery {
  readonly #host: DeliveryHost;
  readonly #state: DeliveryState;
  #retrying = 0;

  /**
   * Prepares the loop; nothing is sent until {@linkcode BatchDelivery.deliver}.
   *
   * @param host The destination.
   * @param state Its delivery state, which the loop updates.
   */
  constructor(host: DeliveryHost, state: DeliveryState) {
    this.#host = host;
    this.#state = state;
  }

  /**
   * Sends one batch until it is delivered, rejected, or its retries run
   * out.
   *
   * @param batch The batch's entries.
   * @param body Its request body, when already written.
   * @param signals Signals that end waits or abort requests.
   * @param tally The flush's running totals.
   * @param tree The split this batch is part of, if any.
   * @param first The answer already read for this batch (a half whose
   * first try was made by a split).
   * @returns The entries still to deliver (empty when done).
   */
  async deliver(
    batch: Entry[],
    body: Uint8Array<ArrayBuffer> | undefined,
    signals: DrainSignals,
    tally: FlushTally,
    tree?: SplitTree,
    first?: ResponseVerdict,
  ): Promise<Entry[]> {
    const { clock } = this.#host.context;
    let pending = batch;
    let attempt = 0;
    let isolated = 0;
    let answer = first;
    while (true) {
      const verdict = answer ?? await this.#send(pending, body, signals, tree);
      answer = undefined;
      body = undefined;
      if (verdict === undefined) return pending;
      if (verdict.kind === "delivered") {
        this.#delivered(pending, tally);
        if (tree) tree.delivered = true;
        return [];
      }
      if (verdict.kind === "split") {
        this.#fail(verdict.reason, tally);
        return tree
          ? this.#split(pending, verdict, signals, tally, tree)
          : this.#splitBatch(pending, verdict, signals, tally);
      }
      let retryAfterMs: number | undefined;
      if (verdict.kind === "partial") {
        const settled = pending.length - verdict.retry.length;
        const delivered = settled > verdict.rejected.length;
        isolated = delivered ? 0 : isolated + 1;
        if (!delivered && !verdict.backoff && isolated > MAX_ISOLATIONS) {
          // Event after event named as bad, nothing accepted: the stream is
          // refused (or the batch holds only bad events); keep the rest.
          const first = verdict.rejected[0]?.reason ?? "events refused";
          this.#fail(first, tally);
          this.#setupFailed(
            `${this.#host.config.platform} refused ${MAX_ISOLATIONS} events in a row one by one and accepted none: check its logs and what is in front of it`,
            first,
          );
          this.#backOff(undefined);
          return pending;
        }
        pending = this.#settlePartial(pending, verdict, tally);
        if (tree && delivered) tree.delivered = true;
        if (pending.length === 0) return [];
        if (!verdict.backoff) {
          this.#countRetry(tally);
          continue;
        }
      } else {
        this.#fail(verdict.reason, tally);
        if (verdict.setup !== undefined) {
          this.#setupFailed(verdict.setup, verdict.reason);
        }
        retryAfterMs = verdict.retryAfterMs;
      }
      if (attempt >= this.#host.config.maxRetries) {
        this.#backOff(retryAfterMs);
        return pending;
      }
      const delay = backoffDelayMs(
        attempt++,
        this.#host.config,
        this.#host.context.random,
        retryAfterMs,
      );
      // Batches in flight at once each wait their own backoff: the
      // destination is retrying while any of them does.
      this.#retrying++;
      this.#state.retrying = true;
      try {
        await sleep(clock, delay, signals.sleep);
      } catch {
        return pending;
      } finally {
        this.#state.retrying = --this.#retrying > 0;
      }
      this.#countRetry(tally);
    }
  }

  // was aborted (the batch was neither delivered nor failed).
  async #send(
    pending: Entry[],
    body: Uint8Array<ArrayBuffer> | undefined,
    signals: DrainSignals,
    tree: SplitTree | undefined,
  ): Promise<ResponseVerdict | undefined> {
    const events = pending.map((entry) => entry.wire?.event ?? entry.event);
    let outcome;
    try {
      // A retry or a split half is written again from the JSON kept at
      // acceptance, never from the event objects a caller may have changed.
      const prepared = await this.#host.exporter.prepare(
        events,
        body ?? this.#host.builder.encode(pending),
      );
      outcome = await this.#host.exporter.post(prepared, {
        fetch: this.#host.context.fetch,
        signal: signals.request,
        now: () => this.#host.context.clock.now(),
      });
    } catch (error) {
      if (error instanceof RequestAbortedError) return undefined;
      // An exporter that throws instead of giving a verdict (a defect, or a
      // custom exporter's bug) must not take the batch with it: it is kept
      // and retried with backoff, as a setup error the operator sees.
      return {
        kind: "retry",
        reason: `exporter failed: ${String(error)}`,
        setup: EXPORTER_DEFECT,
      };
    }
    if (tree) tree.requests++;
    return this.#record(
      checkedVerdict(outcome.verdict, pending.length, this.#host.exporter.url),
      outcome.latencyMs,
    );
  }

  // A batch refused for its content: split it, and when the split shows the
  // whole stream is refused, or costs too many requests, keep what is left
  // and back off.
  async #splitBatch(
    pending: Entry[],
    refusal: { reason: string; status: number },
    signals: DrainSignals,
    tally: FlushTally,
  ): Promise<Entry[]> {
    const tree = new SplitTree();
    const left = await this.#split(pending, refusal, signals, tally, tree);
    const stop = tree.stopped;
    if (stop?.kind === "refused_stream") {
      this.#setupFailed(
        `every part of the batch is refused alike (HTTP ${stop.refusal.status}): the destination refuses the stream, not an event; check what is in front of ${this.#host.config.platform} and its logs`,
        stop.refusal.reason,
      );
      this.#backOff(undefined);
    } else if (stop?.kind === "budget") {
      this.#host.context.logger.warn("split stopped: too many requests", {
        destination: this.#host.name,
        requests: stop.requests,
        left: left.length,
      });
      this.#backOff(undefined);
    }
    return left;
  }

  // Sends both halves of a part refused for its content once, then goes on
  // with each as its answer says, unless the split policy stops; returns the
  // entries still to deliver.
  async #split(
    pending: Entry[],
    refusal: { reason: string; status: number },
    signals: DrainSignals,
    tally: FlushTally,
    tree: SplitTree,
  ): Promise<Entry[]> {
    if (pending.length === 1) {
      tally.failed++;
      this.#host.deadLetter(
        pending.map((entry) => entry.event),
        refusal.reason,
        refusal.status,
      );
      return [];
    }
    const middle = pending.length >> 1;
    const halves = [pending.slice(0, middle), pending.slice(middle)] as const;
    const answers: Array<ResponseVerdict | undefined> = [];
    for (const half of halves) {
      if (!tree.mayRequest()) break;
      const verdict = await this.#send(half, undefined, signals, tree);
      if (verdict === undefined) break;
      answers.push(verdict);
    }
    // Settle the halves delivered at once, so that nothing below can keep
    // them as undelivered.
    const delivered = answers.map((answer, i) => {
      if (answer?.kind !== "delivered") return false;
      this.#delivered(halves[i] as Entry[], tally);
      tree.delivered = true;
      return true;
    });
    if (answers.length < 2) {
      // Out of budget or aborted: keep what was not delivered as it is.
      return delivered[0] ? halves[1] : pending;
    }
    const refused = answers.map((answer) =>
      answer?.kind === "split" ? answer : undefined
    );
    if (
      !tree.goOn(
        refusal,
        [refused[0], refused[1]],
        Math.min(halves[0].length, halves[1].length),
      )
    ) {
      // Nothing of this part was delivered: keep all of it.
      this.#fail(refusal.reason, tally);
      return pending;
    }
    for (let i = 0; i < halves.length; i++) {
      if (delivered[i]) continue;
      const left = await this.deliver(
        halves[i] as Entry[],
        undefined,
        signals,
        tally,
        tree,
        answers[i],
      );
      if (left.length > 0) {
        return i === 0 && !delivered[1] ? [...left, ...halves[1]] : left;
      }
    }
    return [];
  }

  #countRetry(tally: FlushTally): void {
    tally.retries++;
    this.#state.counters.totalRetries++;
  }

  // Counts a request and returns its verdict.
  #record(verdict: ResponseVerdict, latencyMs: number): ResponseVerdict {
    const counters = this.#state.counters;
    counters.exportsTotal++;
    if (verdict.kind === "delivered" || verdict.kind === "partial") {
      counters.exportsSuccessful++;
      counters.avgLatencyMs += (latencyMs - counters.avgLatencyMs) /
        counters.exportsSuccessful;
    } else {
      counters.exportsFailed++;
    }
    return verdict;
  }

  #delivered(entries: Entry[], tally: FlushTally): void {
    this.#state.counters.eventsExported += entries.length;
    tally.sent += entries.length;
    this.#state.consecutiveFailures = 0;
    this.#state.retryAt = 0;
    this.#state.setupError = undefined;
    this.#host.context.onSettled?.(
      entries.map((entry) => entry.event),
      { outcome: "delivered" },
    );
  }

  // Settles a partly accepted batch: counts the delivered events,
  // dead-letters the rejected ones, and returns those to retry.
  #settlePartial(
    pending: Entry[],
    verdict: { retry: EventFailure[]; rejected: EventFailure[] },
    tally: FlushTally,
  ): Entry[] {
    const failed = new Set<number>();
    for (const { index } of verdict.retry) failed.add(index);
    for (const { index } of verdict.rejected) failed.add(index);
    const delivered = pending.filter((_, index) => !failed.has(index));
    if (delivered.length > 0) this.#delivered(delivered, tally);
    // One dead letter per distinct refusal (status and full reason), so
    // that each letter's reason is true of all its events.
    const byReason = new Map<
      string,
      { reason: string; status: number | undefined; events: SIEMEvent[] }
    >();
    for (const { index, reason, status } of verdict.rejected) {
      const key = `${status ?? ""} ${reason}`;
      let group = byReason.get(key);
      if (group === undefined) {
        group = { reason, status, events: [] };
        byReason.set(key, group);
      }
      group.events.push((pending[index] as Entry).event);
    }
    for (const { reason, status, events } of byReason.values()) {
      tally.failed += events.length;
      this.#host.deadLetter(events, reason, status);
    }
    const first = verdict.retry[0] ?? verdict.rejected[0];
    if (first) this.#fail(first.reason, tally);
    return verdict.retry.map(({ index }) => pending[index] as Entry);
  }

  // An answer shows a setup error: the destination reports it (`/health`
  // fails) until a delivery succeeds, and says once what to check.
  #setupFailed(check: string, reason: string): void {
    if (this.#state.setupError !== check) {
      this.#host.context.logger.error("destination setup error", {
        destination: this.#host.name,
        check,
        error: this.#host.redact(reason),
        buffered: this.#host.buffered,
      });
    }
    this.#state.setupError = check;
  }

  #fail(reason: string, tally: FlushTally): void {
    const clean = this.#host.redact(reason);
    tally.error = clean;
    this.#state.lastError = clean;
    this.#state.lastErrorAt = this.#host.context.clock.now();
  }

  // Retries ran out: keep the events and wait longer and longer before the
  // next try, so a destination that is down costs little.
  #backOff(retryAfterMs: number | undefined): void {
    this.#state.consecutiveFailures++;
    const delay = backoffDelayMs(
      this.#host.config.maxRetries + this.#state.consecutiveFailures - 1,
      this.#host.config,
      this.#host.context.random,
      retryAfterMs,
    );
    this.#state.retryAt = this.#host.context.clock.now() + delay;
    this.#host.context.logger.warn("destination backing off", {
      destination: this.#host.name,
      retryInMs: delay,
      buffered: this.#host.buffered,
      error: this.#state.lastError,
    });
  }
}
