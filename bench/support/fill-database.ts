import { sql, type Kysely } from "kysely";
import type { Database } from "@tessera/shared/db/schema";

const tokensPerBatch = 100_000;

/**
 * Fills a migrated database with one organisation, `owners` principals and
 * `tokens` live tokens — in SQL, so setting up a million rows takes seconds.
 * Digests are 32 distinct bytes each (two md5s), never real token digests.
 */
export async function fillDatabase(db: Kysely<Database>, tokens: number, owners = 10_000): Promise<void> {
  await sql`insert into organisation (id, name) values ('00000000-0000-4000-8000-00000000000a', 'bench')`.execute(db);
  await sql`insert into principal (id, organisation_id, name, kind, role, permissions)
    select ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, '00000000-0000-4000-8000-00000000000a', 'p' || i, 'technical', 'member', '{orders:read,orders:write}'
    from generate_series(1, ${owners}) as i`.execute(db);
  // In batches: one statement for a million rows can outlast the pool's 30 s query timeout on a slow machine.
  for (let first = 1; first <= tokens; first += tokensPerBatch) {
    const last = Math.min(tokens, first + tokensPerBatch - 1);
    await sql`insert into token (organisation_id, owner_id, name, level, kind, scopes, admin, created_by, expires_at, digest, display_hint)
      select '00000000-0000-4000-8000-00000000000a', ('00000000-0000-4000-8000-' || lpad(to_hex(1 + i % ${owners}), 12, '0'))::uuid, 'bench ' || i,
        'user', 'personal', case i % 3 when 0 then '{orders:read}'::text[] when 1 then '{orders:read,orders:write}'::text[] else '{}'::text[] end,
        false, '00000000-0000-4000-8000-000000000001', now() + interval '30 days', decode(md5(i::text) || md5((-i)::text), 'hex'), 'tsr_pat_…' || i % 10000
      from generate_series(${first}::int4, ${last}::int4) as i`.execute(db);
  }
  await sql`analyze token`.execute(db);
}
