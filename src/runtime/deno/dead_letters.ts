// deno-lint-ignore-file no-console
/**
 * `deno task dead-letters`: lists, replays or purges the dead letters of the
 * durable KV spool, with the same configuration as `deno task start`.
 *
 * ```sh
 * deno task dead-letters list [--destination NAME] [--json]
 * deno task dead-letters replay [--destination NAME] [--id ID]
 * deno task dead-letters purge [--destination NAME] [--id ID]
 * ```
 *
 * @module
 */
import { KvSpool } from "../../spool/kv_spool.ts";
import { openKvWhenFree } from "./open_kv.ts";
import { configFromDenoEnv } from "./server.ts";

const USAGE =
  "usage: deno task dead-letters list|replay|purge [--destination NAME] [--id ID] [--json]";

/**
 * Runs the command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function deadLettersCommand(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  const option = (name: string): string | undefined => {
    const at = rest.indexOf(`--${name}`);
    return at === -1 ? undefined : rest[at + 1];
  };
  if (!command || !["list", "replay", "purge"].includes(command)) {
    console.error(USAGE);
    return 2;
  }
  const config = await configFromDenoEnv([]);
  if (config.destinations.length === 0) {
    console.error(
      "no SIEM configured: dead letters are kept per destination in the spool of " +
        "`deno task start`, so this command needs the same configuration " +
        "(SIEM_DESTINATIONS, SIEM_CONFIG_FILE or SIEM_<PLATFORM>_URL, and DATA_DIR or SPOOL_PATH if set)",
    );
    return 2;
  }
  const path = config.spoolPath === "default"
    ? undefined
    : config.spoolPath ?? `${config.dataDir}/spool.sqlite`;
  const kv = await openKvWhenFree(path);
  try {
    const spool = new KvSpool(kv, config.destinations);
    const destination = option("destination");
    if (
      destination !== undefined && !spool.destinations.includes(destination)
    ) {
      console.error(
        `unknown destination ${
          JSON.stringify(destination)
        }: the configured ones are ${spool.destinations.join(", ")}`,
      );
      return 2;
    }
    const id = option("id");
    if (command === "list") {
      let total = 0;
      for await (const letter of spool.deadLetters(destination)) {
        total += letter.events.length;
        if (rest.includes("--json")) {
          console.log(JSON.stringify(letter));
        } else {
          console.log(
            `${letter.id}  ${letter.destination}  ${
              new Date(letter.at).toISOString()
            }  ${letter.events.length} event(s)  ${letter.reason}`,
          );
        }
      }
      if (!rest.includes("--json")) console.log(`${total} event(s) in all`);
    } else if (command === "replay") {
      const count = await spool.replayDeadLetters(destination, id);
      console.log(`${count} event(s) put back in the outbox`);
    } else {
      const count = await spool.purgeDeadLetters(destination, id);
      console.log(`${count} event(s) deleted`);
    }
    return 0;
  } finally {
    kv.close();
  }
}

if (import.meta.main) Deno.exit(await deadLettersCommand(Deno.args));
