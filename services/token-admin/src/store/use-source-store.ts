import { sql, type Kysely } from "kysely";
import type { Database } from "@tessera/shared/db/schema";

/** One place a token was presented from, as reported (merged across the batches of one round). */
export interface UseSource {
  readonly tokenId: string;
  readonly surface: string;
  readonly address: string;
  readonly route: string;
  readonly previousValue: boolean;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
  readonly count: number;
}

/** A token's use from the value a RegenerateToken replaced. */
export interface PreviousValueUse {
  readonly tokenId: string;
  readonly usedAt: Date;
}

const isoOf = (dates: readonly Date[]) => dates.map((d) => d.toISOString());

/**
 * Adds a round's sources in two statements, however many: an upsert that
 * widens first/last seen and adds the counts, then a trim that keeps each
 * touched token's `perToken` most recently seen. Rows come sorted by key, so
 * two admins writing at once lock in the same order. Unknown tokens are skipped.
 */
export async function recordUseSources(db: Kysely<Database>, sources: readonly UseSource[], perToken: number): Promise<void> {
  if (sources.length === 0) return;
  const rows = [...sources].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
  await sql`
    insert into token_use_source (token_id, surface, address, route, previous_value, first_seen_at, last_seen_at, use_count)
    select u.token_id, u.surface, u.address, u.route, u.previous_value, u.first_seen_at, u.last_seen_at, u.use_count
    from unnest(${rows.map((r) => r.tokenId)}::uuid[], ${rows.map((r) => r.surface)}::text[], ${rows.map((r) => r.address)}::text[],
                ${rows.map((r) => r.route)}::text[], ${rows.map((r) => r.previousValue)}::boolean[], ${isoOf(rows.map((r) => r.firstSeenAt))}::timestamptz[],
                ${isoOf(rows.map((r) => r.lastSeenAt))}::timestamptz[], ${rows.map((r) => String(r.count))}::int8[])
      as u(token_id, surface, address, route, previous_value, first_seen_at, last_seen_at, use_count)
    where exists (select 1 from token where token.id = u.token_id)
    on conflict (token_id, surface, address, route, previous_value) do update set
      first_seen_at = least(token_use_source.first_seen_at, excluded.first_seen_at),
      last_seen_at = greatest(token_use_source.last_seen_at, excluded.last_seen_at),
      use_count = token_use_source.use_count + excluded.use_count`.execute(db);
  const tokenIds = [...new Set(rows.map((r) => r.tokenId))];
  await sql`
    delete from token_use_source where id in (
      select id from (
        select id, row_number() over (partition by token_id order by last_seen_at desc, id desc) as rank
        from token_use_source where token_id = any(${tokenIds}::uuid[])
      ) as ranked where rank > ${perToken})`.execute(db);
}

const keyOf = (s: UseSource) => `${s.tokenId}\u0000${s.surface}\u0000${s.address}\u0000${s.route}\u0000${s.previousValue ? 1 : 0}`;

/** Moves each token's "previous value last used" forward (never back), in one statement. */
export async function recordPreviousValueUses(db: Kysely<Database>, uses: readonly PreviousValueUse[]): Promise<void> {
  if (uses.length === 0) return;
  await sql`
    update token set previous_value_last_used_at = u.used_at
    from (select unnest(${uses.map((u) => u.tokenId)}::uuid[]) as id, unnest(${isoOf(uses.map((u) => u.usedAt))}::timestamptz[]) as used_at) as u
    where token.id = u.id and (token.previous_value_last_used_at is null or token.previous_value_last_used_at < u.used_at)`.execute(db);
}

/** A token's sources, most recently seen first (at most `limit`). */
export async function findUseSources(db: Kysely<Database>, tokenId: string, limit: number): Promise<UseSource[]> {
  const rows = await db
    .selectFrom("token_use_source")
    .select(["token_id", "surface", "address", "route", "previous_value", "first_seen_at", "last_seen_at", "use_count"])
    .where("token_id", "=", tokenId)
    .orderBy("last_seen_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    tokenId: row.token_id, surface: row.surface, address: row.address, route: row.route, previousValue: row.previous_value,
    firstSeenAt: row.first_seen_at, lastSeenAt: row.last_seen_at, count: Number(row.use_count),
  }));
}
