/**
 * The Bun entry: `Bun.serve` around the ingest app, configured from
 * environment variables. Import from `@harombe/siem/bun` to start it from
 * your own file, or run `src/runtime/bun/server.ts` (bundled) with
 * `bun run`: it starts itself and stops gracefully on SIGINT/SIGTERM.
 *
 * @example
 * ```ts ignore
 * import { startBunServer } from "@harombe/siem/bun";
 *
 * startBunServer();
 * ```
 *
 * @module
 */
export { type BunIngestServer, startBunServer } from "./server.ts";
