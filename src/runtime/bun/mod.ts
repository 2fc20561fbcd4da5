/**
 * The Bun entry: `Bun.serve` around the ingest app, configured from
 * environment variables and `SIEM_CONFIG_FILE`. Import from
 * `@harombe/siem/bun` to start it from your own file, or run
 * `src/runtime/bun/server.ts` (bundled) with `bun run`: it starts itself,
 * re-reads its tokens on SIGHUP and stops gracefully on SIGINT/SIGTERM.
 *
 * @example
 * ```ts ignore
 * import { serveBun } from "@harombe/siem/bun";
 *
 * await serveBun();
 * ```
 *
 * @module
 */
export { type BunIngestServer, serveBun, startBunServer } from "./server.ts";
