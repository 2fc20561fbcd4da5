import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { openKvWhenFree } from "../../../src/runtime/deno/open_kv.ts";

// Another writer (here another connection) holds the spool file's write
// lock: Deno.openKv waits SQLite's busy timeout (5 s, blocking the event
// loop, so the release below runs only after it) and fails with "database
// is locked"; the server's open tries again and opens the file.
Deno.test("openKvWhenFree opens the spool file once another writer lets it go", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/spool.sqlite`;
  const other = new DatabaseSync(path);
  other.exec("BEGIN EXCLUSIVE");
  other.exec("CREATE TABLE other_writer(a)");
  const letGo = setTimeout(() => {
    other.exec("COMMIT");
    other.close();
  }, 100);
  try {
    const kv = await openKvWhenFree(path);
    try {
      await kv.set(["opened"], true);
      assert.equal((await kv.get(["opened"])).value, true);
    } finally {
      kv.close();
    }
  } finally {
    clearTimeout(letGo);
    if (other.isOpen) other.close();
    await Deno.remove(dir, { recursive: true });
  }
});
