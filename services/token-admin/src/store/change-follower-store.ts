import { sql, type Kysely } from "kysely";
import { toBigInt } from "@tessera/shared/db/database";
import type { Database } from "@tessera/shared/db/schema";

/** The kind of row validators' positions are recorded under. */
export const validatorKind = "validator";

export interface FollowerPosition {
  readonly id: string;
  readonly kind: string;
  readonly appliedSeq: bigint;
  readonly seenAt: Date;
}

/**
 * Records followers' positions, one statement for all. A position never moves
 * back here (two admins may write one validator's reports out of order); a
 * follower that must step back deregisters first.
 */
export async function recordFollowers(db: Kysely<Database>, positions: readonly FollowerPosition[]): Promise<void> {
  if (positions.length === 0) return;
  await db
    .insertInto("change_follower")
    .values(positions.map((p) => ({ id: p.id, kind: p.kind, applied_seq: p.appliedSeq.toString(), last_seen_at: p.seenAt })))
    .onConflict((oc) =>
      oc.column("id").doUpdateSet({
        applied_seq: sql`greatest(change_follower.applied_seq, excluded.applied_seq)`,
        last_seen_at: sql`greatest(change_follower.last_seen_at, excluded.last_seen_at)`,
      }),
    )
    .execute();
}

/** Removes a follower: it holds nothing back any more. */
export async function removeFollower(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom("change_follower").where("id", "=", id).execute();
}

/**
 * The lowest position among followers that still count: validators heard since
 * `validatorsSeenSince`, and every durable follower. Undefined when there are none.
 */
export async function lowestFollowerPosition(db: Kysely<Database>, validatorsSeenSince: Date): Promise<bigint | undefined> {
  const row = await db
    .selectFrom("change_follower")
    .select((eb) => eb.fn.min("applied_seq").as("lowest"))
    .where((eb) => eb.or([eb("kind", "<>", validatorKind), eb("last_seen_at", ">", validatorsSeenSince)]))
    .executeTakeFirst();
  return row?.lowest === null || row?.lowest === undefined ? undefined : toBigInt(row.lowest as string | number | bigint);
}

/** Forgets validators unheard since `before` (each restart may bring a new id); returns how many. */
export async function forgetValidators(db: Kysely<Database>, before: Date): Promise<number> {
  const result = await db.deleteFrom("change_follower").where("kind", "=", validatorKind).where("last_seen_at", "<=", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
