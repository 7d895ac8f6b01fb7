// scratch: fill 1M once, serve cached snapshot, then load it K times (child), on demand via SIGUSR2-free loop: reruns on each "go" file
import { execFile } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import { fillDatabase } from "./support/fill-database.js";
import { createPostgresDatabase } from "../test/support/test-database.js";
import { startAdmin } from "../test/support/in-process.js";
import { testPepper } from "../test/support/admin-deps.js";
const run = promisify(execFile);
const database = await createPostgresDatabase();
await fillDatabase(database.handle.db, 1_000_000);
const admin = await startAdmin({ DATABASE_URL: database.url!, TESSERA_PEPPER: testPepper, TESSERA_LOG_LEVEL: "silent", TESSERA_SNAPSHOT_INTERVAL_MS: "3600000" });
await admin.snapshots.get();
writeFileSync("/tmp/cached-args", JSON.stringify([database.url!, `http://127.0.0.1:${admin.port}`, testPepper]));
console.log("ready");
for (;;) {
  if (existsSync("/tmp/cached-go")) {
    const k = Number(require_("/tmp/cached-go"));
    rmSync("/tmp/cached-go");
    const out: string[] = [];
    for (let i = 0; i < k; i++) out.push((await run(process.execPath, [...(process.env.EXTRA ? [process.env.EXTRA] : []), "--import", "tsx", "bench/herd-load.ts", "cached", "1", database.url!, `http://127.0.0.1:${admin.port}`, testPepper], { maxBuffer: 1 << 26 })).stdout.trim());
    writeFileSync("/tmp/cached-out", out.join("\n") + "\n");
  }
  if (existsSync("/tmp/cached-stop")) break;
  await new Promise((r) => setTimeout(r, 200));
}
function require_(p: string) { return (await_(p)); }
function await_(p: string) { return readFileSync(p, "utf8"); }
await admin.close();
await database.drop();
