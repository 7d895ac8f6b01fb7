import { sql, type Kysely } from "kysely";
import type { Database } from "@tessera/shared/db/schema";

const tokensPerBatch = 100_000;

/** The id of the bench's organisation `index` (0-based); the first is the one a single-organisation fill makes. */
export const benchOrganisationId = (index: number) => `00000000-0000-4000-8000-${(0xa + index).toString(16).padStart(12, "0")}`;

/**
 * Fills a migrated database with `organisations` organisations (one by
 * default), `owners` principals spread over them in turn, and `tokens` live
 * tokens, each in its owner's organisation — so organisations of equal size
 * when `owners` is a multiple of `organisations`. In SQL, so setting up a
 * million rows takes seconds. Digests are 32 distinct bytes each (two md5s),
 * never real token digests. Ends vacuumed, as a database that has been running
 * is: otherwise the first reads set a million rows' hint bits and autovacuum
 * wakes in the middle of whatever is being timed next; and checkpointed, or the
 * checkpointer writes the fill's pages out then.
 */
export async function fillDatabase(db: Kysely<Database>, tokens: number, owners = 10_000, organisations = 1): Promise<void> {
  const ids = Array.from({ length: organisations }, (_, index) => benchOrganisationId(index));
  for (const [index, id] of ids.entries()) await sql`insert into organisation (id, name) values (${id}::uuid, ${`bench ${index}`})`.execute(db);
  // Owner i belongs to organisation i % organisations (ids[] is 1-based in SQL).
  await sql`insert into principal (id, organisation_id, name, kind, role, permissions)
    select ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, (${ids}::uuid[])[1 + i % ${organisations}], 'p' || i, 'technical', 'member', '{orders:read,orders:write}'
    from generate_series(1, ${owners}) as i`.execute(db);
  // In batches: one statement for a million rows can outlast the pool's 30 s query timeout on a slow machine.
  for (let first = 1; first <= tokens; first += tokensPerBatch) {
    const last = Math.min(tokens, first + tokensPerBatch - 1);
    await sql`insert into token (organisation_id, owner_id, name, level, kind, scopes, admin, created_by, expires_at, digest, display_hint)
      select (${ids}::uuid[])[1 + (1 + i % ${owners}) % ${organisations}], ('00000000-0000-4000-8000-' || lpad(to_hex(1 + i % ${owners}), 12, '0'))::uuid, 'bench ' || i,
        'user', 'personal', case i % 3 when 0 then '{orders:read}'::text[] when 1 then '{orders:read,orders:write}'::text[] else '{}'::text[] end,
        false, '00000000-0000-4000-8000-000000000001', now() + interval '30 days', decode(md5(i::text) || md5((-i)::text), 'hex'), 'tsr_pat_…' || i % 10000
      from generate_series(${first}::int4, ${last}::int4) as i`.execute(db);
  }
  await sql`vacuum (analyze) token, principal`.execute(db);
  await sql`checkpoint`.execute(db);
}
