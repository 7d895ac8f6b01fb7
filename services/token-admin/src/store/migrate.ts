import { Migrator, type Kysely, type Migration, type MigrationProvider } from "kysely";
import { isRetryableTransactionError } from "@tessera/shared/db/database-errors";
import type { Database } from "@tessera/shared/db/schema";
import * as initial from "./migrations/2026-11-23-initial.js";
import * as consoleIndexes from "./migrations/2026-12-01-console-indexes.js";
import * as changeFollowers from "./migrations/2026-12-01-months-change-followers.js";
import * as leaksHoneytokens from "./migrations/2026-12-02-leaks-honeytokens.js";
import * as webhooksNotices from "./migrations/2026-12-02-webhooks-notices.js";
import * as webhooksExpiryIndex from "./migrations/2026-12-02-webhooks-expiry-index.js";
import * as incidentUsageRotation from "./migrations/2026-12-02-incident-usage-rotation.js";
import * as honeyhooksDeliveryWebhookId from "./migrations/2026-12-03-honeyhooks-delivery-webhook-id.js";
import * as snapshotFunctions from "./migrations/2026-12-04-snapshot-functions.js";
import * as tokenIndexesConcurrently from "./migrations/2026-12-05-token-indexes-concurrently.js";

/** A migration module; `outsideTransaction` ones manage their own (CREATE INDEX CONCURRENTLY cannot run in one). */
type MigrationModule = Migration & { readonly outsideTransaction?: boolean };

/**
 * kysely runs every pending migration in one transaction, or — with
 * `disableTransactions` — none in any. The migrator runs without, and each
 * migration not marked `outsideTransaction` gets a transaction of its own here,
 * so its statements still commit together or not at all.
 */
function inItsOwnTransaction(migration: MigrationModule): Migration {
  if (migration.outsideTransaction) return migration;
  return {
    up: (db) => db.transaction().execute((trx) => migration.up(trx)),
    down: migration.down && ((db) => db.transaction().execute((trx) => migration.down!(trx))),
  };
}

// Listed in code, not read from a folder: the build output needs no file scanning
// and the order is explicit.
const migrations: Record<string, MigrationModule> = {
  "2026-11-23-initial": initial,
  "2026-12-01-console-indexes": consoleIndexes,
  "2026-12-01-months-change-followers": changeFollowers,
  "2026-12-02-leaks-honeytokens": leaksHoneytokens,
  "2026-12-02-webhooks-notices": webhooksNotices,
  "2026-12-02-webhooks-expiry-index": webhooksExpiryIndex,
  "2026-12-02-incident-usage-rotation": incidentUsageRotation,
  "2026-12-03-honeyhooks-delivery-webhook-id": honeyhooksDeliveryWebhookId,
  "2026-12-04-snapshot-functions": snapshotFunctions,
  "2026-12-05-token-indexes-concurrently": tokenIndexesConcurrently,
};

const provider: MigrationProvider = {
  getMigrations: async () => Object.fromEntries(Object.entries(migrations).map(([name, m]) => [name, inItsOwnTransaction(m)])),
};

const maxAttempts = 3;

/**
 * Brings the schema to the newest migration, or to `target` (a migration name).
 * Safe to run from several processes at once: kysely holds an advisory lock
 * meanwhile. A process waiting on that lock can be picked as a deadlock victim by
 * the other's concurrent index build (which waits for older snapshots to end);
 * it then tries again. A migration that fails throws "migration <name> failed:
 * <why>"; a database that cannot be reached throws its own error (no migration ran).
 */
export async function migrateToLatest(db: Kysely<Database>, target?: string): Promise<void> {
  // Unordered: migrations added on parallel branches interleave by name once merged, and a
  // database that ran a later one must still run an earlier one it lacks.
  const migrator = new Migrator({ db, provider, disableTransactions: true, allowUnorderedMigrations: true });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await (target ? migrator.migrateTo(target) : migrator.migrateToLatest());
    if (!error) return;
    if (attempt < maxAttempts && isRetryableTransactionError(error)) continue;
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    if (failed === undefined) throw error;
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
