import { sql, type Kysely } from "kysely";
import type { Database } from "@tessera/shared/db/schema";

// Rotations still to settle are found through the partial index
// token_rotation_pending (migration 2026-12-02): few rows at any time.

const pending = (db: Kysely<Database>) =>
  db
    .selectFrom("token")
    .select("id")
    .where("rotation_settled_at", "is", null)
    .where("regenerated_at", "is not", null)
    .where("previous_digest", "is not", null)
    .where("deleted_at", "is", null);

/** Rotations in their grace period whose previous value has gone unseen for their quiet period, as of `now`. */
export async function findQuietRotations(db: Kysely<Database>, now: Date, limit: number): Promise<string[]> {
  const rows = await pending(db)
    .where("previous_digest_expires_at", ">", now)
    .where("rotation_quiet_seconds", ">", 0)
    .where(sql<boolean>`greatest(regenerated_at, coalesce(previous_value_last_used_at, regenerated_at)) + rotation_quiet_seconds * interval '1 second' <= ${now}`)
    .orderBy("previous_digest_expires_at")
    .limit(limit)
    .execute();
  return rows.map((row) => row.id);
}

/** Rotations whose grace period has ended, not yet settled. */
export async function findEndedRotations(db: Kysely<Database>, now: Date, limit: number): Promise<string[]> {
  const rows = await pending(db).where("previous_digest_expires_at", "<=", now).orderBy("previous_digest_expires_at").limit(limit).execute();
  return rows.map((row) => row.id);
}
