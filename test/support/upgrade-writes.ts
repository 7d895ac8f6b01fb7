import { sql, type Kysely } from "kysely";
import type { Database } from "@tessera/shared/db/schema";

/** A principal that can own tokens, with its organisation. */
export interface TokenOwner {
  readonly id: string;
  readonly organisation_id: string;
}

/**
 * One token write as the running (older) token-admin makes it while a newer
 * one migrates the store: the owner locked first, as token-admin locks it,
 * then a token row and its audit row in the first schema's columns (today's
 * CreateToken reads columns a later migration adds). Errors are the caller's.
 */
export async function writeTokenAsFirstRelease(db: Kysely<Database>, owner: TokenOwner, createdBy: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`select 1 from principal where id = ${owner.id}::uuid for key share`.execute(trx);
    const { rows } = await sql<{ id: string }>`insert into token (organisation_id, owner_id, name, level, kind, scopes, created_by, digest, display_hint)
      values (${owner.organisation_id}::uuid, ${owner.id}::uuid, 'during migration', 'user', 'personal', '{}', ${createdBy}::uuid, decode(md5(random()::text) || md5(random()::text), 'hex'), 'tsr_pat_…') returning id`.execute(trx);
    await sql`insert into audit_log (action, actor_id, organisation_id, token_id) values ('token.create', ${createdBy}::uuid, ${owner.organisation_id}::uuid, ${rows[0]!.id}::uuid)`.execute(trx);
  });
}
