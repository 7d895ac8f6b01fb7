import { sql, type Kysely, type Transaction } from "kysely";
import type { Database, TokenRow } from "@tessera/shared/db/schema";

// Which tokens are due a notice. Each query reads a range of token_live_expiry
// (or one organisation's tokens) and leaves out tokens already noticed.

const livePersonal = sql`t.kind = 'personal' and t.revoked_at is null and t.deleted_at is null`;

/**
 * Live tokens whose due lead is `leadSeconds` — the shortest lead their time
 * left is within, so never beyond the next shorter lead (`shorterSeconds`) —
 * with no expiring notice at this lead or a shorter one yet. Lead 0 is "on the
 * day": tokens expiring later on today's date in their organisation's zone.
 */
export async function findTokensDueExpiringNotice(db: Kysely<Database>, now: Date, leadSeconds: number, shorterSeconds: number | undefined, limit: number): Promise<TokenRow[]> {
  const onTheDay = sql`(t.expires_at at time zone o.time_zone)::date = (${now}::timestamptz at time zone o.time_zone)::date`;
  const within = (seconds: number) => sql`t.expires_at <= ${now}::timestamptz + ${seconds} * interval '1 second'`;
  const inside = leadSeconds === 0 ? onTheDay : within(leadSeconds);
  const beyondShorter = shorterSeconds === undefined ? sql`true` : shorterSeconds === 0 ? sql`not ${onTheDay}` : sql`not ${within(shorterSeconds)}`;
  const window = sql`${inside} and ${beyondShorter}`;
  const { rows } = await sql<TokenRow>`
    select t.* from token t join organisation o on o.id = t.organisation_id
    where ${livePersonal} and t.expires_at > ${now} and t.expires_at <= ${now}::timestamptz + ${Math.max(leadSeconds, 86_400)} * interval '1 second' and ${window}
      and not exists (select 1 from token_notice n where n.token_id = t.id and n.kind = 'expiring' and n.lead_seconds <= ${leadSeconds})
    order by t.expires_at limit ${limit}`.execute(db);
  return rows;
}

/** Live tokens that expired within `lookbackSeconds` before `now` with no expired notice yet. */
export async function findTokensDueExpiredNotice(db: Kysely<Database>, now: Date, lookbackSeconds: number, limit: number): Promise<TokenRow[]> {
  const { rows } = await sql<TokenRow>`
    select t.* from token t
    where ${livePersonal} and t.expires_at <= ${now} and t.expires_at > ${now}::timestamptz - ${lookbackSeconds} * interval '1 second'
      and not exists (select 1 from token_notice n where n.token_id = t.id and n.kind = 'expired')
    order by t.expires_at limit ${limit}`.execute(db);
  return rows;
}

/** Live, unexpired tokens of organisations with an inactivity policy, unused (nor made or regenerated) for longer than it allows. */
export async function findInactiveTokens(db: Kysely<Database>, now: Date, limit: number): Promise<(TokenRow & { max_inactivity_seconds: number })[]> {
  const { rows } = await sql<TokenRow & { max_inactivity_seconds: number }>`
    select t.*, o.max_inactivity_seconds from organisation o join token t on t.organisation_id = o.id
    where o.max_inactivity_seconds is not null and ${livePersonal}
      and (t.expires_at is null or t.expires_at > ${now})
      and greatest(t.created_at, coalesce(t.last_used_at, t.created_at), coalesce(t.regenerated_at, t.created_at)) < ${now}::timestamptz - o.max_inactivity_seconds * interval '1 second'
    limit ${limit}`.execute(db);
  return rows;
}

/**
 * Claims one notice, inside the transaction that announces it: true for the one
 * caller that inserted the row, false for everyone after (another replica, a
 * restart, a later scan). The primary key makes it once, for ever.
 */
export async function claimNotice(trx: Transaction<Database>, tokenId: string, kind: string, leadSeconds: number): Promise<boolean> {
  const inserted = await trx.insertInto("token_notice").values({ token_id: tokenId, kind, lead_seconds: leadSeconds })
    .onConflict((oc) => oc.columns(["token_id", "kind", "lead_seconds"]).doNothing()).returning("token_id").executeTakeFirst();
  return inserted !== undefined;
}

/**
 * Who hears of a token: its owner, and for org- and group-level tokens and
 * technical users' tokens the level's admins (org admins; group admins of the
 * token's group) — those with an email and not disabled.
 */
export async function noticeRecipients(trx: Transaction<Database>, token: TokenRow): Promise<string[]> {
  const owner = await trx.selectFrom("principal").select(["email", "kind", "disabled_at"]).where("id", "=", token.owner_id).executeTakeFirst();
  const emails = new Set<string>();
  if (owner?.email && !owner.disabled_at) emails.add(owner.email);
  let admins = trx.selectFrom("principal").select("email").where("organisation_id", "=", token.organisation_id).where("email", "is not", null).where("disabled_at", "is", null);
  if (token.level === "group" && token.group_id) admins = admins.where("role", "=", "group_admin").where("group_id", "=", token.group_id);
  else if (token.level === "org" || owner?.kind === "technical") admins = admins.where("role", "=", "org_admin");
  else return [...emails];
  for (const row of await admins.execute()) if (row.email) emails.add(row.email);
  return [...emails];
}

export interface OutgoingEmail {
  readonly recipient: string;
  readonly subject: string;
  readonly body: string;
}

/** Queues emails in the caller's transaction: they exist exactly when the notice does. */
export async function queueEmails(trx: Transaction<Database>, emails: readonly OutgoingEmail[]): Promise<void> {
  if (emails.length === 0) return;
  await trx.insertInto("email_outbox").values(emails.map((e) => ({ recipient: e.recipient, subject: e.subject, body: e.body }))).execute();
}

export interface ClaimedEmail extends OutgoingEmail {
  readonly id: string;
  readonly attempts: number;
}

/** Claims due emails under a lease (SKIP LOCKED: replicas take different ones); a sender that dies leaves them to be claimed again when the lease ends. */
export async function claimEmails(db: Kysely<Database>, leaseMs: number, limit: number): Promise<ClaimedEmail[]> {
  const { rows } = await sql<ClaimedEmail>`
    update email_outbox set lease_until = clock_timestamp() + ${leaseMs} * interval '1 millisecond', attempts = attempts + 1
    where id in (select id from email_outbox where state = 'pending' and next_attempt_at <= clock_timestamp()
      and (lease_until is null or lease_until < clock_timestamp()) order by created_at limit ${limit} for update skip locked)
    returning id, recipient, subject, body, attempts`.execute(db);
  return rows;
}

export async function markEmailSent(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable("email_outbox").set({ state: "sent", sent_at: sql<Date>`clock_timestamp()`, lease_until: null, last_error: null }).where("id", "=", id).execute();
}

/** A failed send: retried after `retryInMs`, or given up once `giveUp`. */
export async function markEmailFailed(db: Kysely<Database>, id: string, error: string, retryInMs: number, giveUp: boolean): Promise<void> {
  await db.updateTable("email_outbox")
    .set({ state: giveUp ? "failed" : "pending", last_error: error.slice(0, 300), lease_until: null, next_attempt_at: sql<Date>`clock_timestamp() + ${retryInMs} * interval '1 millisecond'` })
    .where("id", "=", id).execute();
}
