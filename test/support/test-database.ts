import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, type DatabaseHandle } from "@tessera/shared/db/database";
import { migrateToLatest } from "@tessera/token-admin/store/migrate";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The server tests create their databases on (trust auth on loopback here and in CI). */
export const postgresServerUrl = process.env.TESSERA_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  /** Connection string of the fresh database (Postgres) or undefined (PGlite). */
  readonly url: string | undefined;
  readonly handle: DatabaseHandle;
  /** Closes and drops the database. */
  drop(): Promise<void>;
}

/** Runs one statement on the server's maintenance database (create or drop a database). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresServerUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A database of its own on the real Postgres server, migrated (unless told not to), so runs never collide. */
export async function createPostgresDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `tessera_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(postgresServerUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ url: url.toString(), dataDir: "", poolSize: 5 });
  if (options.migrate !== false) await migrateToLatest(handle.db);
  return {
    url: url.toString(),
    handle,
    async drop() {
      await handle.close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

/** A PGlite database in a fresh temporary folder, migrated (unless told not to). */
export async function createPgliteDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-pglite-"));
  const handle = await openDatabase({ dataDir: dir });
  if (options.migrate !== false) await migrateToLatest(handle.db);
  return {
    url: undefined,
    handle,
    async drop() {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Store tests run against both engines, as kysely's own tests loop over dialects. */
export const engines = [
  { name: "postgres", create: createPostgresDatabase },
  { name: "pglite", create: createPgliteDatabase },
] as const;
