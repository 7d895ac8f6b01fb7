import type { Kysely, Transaction } from "kysely";
import type { Database, TokenRow } from "@tessera/shared/db/schema";

/**
 * Locks the live (not deleted) tokens that any of `digests` opens: by current
 * digest, or by the digest a RegenerateToken replaced while its grace lasts
 * (that value still works, so it can leak too). In id order, so two reports
 * naming the same tokens cannot deadlock.
 */
export function lockTokensByDigest(trx: Transaction<Database>, digests: readonly Buffer[], now: Date): Promise<TokenRow[]> {
  return trx
    .selectFrom("token")
    .selectAll()
    .where("deleted_at", "is", null)
    .where((eb) =>
      eb.or([
        eb("digest", "in", [...digests]),
        eb.and([eb("previous_digest", "in", [...digests]), eb("previous_digest_expires_at", ">", now)]),
      ]),
    )
    .orderBy("id")
    .forUpdate()
    .execute();
}

/** The live token a value's digest opens (current, or replaced while its grace lasts); undefined if none. */
export function findTokenByDigest(db: Kysely<Database>, digest: Buffer, now: Date): Promise<TokenRow | undefined> {
  return db
    .selectFrom("token")
    .selectAll()
    .where("deleted_at", "is", null)
    .where((eb) => eb.or([eb("digest", "=", digest), eb.and([eb("previous_digest", "=", digest), eb("previous_digest_expires_at", ">", now)])]))
    .executeTakeFirst();
}

/** Tokens by id, deleted ones included (a honeytoken deleted after it was presented is still reported). */
export function findTokensById(trx: Transaction<Database>, ids: readonly string[]): Promise<TokenRow[]> {
  return trx.selectFrom("token").selectAll().where("id", "in", [...ids]).execute();
}
