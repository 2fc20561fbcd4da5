/**
 * fast-check run parameters shared by the property tests: a run count sized
 * for a 2-core machine, and a replay of a failure through environment
 * variables.
 *
 * A failing property prints its `seed` and `path` (fast-check puts them in
 * the error message). Replay it with:
 *
 * ```sh
 * FC_SEED=<seed> FC_PATH=<path> deno test --allow-net=127.0.0.1 --allow-read --allow-env tests/properties
 * ```
 *
 * `FC_RUNS=<n>` replaces every default run count (for a longer soak run).
 *
 * @module
 */

/** The parameters handed to `fc.assert`. */
export interface FcParams {
  /** How many inputs are generated. */
  numRuns: number;
  /** The seed to replay, when `FC_SEED` is set. */
  seed?: number;
  /** The shrink path to replay, when `FC_PATH` is set. */
  path?: string;
  /** Stop at the first failure when replaying a path. */
  endOnFailure?: boolean;
}

function env(name: string): string | undefined {
  try {
    const value = Deno.env.get(name)?.trim();
    return value === "" ? undefined : value;
  } catch {
    // Without --allow-env the defaults apply.
    return undefined;
  }
}

/**
 * The `fc.assert` parameters for a property: `FC_RUNS`, `FC_SEED` and
 * `FC_PATH` from the environment, else `defaultRuns` and a random seed.
 *
 * @param defaultRuns The run count when `FC_RUNS` is not set.
 * @returns The parameters.
 */
export function fcParams(defaultRuns: number): FcParams {
  const runs = Number(env("FC_RUNS"));
  const params: FcParams = {
    numRuns: Number.isInteger(runs) && runs > 0 ? runs : defaultRuns,
  };
  const seed = env("FC_SEED");
  if (seed !== undefined) {
    const parsed = Number(seed);
    if (!Number.isInteger(parsed)) {
      throw new TypeError(`FC_SEED must be an integer, got ${seed}`);
    }
    params.seed = parsed;
    const path = env("FC_PATH");
    if (path !== undefined) {
      params.path = path;
      params.endOnFailure = true;
    }
  }
  return params;
}
