import { Migrator, type Kysely, type Migration, type MigrationProvider } from "kysely";
import type { Database } from "@tessera/shared/db/schema";
import * as initial from "./migrations/2026-11-23-initial.js";

// Listed in code, not read from a folder: the build output needs no file scanning
// and the order is explicit.
const migrations: Record<string, Migration> = {
  "2026-11-23-initial": initial,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Brings the schema to the newest migration. Safe to run from several processes
 * at once. A migration that fails throws "migration <name> failed: <why>"; a
 * database that cannot be reached throws its own error (no migration ran).
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (!error) return;
  const failed = results?.find((r) => r.status === "Error")?.migrationName;
  if (failed === undefined) throw error;
  throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
