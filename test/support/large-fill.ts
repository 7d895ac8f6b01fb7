import { sql, type Kysely } from "kysely";
import type { Database } from "@tessera/shared/db/schema";

/** Identities are the same at every size, so a fill of 10 k and one of 1 M differ only in tokens and audit rows. */
export const fillPrincipals = 5_300;
/** Principals after the first 5,300, whom the skewed pick never reaches: recent arrivals with three tokens each. */
const newcomers = 100;
/** The first newcomer, in the first organisation. */
export const fillNewcomer = fillPrincipals + 1;
const groupCount = 40;
const days = 730;
const tokensPerBatch = 100_000;

/** The fill's fixed ids: organisation k (1..3), group g (1..40), principal i (1..5,400). */
export const fillIds = {
  organisation: (k: number) => `a0000000-0000-4000-8000-${k.toString(16).padStart(12, "0")}`,
  group: (g: number) => `b0000000-0000-4000-8000-${g.toString(16).padStart(12, "0")}`,
  principal: (i: number) => `c0000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
};

// The same ids in SQL, from an integer expression.
const uuidSql = (prefix: string, n: string) => sql.raw(`('${prefix}0000000-0000-4000-8000-' || lpad(to_hex(${n}), 12, '0'))::uuid`);
/** A deterministic uniform number in [0, 1) from an integer expression and a salt: the same fill every time. */
const uniformText = (n: string, salt: number) => `((hashint8((${n})::int8 * 31 + ${salt}) & 2147483647)::float8 / 2147483648)`;
const uniform = (n: string, salt: number) => sql.raw(uniformText(n, salt));

/**
 * Fills a migrated Postgres database the way a large installation looks:
 * 3 organisations (the first with ~88 % of the tokens), 40 groups, 5,400
 * principals (a few org and group admins, 2 % system-made owners of group and
 * org tokens, 100 newcomers with three tokens each), `tokens` tokens whose
 * owners are skewed (the heaviest owns ~6 %),
 * created over two years at a growing rate; personal, session and exchanged
 * kinds with their lifetimes, so that about 33 % are active, 50 % expired, 9 %
 * revoked, 3 % disabled and 5 % deleted; and an audit row for every creation,
 * revocation, disabling and deletion, in time order. All in SQL
 * (generate_series), so a million tokens take about a minute. Digests are two
 * md5s, never real token digests.
 */
export async function fillLargeDatabase(db: Kysely<Database>, tokens: number): Promise<void> {
  await sql`insert into organisation (id, name, created_at)
    select ${uuidSql("a", "k")}, (array['acme', 'globex', 'initech'])[k], now() - interval '800 days' + k * interval '1 hour'
    from generate_series(1, 3) as k`.execute(db);
  await sql`insert into "group" (id, organisation_id, name, created_at)
    select ${uuidSql("b", "g")}, ${uuidSql("a", "case when g <= 30 then 1 when g <= 37 then 2 else 3 end")}, 'group ' || g,
      now() - interval '790 days' + g * interval '1 hour'
    from generate_series(1, ${groupCount}) as g`.execute(db);
  // i % 100 sets the organisation (88 / 9 / 3); i % 50 = 3 are system-made owners of
  // group and org tokens; i % 500 in (7, 95, 98) are one org admin in each organisation per 500.
  await sql`insert into principal (id, organisation_id, group_id, name, kind, role, permissions, system_managed, created_at)
    select ${uuidSql("c", "i")}, ${uuidSql("a", "org")}, case when ${uniform("i", 1)} < 0.8 then ${uuidSql("b", `first_group + floor(${uniformText("i", 2)} * groups)::int`)} end,
      'p' || i, case when i % 50 = 3 or ${uniform("i", 3)} >= 0.4 then 'technical' else 'human' end,
      case when i % 500 in (7, 95, 98) then 'org_admin' when i % 97 = 5 and i % 50 <> 3 then 'group_admin' else 'member' end,
      '{orders:read,orders:write,reports:read}', i % 50 = 3, now() - interval '780 days' + i * interval '3 hours'
    from (select i, case when i % 100 < 88 then 1 when i % 100 < 97 then 2 else 3 end as org from generate_series(1, ${fillPrincipals + newcomers}) as i) p
    cross join lateral (select case org when 1 then 1 when 2 then 31 else 38 end as first_group, case org when 1 then 30 when 2 then 7 else 3 end as groups) g`.execute(db);
  // A group admin needs a group.
  await sql`update principal set role = 'member' where role = 'group_admin' and group_id is null`.execute(db);
  for (let first = 1; first <= tokens; first += tokensPerBatch) {
    const last = Math.min(tokens, first + tokensPerBatch - 1);
    await fillTokens(db, first, last, tokens);
  }
  await sql`insert into token (organisation_id, owner_id, group_id, name, level, kind, scopes, admin, created_by, created_at, digest, display_hint)
    select p.organisation_id, p.id, p.group_id, 'laptop ' || substr(md5('newcomer' || k), 1, 6), 'user', 'personal', '{orders:read}', false, p.id,
      now() - k * interval '1 hour', decode(md5('newcomer' || k) || md5('arrival' || k), 'hex'), 'tsr_pat_…' || lpad(k::text, 4, '0')
    from generate_series(0, ${newcomers * 3 - 1}) as k join principal p on p.id = ${uuidSql("c", `${fillPrincipals + 1} + k % ${newcomers}`)}`.execute(db);
  await fillAudit(db);
  await sql`vacuum analyze token`.execute(db);
  await sql`vacuum analyze audit_log`.execute(db);
  await sql`vacuum analyze principal`.execute(db);
}

/** Tokens first..last of `total`, created in that order. */
async function fillTokens(db: Kysely<Database>, first: number, last: number, total: number): Promise<void> {
  // An org admin of the owner's organisation (see the principals above) for tokens made on someone's behalf.
  const orgAdmin = "case when t.owner % 100 < 88 then 7 when t.owner % 100 < 97 then 95 else 98 end + 500 * t.admin_pick";
  await sql`insert into token (organisation_id, owner_id, group_id, name, level, kind, scopes, admin, created_by, created_at, expires_at,
      digest, display_hint, last_used_at, revoked_at, revoked_by, disabled_at, disabled_by, deleted_at, deleted_by)
    select p.organisation_id, p.id, p.group_id, t.name,
      case when t.system_owned then (case when p.group_id is null then 'org' else 'group' end) else 'user' end, t.kind, '{orders:read}', false,
      case when t.self then p.id else ${uuidSql("c", orgAdmin)} end,
      t.created_at, t.expires_at, decode(md5(t.i::text) || md5((-t.i)::text), 'hex'), 'tsr_pat_…' || lpad((t.i % 10000)::text, 4, '0'),
      case when t.used then t.created_at + (least(coalesce(t.expires_at, now()), now()) - t.created_at) * 0.9 end,
      case when t.fate < 0.10 then t.ended_at end, case when t.fate < 0.10 then p.id end,
      case when t.fate >= 0.10 and t.fate < 0.13 then t.ended_at end, case when t.fate >= 0.10 and t.fate < 0.13 then p.id end,
      case when t.gone then t.ended_at + interval '1 second' end, case when t.gone then p.id end
    from (
      select r.*,
        case when system_owned or kind_pick < 0.70 then 'personal' when kind_pick < 0.88 then 'session' else 'exchanged' end as kind,
        case
          when not system_owned and kind_pick >= 0.88 then created_at + interval '1 hour'
          when not system_owned and kind_pick >= 0.70 then created_at + interval '8 hours'
          when life < 0.30 then null
          when life < 0.55 then created_at + interval '365 days'
          when life < 0.80 then created_at + interval '90 days'
          else created_at + interval '30 days'
        end as expires_at,
        created_at + (least(now(), created_at + interval '400 days') - created_at) * end_pick as ended_at
      from (
        select i, system_owned,
          -- Owners skewed: the cube of a uniform pick favours the first principals. A pick that lands
          -- on a system-made owner takes the next principal: those own only group and org tokens.
          case when system_owned then 50 * floor(${uniform("i", 12)} * 106)::int + 3
               when skewed % 50 = 3 then skewed + 1 else skewed end as owner,
          kind_pick, life, self, admin_pick, fate, gone, used, end_pick, name,
          -- Over two years at a growing rate: more tokens lately, as an installation grows.
          now() - interval '${sql.raw(String(days))} days' * (1 - sqrt(i::float8 / ${total})) as created_at
        from (
          select i, ${uniform("i", 11)} < 0.03 as system_owned, 1 + floor(${fillPrincipals} * power(${uniform("i", 12)}, 3))::int as skewed,
            ${uniform("i", 13)} as kind_pick, ${uniform("i", 14)} as life, ${uniform("i", 15)} < 0.6 as self,
            floor(${uniform("i", 16)} * 10)::int as admin_pick, ${uniform("i", 17)} as fate, ${uniform("i", 18)} < 0.05 as gone,
            ${uniform("i", 19)} < 0.5 as used, ${uniform("i", 20)} as end_pick,
            (array['ci deploy', 'terraform', 'backup', 'grafana', 'monitoring', 'release bot', 'laptop', 'build agent', 'reporting',
                   'sync job', 'webhook relay', 'data export'])[1 + floor(${uniform("i", 21)} * 12)::int] || ' ' || substr(md5(i::text), 1, 6) as name
          from generate_series(${first}::int4, ${last}::int4) as i
        ) picks
      ) r
    ) t
    join principal p on p.id = ${uuidSql("c", "t.owner")}
    order by t.i`.execute(db);
}

/** One audit row per creation, revocation, disabling and deletion, inserted in time order in slices of time. */
async function fillAudit(db: Kysely<Database>): Promise<void> {
  const slices = 24;
  for (let s = 0; s < slices; s++) {
    const from = sql.raw(`now() - interval '${days + 1} days' + interval '${days + 2} days' * ${s} / ${slices}`);
    const until = sql.raw(s === slices - 1 ? "'infinity'::timestamptz" : `now() - interval '${days + 1} days' + interval '${days + 2} days' * ${s + 1} / ${slices}`);
    await sql`insert into audit_log (at, action, actor_id, organisation_id, token_id, principal_id, source, details)
      select at, action, actor_id, organisation_id, token_id, principal_id, '10.0.0.7 tessera-cli/1.0', details from (
        select created_at as at, 'token.create' as action, created_by as actor_id, organisation_id, id as token_id, owner_id as principal_id,
          jsonb_build_object('name', name, 'level', level, 'scopes', scopes) as details
        from token where created_at >= ${from} and created_at < ${until}
        union all
        select revoked_at, 'token.revoke', revoked_by, organisation_id, id, owner_id, '{}' from token where revoked_at >= ${from} and revoked_at < ${until}
        union all
        select disabled_at, 'token.disable', disabled_by, organisation_id, id, owner_id, '{}' from token where disabled_at >= ${from} and disabled_at < ${until}
        union all
        select deleted_at, 'token.delete', deleted_by, organisation_id, id, owner_id, jsonb_build_object('name', name) from token where deleted_at >= ${from} and deleted_at < ${until}
      ) e order by at`.execute(db);
  }
}
