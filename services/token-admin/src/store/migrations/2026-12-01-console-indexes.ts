import { sql, type Kysely } from "kysely";

// Frozen in time: never import application types here.
//
// Indexes for every list the console and the CLI page through, so each page
// costs the same at a million rows as at ten thousand (issue 17). Every list is
// newest first — tokens, principals and groups by (created_at, id), audit events
// by (at, id) — and each index below yields one role's or one filter's rows in
// exactly that order, so a page reads its rows and stops.
//
// This migration runs outside a transaction (migrate.ts): CREATE INDEX
// CONCURRENTLY cannot run inside one, and builds each index while writes go on.
// Each step is safe to repeat, so a start that dies half-way finishes on the next.

/** Read by migrate.ts: run without the transaction migrations otherwise get. */
export const outsideTransaction = true;

// A group admin sees the tokens and audit events of the principals now in its
// group. Reaching them through principal on every row made those lists scan
// their organisation; instead each row carries its principal's current group,
// kept by triggers — so also for writers that do not know of the column (an older
// token-admin still running during an upgrade) and when a principal moves.
const groupColumns = [
  sql`alter table token add column if not exists owner_group_id uuid`,
  sql`alter table audit_log add column if not exists principal_group_id uuid`,
];

const groupTriggers = [
  // FOR SHARE: a principal moving groups at the same moment waits for this insert
  // to commit and then moves it too, or this insert waits and reads the new group.
  sql`create or replace function tessera_token_owner_group() returns trigger language plpgsql as $$
    begin
      select group_id into new.owner_group_id from principal where id = new.owner_id for share;
      return new;
    end $$`,
  sql`create or replace function tessera_audit_principal_group() returns trigger language plpgsql as $$
    begin
      new.principal_group_id := null;
      if new.principal_id is not null then
        select group_id into new.principal_group_id from principal where id = new.principal_id for share;
      end if;
      return new;
    end $$`,
  sql`create or replace function tessera_principal_moved() returns trigger language plpgsql as $$
    begin
      update token set owner_group_id = new.group_id where owner_id = new.id;
      update audit_log set principal_group_id = new.group_id where principal_id = new.id;
      return null;
    end $$`,
  // A token's owner and an audit row's principal never change after insert.
  sql`drop trigger if exists token_owner_group on token`,
  sql`create trigger token_owner_group before insert on token for each row execute function tessera_token_owner_group()`,
  sql`drop trigger if exists audit_log_principal_group on audit_log`,
  sql`create trigger audit_log_principal_group before insert on audit_log for each row execute function tessera_audit_principal_group()`,
  sql`drop trigger if exists principal_moved on principal`,
  sql`create trigger principal_moved after update of group_id on principal
    for each row when (old.group_id is distinct from new.group_id) execute function tessera_principal_moved()`,
];

/** Rows per backfill statement: each is its own short transaction, so writers never wait long. */
const backfillTokenOwners = 50;
const backfillAuditRows = 50_000;

/**
 * Rows written before the triggers existed get their principal's group: tokens
 * a few owners at a time (through the owner index), audit rows by id range.
 * Creating the triggers waited for every writer that started without them, so
 * nothing written since is missed.
 */
async function backfillGroups(db: Kysely<any>): Promise<void> {
  const grouped = await sql<{ id: string }>`select id from principal where group_id is not null order by id`.execute(db);
  const owners = grouped.rows.map((r) => r.id);
  for (let i = 0; i < owners.length; i += backfillTokenOwners) {
    await sql`update token set owner_group_id = p.group_id from principal p
      where p.id = any(${owners.slice(i, i + backfillTokenOwners)}::uuid[]) and token.owner_id = p.id
        and token.owner_group_id is distinct from p.group_id`.execute(db);
  }
  const range = await sql<{ last: string | number | null }>`select max(id) as last from audit_log`.execute(db);
  const last = Number(range.rows[0]?.last ?? 0);
  for (let first = 1; first <= last; first += backfillAuditRows) {
    await sql`update audit_log set principal_group_id = p.group_id from principal p
      where audit_log.id between ${first} and ${first + backfillAuditRows - 1} and p.id = audit_log.principal_id
        and audit_log.principal_group_id is distinct from p.group_id`.execute(db);
  }
}

/**
 * Where each role's token lists start: everything (the built-in admin), an
 * organisation, a group (the owner's, now), an owner. token_listing, from the
 * first migration, already serves the organisation.
 */
const tokenScopes = { "": "", organisation: "organisation_id, ", owner_group: "owner_group_id, ", owner: "owner_id, " };

/**
 * Token kinds a filter picks out that are rare (a few per cent): walking a
 * scope's index past the rest would read tens of rows for each one shown, so
 * each has a small index in every scope, holding only its own rows and touched
 * only when a token becomes one.
 */
const rareTokens = {
  revoked: { column: "", where: "revoked_at is not null" },
  disabled: { column: "", where: "revoked_at is null and disabled_at is not null" },
  level: { column: "level, ", where: "level <> 'user'" },
};

function tokenIndexes(): Record<string, string> {
  const indexes: Record<string, string> = {
    token_newest: "token (created_at desc, id desc) where deleted_at is null",
    token_owner_newest: "token (owner_id, created_at desc, id desc) where deleted_at is null",
    token_owner_group_newest: "token (owner_group_id, created_at desc, id desc) where deleted_at is null and owner_group_id is not null",
    token_creator_newest: "token (created_by, created_at desc, id desc) where deleted_at is null",
  };
  for (const [scope, key] of Object.entries(tokenScopes)) {
    for (const [kind, { column, where }] of Object.entries(rareTokens)) {
      indexes[`token_${scope ? `${scope}_` : ""}${kind}_newest`] = `token (${key}${column}created_at desc, id desc) where deleted_at is null and ${where}`;
    }
  }
  return indexes;
}

const auditIndexes: Record<string, string> = {
  audit_log_actor_newest: "audit_log (actor_id, at desc, id desc) where actor_id is not null",
  audit_log_principal_newest: "audit_log (principal_id, at desc, id desc) where principal_id is not null",
  // A member's own events are those it did (by actor) plus those about it done by
  // someone else: this index holds exactly the latter, so the two never overlap.
  audit_log_subject_newest: "audit_log (principal_id, at desc, id desc) where principal_id is not null and principal_id is distinct from actor_id",
  audit_log_token_newest: "audit_log (token_id, at desc, id desc) where token_id is not null",
  audit_log_organisation_newest: "audit_log (organisation_id, at desc, id desc)",
  audit_log_group_newest: "audit_log (principal_group_id, at desc, id desc) where principal_group_id is not null",
  // An action in each scope. The commonest, token.create, is found densely enough
  // by walking the scope's own index; the others are a small share of the rows.
  audit_log_action_newest: "audit_log (action, at desc, id desc) where action <> 'token.create'",
  audit_log_organisation_action_newest: "audit_log (organisation_id, action, at desc, id desc) where action <> 'token.create'",
  audit_log_group_action_newest: "audit_log (principal_group_id, action, at desc, id desc) where principal_group_id is not null and action <> 'token.create'",
  audit_log_actor_action_newest: "audit_log (actor_id, action, at desc, id desc) where actor_id is not null and action <> 'token.create'",
  audit_log_subject_action_newest:
    "audit_log (principal_id, action, at desc, id desc) where principal_id is not null and principal_id is distinct from actor_id and action <> 'token.create'",
};

const identityIndexes: Record<string, string> = {
  principal_listing: "principal (organisation_id, created_at desc, id desc)",
  principal_group_listing: "principal (group_id, created_at desc, id desc) where group_id is not null",
  group_listing: `"group" (organisation_id, created_at desc, id desc)`,
};

/** Superseded by the ordered indexes above. */
const droppedIndexes = ["token_owner", "audit_log_actor", "audit_log_token", "audit_log_organisation"];

/**
 * Builds an index without blocking writes. A concurrent build that failed
 * half-way leaves an invalid index behind, which IF NOT EXISTS would keep for
 * ever: that one is dropped and built again.
 */
async function buildIndex(db: Kysely<any>, name: string, definition: string): Promise<void> {
  const found = await sql<{ valid: boolean }>`select indisvalid as valid from pg_index where indexrelid = to_regclass(${name})`.execute(db);
  if (found.rows[0]?.valid) return;
  if (found.rows[0]) await sql.raw(`drop index concurrently if exists ${name}`).execute(db);
  await sql.raw(`create index concurrently ${name} on ${definition}`).execute(db);
}

/**
 * Name search (ILIKE '%…%') uses a trigram index where pg_trgm exists: on
 * Postgres with its contrib modules and on PGlite when loaded with it (database.ts
 * does). Where it does not, the search walks the newest-first indexes instead.
 */
async function buildNameSearch(db: Kysely<any>): Promise<void> {
  const available = await sql`select 1 from pg_available_extensions where name = 'pg_trgm'`.execute(db);
  if (available.rows.length === 0) return;
  await sql`create extension if not exists pg_trgm`.execute(db);
  await buildIndex(db, "token_name_trgm", "token using gin (name gin_trgm_ops) where deleted_at is null");
}

export async function up(db: Kysely<any>): Promise<void> {
  // Adding a column and a trigger take a brief exclusive lock; wait for it at most
  // this long rather than queue every writer behind a long transaction.
  await sql`set lock_timeout = '10s'`.execute(db);
  try {
    for (const statement of [...groupColumns, ...groupTriggers]) await statement.execute(db);
  } finally {
    await sql`reset lock_timeout`.execute(db);
  }
  await backfillGroups(db);
  for (const [name, definition] of Object.entries({ ...tokenIndexes(), ...auditIndexes, ...identityIndexes })) {
    await buildIndex(db, name, definition);
  }
  await buildNameSearch(db);
  for (const name of droppedIndexes) await sql.raw(`drop index concurrently if exists ${name}`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of [...Object.keys({ ...tokenIndexes(), ...auditIndexes, ...identityIndexes }), "token_name_trgm"]) {
    await sql.raw(`drop index if exists ${name}`).execute(db);
  }
  await sql`drop trigger if exists principal_moved on principal`.execute(db);
  await sql`drop trigger if exists audit_log_principal_group on audit_log`.execute(db);
  await sql`drop trigger if exists token_owner_group on token`.execute(db);
  await sql`drop function if exists tessera_principal_moved, tessera_audit_principal_group, tessera_token_owner_group`.execute(db);
  await sql`alter table audit_log drop column if exists principal_group_id`.execute(db);
  await sql`alter table token drop column if exists owner_group_id`.execute(db);
  await sql`create index if not exists token_owner on token (owner_id)`.execute(db);
  await sql`create index if not exists audit_log_actor on audit_log (actor_id) where actor_id is not null`.execute(db);
  await sql`create index if not exists audit_log_token on audit_log (token_id) where token_id is not null`.execute(db);
  await sql`create index if not exists audit_log_organisation on audit_log (organisation_id, at desc)`.execute(db);
}
