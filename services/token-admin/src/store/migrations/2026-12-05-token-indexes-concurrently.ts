import { sql, type Kysely } from "kysely";

// Frozen in time: never import application types here.
//
// Two partial indexes on token that 2026-12-02-leaks-honeytokens and
// 2026-12-02-incident-usage-rotation first built inside their transactions: a
// plain CREATE INDEX holds off every token write while it reads the whole
// table (some 2 s at a million tokens, measured by the admin-plane bench).
// Built here concurrently, outside a transaction, so writes go on meanwhile.
// Where those migrations already built them, nothing is done.

/** Read by migrate.ts: run without the transaction migrations otherwise get. */
export const outsideTransaction = true;

const indexes: readonly [name: string, definition: string][] = [
  ["token_honeytoken_idx", "token (created_at desc, id desc) where honeytoken and deleted_at is null"],
  ["token_rotation_pending", "token (previous_digest_expires_at) where rotation_settled_at is null and regenerated_at is not null and previous_digest is not null"],
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, definition] of indexes) {
    const invalid = await sql`select 1 from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = ${name} and not i.indisvalid`.execute(db);
    // A build that died half-way leaves an invalid index behind: drop it and build again.
    if (invalid.rows[0]) await sql`drop index concurrently if exists ${sql.id(name)}`.execute(db);
    await sql`create index concurrently if not exists ${sql.id(name)} on ${sql.raw(definition)}`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [name] of indexes) await sql`drop index if exists ${sql.id(name)}`.execute(db);
}
