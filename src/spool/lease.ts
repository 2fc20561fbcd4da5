/**
 * A lease in a key-value store: which instance delivers a destination.
 *
 * @module
 */
import type { KvKey, KvLike } from "./kv_like.ts";

/** What a lease round found. */
export type LeaseState = "held" | "lost" | "free_elsewhere";

/**
 * One key, `{ owner, expiresAt }`, written with versionstamp checks so that
 * at most one instance holds it at a time. The holder renews it once two
 * thirds of its time are left; another instance takes it only after it
 * expires.
 */
export class Lease {
  readonly #kv: KvLike;
  readonly #key: KvKey;
  readonly #owner: string;
  readonly #ms: number;
  readonly #retry: <T>(operation: () => Promise<T>) => Promise<T>;
  #expiresAt: number | undefined;

  /**
   * Describes the lease; nothing is read or written yet.
   *
   * @param kv The store.
   * @param key The lease's key.
   * @param owner This instance's id.
   * @param ms How long the lease lasts without renewal.
   * @param retry Runs a store operation, trying it again while the store is busy.
   */
  constructor(
    kv: KvLike,
    key: KvKey,
    owner: string,
    ms: number,
    retry: <T>(operation: () => Promise<T>) => Promise<T>,
  ) {
    this.#kv = kv;
    this.#key = key;
    this.#owner = owner;
    this.#ms = ms;
    this.#retry = retry;
  }

  /** Whether this instance holds the lease (as of its last round). */
  get held(): boolean {
    return this.#expiresAt !== undefined;
  }

  /**
   * Takes or renews the lease if it can.
   *
   * @param now The current time.
   * @returns `held`; `lost` when this instance held it and no longer does;
   * `free_elsewhere` when another instance holds it.
   */
  async hold(now: number): Promise<LeaseState> {
    if (
      this.#expiresAt !== undefined && this.#expiresAt - now > this.#ms * 2 / 3
    ) {
      return "held";
    }
    const current = await this.#retry(() =>
      this.#kv.get<{ owner: string; expiresAt: number }>(this.#key)
    );
    const mine = current.value?.owner === this.#owner;
    const takenElsewhere = current.value !== null && !mine &&
      current.value.expiresAt > now;
    if (takenElsewhere || (this.held && !mine)) return this.#drop();
    const expiresAt = now + this.#ms;
    const { ok } = await this.#retry(() =>
      this.#kv.atomic()
        .check({ key: this.#key, versionstamp: current.versionstamp })
        .set(this.#key, { owner: this.#owner, expiresAt })
        .commit()
    );
    if (!ok) return this.#drop();
    this.#expiresAt = expiresAt;
    return "held";
  }

  /** Gives the lease up, if this instance holds it, so another can take it at once. */
  async release(): Promise<void> {
    if (!this.held) return;
    this.#expiresAt = undefined;
    const current = await this.#retry(() =>
      this.#kv.get<{ owner: string }>(this.#key)
    );
    if (current.value?.owner === this.#owner) {
      await this.#retry(() =>
        this.#kv.atomic()
          .check({ key: this.#key, versionstamp: current.versionstamp })
          .delete(this.#key)
          .commit()
      );
    }
  }

  #drop(): LeaseState {
    const had = this.held;
    this.#expiresAt = undefined;
    return had ? "lost" : "free_elsewhere";
  }
}
