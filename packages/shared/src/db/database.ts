import { Kysely, PostgresDialect, type LogEvent } from "kysely";
import pg from "pg";
import { lockDataDir } from "../fs/data-dir-lock.js";
import { ensurePrivateDir } from "../fs/private-dir.js";
import type { Database } from "./schema.js";

export type Engine = "postgres" | "pglite";

/** An open database and how to close it. */
export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly engine: Engine;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A postgres:// URL; unset → embedded PGlite in `dataDir`. */
  url?: string | undefined;
  dataDir: string;
  /** Connections in the pg pool (ignored for PGlite, which has exactly one). */
  poolSize?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** A query with no answer within this fails (Postgres only); default 30 s. */
  queryTimeoutMs?: number;
  /** Told of every query once it has finished (tracing); unset, queries are not watched at all. */
  onQuery?: ((event: LogEvent) => void) | undefined;
}

/**
 * Opens real Postgres when a URL is given, else PGlite (Postgres in WASM) in a
 * data folder created 0700 and locked to this process until closed (a
 * StartupError names the process holding it).
 */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      application_name: options.applicationName ?? "tessera",
      // Fail a request fast when Postgres is down rather than queueing it for ever.
      connectionTimeoutMillis: 2000,
      // A connection that silently vanished (no RST) would hang its query until the
      // kernel gives up; keep-alive notices sooner and the timeout frees the caller.
      keepAlive: true,
      query_timeout: options.queryTimeoutMs ?? 30_000,
    });
    // An idle client's error (server restart) must not crash the process; the pool replaces it.
    pool.on("error", () => {});
    // Nor may a busy one's: a connection reset while a query is out (or after query_timeout
    // gave up on it) is emitted on the client, and an unheard 'error' event kills the process.
    // The query's own promise carries the failure; the pool discards the broken client.
    pool.on("connect", (client) => client.on("error", () => {}));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: options.onQuery });
    return { db, engine: "postgres", close: () => db.destroy() };
  }
  // Loaded only when needed: the WASM module costs ~100 ms to import.
  const [{ PGlite }, { pg_trgm }, { PGliteDialect }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("@electric-sql/pglite/contrib/pg_trgm"),
    import("kysely-pglite-dialect"),
  ]);
  ensurePrivateDir(options.dataDir);
  // PGlite has no lock of its own: two processes on one folder would each keep their own copy and the last to close would win.
  const lock = lockDataDir(options.dataDir);
  try {
    // pg_trgm serves token name search (an index the migrations build where the extension exists).
    const pglite = await PGlite.create(`${options.dataDir}/pgdata`, { extensions: { pg_trgm } });
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite), log: options.onQuery });
    return {
      db,
      engine: "pglite",
      async close() {
        try {
          await db.destroy();
        } finally {
          lock.release();
        }
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** pg returns int8 as a string, PGlite as a number; both become a bigint here. */
export function toBigInt(value: string | number | bigint): bigint {
  return typeof value === "bigint" ? value : BigInt(value);
}

/** pg returns bytea as Buffer, PGlite as Uint8Array. */
export function toBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
