/**
 * The durable spool's rounds: every `pollMs`, renew or take each
 * destination's lease, then feed the destinations this instance delivers.
 *
 * @module
 */
import type { Clock } from "../delivery/clock.ts";
import type { Logger } from "../delivery/logger.ts";
import type { KvOutbox } from "./kv_outbox.ts";
import { Lease } from "./lease.ts";
import type { SpooledDestination } from "./spooled_destination.ts";

/**
 * Reads the outbox and dead-letter counts of destinations.
 *
 * @param targets The destinations.
 */
export async function refreshCounts(
  targets: readonly SpooledDestination[],
): Promise<void> {
  await Promise.all(targets.map((spooled) => spooled.refreshCounts()));
}

/** What the rounds need from their spool. */
export interface RoundsContext {
  /** The storage (leases live there too). */
  outbox: KvOutbox;
  /** The clock of the rounds and leases. */
  clock: Clock;
  /** Where a failed round is logged. */
  logger: Logger;
  /** How often a round runs, in ms. */
  pollMs: number;
  /** How long a lease lasts without renewal, in ms. */
  leaseMs: number;
  /** This instance's id in leases. */
  instanceId: () => string;
  /** Whether the spool runs (the next round is planned only then). */
  running: () => boolean;
  /** The enabled destinations. */
  destinations: () => SpooledDestination[];
}

/** The lease loop of one spool. */
export class LeaseRounds {
  /** Stopping, and delivering the backlog: leases are renewed, none taken. */
  draining = false;
  readonly #context: RoundsContext;
  #timer: unknown;
  #ticking: Promise<void> | undefined;
  #again = false;
  #countedAt: number | undefined;

  /**
   * Prepares the rounds; none runs until {@linkcode LeaseRounds.tick}.
   *
   * @param context The spool's storage, clock and destinations.
   */
  constructor(context: RoundsContext) {
    this.#context = context;
  }

  /** The round under way, if any. */
  get ticking(): Promise<void> | undefined {
    return this.#ticking;
  }

  /**
   * Runs a round now (or once more after the one under way).
   *
   * @returns When the rounds are done.
   */
  tick(): Promise<void> {
    if (this.#ticking) {
      this.#again = true;
      return this.#ticking;
    }
    this.#ticking = (async () => {
      do {
        this.#again = false;
        await this.#round();
      } while (this.#again);
    })().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  /** Cancels the next planned round. */
  cancel(): void {
    if (this.#timer !== undefined) {
      this.#context.clock.clearTimeout(this.#timer);
    }
    this.#timer = undefined;
  }

  async #round(): Promise<void> {
    const { clock, logger } = this.#context;
    this.cancel();
    try {
      const targets = this.#context.destinations();
      // Every accepted request asks for a round; the counts are read again
      // at most twice a poll (each read waits behind the store's commits
      // under load; accepting counts the outboxes itself).
      const now = clock.now();
      if (
        this.#countedAt === undefined ||
        now - this.#countedAt >= this.#context.pollMs / 2
      ) {
        this.#countedAt = now;
        await refreshCounts(targets);
      }
      // Every lease is renewed before any feed, and a round does not wait
      // for its feeds: loading many groups from a busy store must not
      // delay the next renewal past the lease.
      for (const spooled of targets) {
        if (await this.#holdLease(spooled)) void spooled.feed();
      }
    } catch (error) {
      logger.error("spool round failed", { error: String(error) });
    } finally {
      if (this.#context.running() && this.#timer === undefined) {
        this.#timer = clock.setTimeout(() => {
          this.#timer = undefined;
          void this.tick();
        }, this.#context.pollMs);
      }
    }
  }

  async #holdLease(spooled: SpooledDestination): Promise<boolean> {
    // Stopping: renew what is held (the backlog is being delivered), take
    // nothing new.
    if (this.draining && !spooled.lease?.held) return false;
    const { outbox } = this.#context;
    spooled.lease ??= new Lease(
      outbox.kv,
      outbox.keys.lease(spooled.name),
      this.#context.instanceId(),
      this.#context.leaseMs,
      (operation) => outbox.retry(operation),
    );
    const state = await spooled.lease.hold(this.#context.clock.now());
    if (state === "lost") spooled.lose();
    return state === "held";
  }
}
