/**
 * Replacing a running app's tokens from their source (a config file, a KV
 * entry), keeping the tokens in use when the new ones cannot be read.
 *
 * @module
 */
import type { ProducerToken, ProducerTokens } from "./producer_tokens.ts";

/**
 * Loads the tokens with `load` and puts them in `tokens`, saying so in
 * `log` when they changed. When loading
 * fails, the list is empty or an entry is malformed, the tokens in use
 * stay and `log` says why (never quoting a token: the errors of
 * {@linkcode ProducerTokens} do not, and `load` must not either).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProducerTokens, reloadTokens } from "@harombe/siem/ingest";
 *
 * const tokens = new ProducerTokens([{ name: "a", token: "a-token-0123456789abcdef" }]);
 * const lines: string[] = [];
 * const ok = await reloadTokens(tokens, () => Promise.resolve([]), (l) => lines.push(l));
 * assert.equal(ok, false);
 * assert.equal(tokens.size, 1);
 * assert.match(lines[0]!, /keeping the 1 token/);
 * ```
 *
 * @param tokens The app's tokens.
 * @param load Reads the new tokens.
 * @param log Where the outcome goes.
 * @returns False when the new tokens could not be used.
 */
export async function reloadTokens(
  tokens: ProducerTokens,
  load: () => Promise<readonly (string | ProducerToken)[]>,
  log: (line: string) => void,
): Promise<boolean> {
  try {
    const entries = await load();
    // An empty list would open the ingest to anyone: never by a reload.
    if (entries.length === 0) throw new Error("the new config has no token");
    if (!tokens.replace(entries, "ingestTokens")) return true;
  } catch (error) {
    log(
      `ingest token reload failed, keeping the ${tokens.size} token(s) in use: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
    return false;
  }
  log(
    `ingest tokens reloaded: ${tokens.size} token(s) of ${
      tokens.names.join(", ")
    }`,
  );
  return true;
}
