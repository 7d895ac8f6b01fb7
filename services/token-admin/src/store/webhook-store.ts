import { sql, type Kysely, type Transaction, type Updateable } from "kysely";
import { toBigInt } from "@tessera/shared/db/database";
import type { Database, WebhookDeliveryRow, WebhookDeliveryStateName, WebhookEndpointRow, WebhookEndpointTable } from "@tessera/shared/db/schema";

// Leases and retry times are reckoned on the database's clock (clock_timestamp()),
// the one clock every token-admin replica shares.

const afterMs = (ms: number) => sql<Date>`clock_timestamp() + ${ms} * interval '1 millisecond'`;

export type NewEndpoint = Pick<WebhookEndpointTable, "organisation_id" | "url" | "events" | "secret" | "created_by"> & { description: string };

/** A new endpoint hears of changes committed from now on: its cursor starts at the feed head. */
export function insertEndpoint(trx: Transaction<Database>, values: NewEndpoint): Promise<WebhookEndpointRow> {
  return trx
    .insertInto("webhook_endpoint")
    .values({ ...values, cursor_seq: sql<string>`(select seq from change_counter where id = 1)` })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findEndpoint(db: Kysely<Database>, id: string): Promise<WebhookEndpointRow | undefined> {
  return db.selectFrom("webhook_endpoint").selectAll().where("id", "=", id).executeTakeFirst();
}

export function lockEndpoint(trx: Transaction<Database>, id: string): Promise<WebhookEndpointRow | undefined> {
  return trx.selectFrom("webhook_endpoint").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

/** `cursorToHead`: the cursor jumps to the feed head (re-enabling skips what happened while disabled). */
export function updateEndpoint(trx: Transaction<Database>, id: string, set: Updateable<WebhookEndpointTable>, cursorToHead = false): Promise<WebhookEndpointRow> {
  return trx
    .updateTable("webhook_endpoint")
    .set({ ...set, updated_at: sql<Date>`now()` })
    .$if(cursorToHead, (query) => query.set({ cursor_seq: sql<string>`(select seq from change_counter where id = 1)` }))
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteEndpoint(trx: Transaction<Database>, id: string): Promise<void> {
  await trx.deleteFrom("webhook_endpoint").where("id", "=", id).execute();
}

/** Endpoints of one organisation, of the instance (null), or all (undefined), newest first. */
export function listEndpoints(db: Kysely<Database>, organisationId: string | null | undefined): Promise<WebhookEndpointRow[]> {
  let query = db.selectFrom("webhook_endpoint").selectAll();
  if (organisationId === null) query = query.where("organisation_id", "is", null);
  else if (organisationId !== undefined) query = query.where("organisation_id", "=", organisationId);
  return query.orderBy("created_at", "desc").orderBy("id", "desc").limit(1000).execute();
}

/** Pending and dead deliveries per endpoint. */
export async function countDeliveries(db: Kysely<Database>, endpointIds: readonly string[]): Promise<Map<string, { pending: number; dead: number }>> {
  const counts = new Map<string, { pending: number; dead: number }>();
  if (endpointIds.length === 0) return counts;
  const rows = await db
    .selectFrom("webhook_delivery")
    .select(["endpoint_id", "state", (eb) => eb.fn.countAll().as("n")])
    .where("endpoint_id", "in", endpointIds)
    .where("state", "in", ["pending", "dead"])
    .groupBy(["endpoint_id", "state"])
    .execute();
  for (const row of rows) {
    const entry = counts.get(row.endpoint_id) ?? { pending: 0, dead: 0 };
    entry[row.state as "pending" | "dead"] = Number(row.n);
    counts.set(row.endpoint_id, entry);
  }
  return counts;
}

/**
 * Takes the lease of one endpoint with work to do (changes past its cursor, or
 * a queue head due for an attempt) that no one holds, or whose lease ran out.
 * SKIP LOCKED: replicas claiming at once each get a different endpoint.
 */
export async function claimEndpoint(db: Kysely<Database>, owner: string, leaseMs: number): Promise<WebhookEndpointRow | undefined> {
  const { rows } = await sql<WebhookEndpointRow>`
    update webhook_endpoint set lease_owner = ${owner}, lease_until = ${afterMs(leaseMs)}
    where id = (
      select e.id from webhook_endpoint e
      where e.enabled
        and (e.lease_until is null or e.lease_until < clock_timestamp())
        and (e.cursor_seq < (select seq from change_counter where id = 1)
          or (select d.next_attempt_at from webhook_delivery d where d.endpoint_id = e.id and d.state = 'pending'
              order by d.seq, d.position limit 1) <= clock_timestamp())
      order by e.lease_until nulls first
      limit 1
      for update skip locked)
    returning *`.execute(db);
  return rows[0];
}

/** Extends a lease this owner still holds; false when it was lost (expired and taken). */
export async function renewLease(db: Kysely<Database>, id: string, owner: string, leaseMs: number): Promise<boolean> {
  const result = await db.updateTable("webhook_endpoint").set({ lease_until: afterMs(leaseMs) }).where("id", "=", id).where("lease_owner", "=", owner).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function releaseLease(db: Kysely<Database>, id: string, owner: string): Promise<void> {
  await db.updateTable("webhook_endpoint").set({ lease_owner: null, lease_until: null }).where("id", "=", id).where("lease_owner", "=", owner).execute();
}

/** Locks the endpoint for a fan-out, only while this owner holds its lease. */
export function lockLeasedEndpoint(trx: Transaction<Database>, id: string, owner: string): Promise<WebhookEndpointRow | undefined> {
  return trx.selectFrom("webhook_endpoint").selectAll().where("id", "=", id).where("lease_owner", "=", owner).where("enabled", "=", true).forUpdate().executeTakeFirst();
}

/** change_log rows after `afterSeq`, oldest first. */
export async function readChangesAfter(trx: Transaction<Database>, afterSeq: bigint, limit: number): Promise<{ seq: bigint; event: Uint8Array }[]> {
  const rows = await trx.selectFrom("change_log").select(["seq", "event"]).where("seq", ">", afterSeq.toString()).orderBy("seq").limit(limit).execute();
  return rows.map((row) => ({ seq: toBigInt(row.seq), event: row.event }));
}

export interface NewDelivery {
  seq: bigint;
  position: number;
  eventType: string;
  payload: string;
}

/** Queues deliveries and moves the cursor, in the fan-out's transaction: both or neither. */
export async function enqueueDeliveries(trx: Transaction<Database>, endpointId: string, deliveries: readonly NewDelivery[], cursor: bigint): Promise<void> {
  if (deliveries.length > 0) {
    await trx
      .insertInto("webhook_delivery")
      .values(deliveries.map((d) => ({ endpoint_id: endpointId, seq: d.seq.toString(), position: d.position, event_type: d.eventType, payload: d.payload })))
      .onConflict((oc) => oc.columns(["endpoint_id", "seq", "position"]).doNothing())
      .execute();
  }
  await trx.updateTable("webhook_endpoint").set({ cursor_seq: cursor.toString() }).where("id", "=", endpointId).execute();
}

/** The oldest pending delivery of an endpoint (its queue head), if its next attempt is due. */
export async function findDueHead(db: Kysely<Database>, endpointId: string): Promise<WebhookDeliveryRow | undefined> {
  const { rows } = await sql<WebhookDeliveryRow>`
    select * from (select * from webhook_delivery where endpoint_id = ${endpointId} and state = 'pending' order by seq, position limit 1) head
    where head.next_attempt_at <= clock_timestamp()`.execute(db);
  return rows[0];
}

export async function markDelivered(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable("webhook_delivery")
    .set({ state: "delivered", attempts: sql<number>`attempts + 1`, delivered_at: sql<Date>`clock_timestamp()`, last_error: null })
    .where("id", "=", id).where("state", "=", "pending").execute();
}

/**
 * Records a failed attempt: a retry after `retryInMs`, or — once the delivery
 * has waited `retryForMs` since it was queued — a dead letter, together with
 * every other pending delivery of the endpoint that has waited as long (they
 * waited behind it; each would otherwise spend one more timeout in turn).
 * Returns how many became dead letters.
 */
export async function markFailed(db: Kysely<Database>, delivery: WebhookDeliveryRow, error: string, retryInMs: number, retryForMs: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ state: WebhookDeliveryStateName }>`
      update webhook_delivery set attempts = attempts + 1, last_error = ${error},
        state = case when created_at <= clock_timestamp() - ${retryForMs} * interval '1 millisecond' then 'dead' else 'pending' end,
        next_attempt_at = ${afterMs(retryInMs)}
      where id = ${delivery.id} and state = 'pending' returning state`.execute(trx);
    if (rows[0]?.state !== "dead") return 0;
    const rest = await trx.updateTable("webhook_delivery")
      .set({ state: "dead", last_error: sql<string>`coalesce(last_error, 'waited behind a dead letter for the whole retry window')` })
      .where("endpoint_id", "=", delivery.endpoint_id).where("state", "=", "pending")
      .where(sql<boolean>`created_at <= clock_timestamp() - ${retryForMs} * interval '1 millisecond'`)
      .executeTakeFirst();
    return 1 + Number(rest.numUpdatedRows);
  });
}

/** An endpoint's deliveries, newest first. */
export function listDeliveries(db: Kysely<Database>, endpointId: string, state: WebhookDeliveryStateName | undefined, limit: number): Promise<WebhookDeliveryRow[]> {
  let query = db.selectFrom("webhook_delivery").selectAll().where("endpoint_id", "=", endpointId);
  if (state) query = query.where("state", "=", state);
  return query.orderBy("created_at", "desc").orderBy("seq", "desc").orderBy("position", "desc").limit(limit).execute();
}

/**
 * Dead letters back to pending, queued anew (created now, so they get a whole
 * retry window) and due at once. They keep their feed position, so they go
 * ahead of anything still pending; their webhook-id is unchanged.
 */
export async function replayDeliveries(trx: Transaction<Database>, endpointId: string, ids: readonly string[] | undefined): Promise<number> {
  let query = trx.updateTable("webhook_delivery")
    .set({ state: "pending", attempts: 0, created_at: sql<Date>`clock_timestamp()`, next_attempt_at: sql<Date>`clock_timestamp()` })
    .where("endpoint_id", "=", endpointId).where("state", "=", "dead");
  if (ids) query = query.where("id", "in", ids);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Per endpoint: pending deliveries and the age of the oldest, for the metrics. */
export async function queueStats(db: Kysely<Database>): Promise<{ endpointId: string; depth: number; oldestAgeSeconds: number }[]> {
  const { rows } = await sql<{ endpoint_id: string; depth: string | number; oldest: number | string | null }>`
    select endpoint_id, count(*) as depth, extract(epoch from clock_timestamp() - min(created_at))::float8 as oldest
    from webhook_delivery where state = 'pending' group by endpoint_id`.execute(db);
  return rows.map((row) => ({ endpointId: row.endpoint_id, depth: Number(row.depth), oldestAgeSeconds: Number(row.oldest ?? 0) }));
}

/**
 * Whether any enabled endpoint would receive `eventName` from `organisationId`.
 * An event none wants need not take a feed position: endpoints start at the head,
 * so no endpoint made later could receive it either.
 */
export async function hasSubscriber(trx: Transaction<Database>, organisationId: string, eventName: string): Promise<boolean> {
  const row = await trx.selectFrom("webhook_endpoint").select("id").where("enabled", "=", true)
    .where((eb) => eb.or([eb("organisation_id", "is", null), eb("organisation_id", "=", organisationId)]))
    .where(sql<boolean>`${eventName} = any(events)`).limit(1).executeTakeFirst();
  return row !== undefined;
}

/**
 * How far every enabled endpoint has read change_log: rows at or below it may be
 * pruned (queued deliveries carry their own payload). Undefined with no enabled
 * endpoint; a disabled one starts at the head when enabled again.
 */
export async function webhookCursorFloor(db: Kysely<Database>): Promise<bigint | undefined> {
  const row = await db.selectFrom("webhook_endpoint").select((eb) => eb.fn.min("cursor_seq").as("floor")).where("enabled", "=", true).executeTakeFirst();
  return row?.floor == null ? undefined : BigInt(row.floor);
}

/** Where directly queued deliveries start within a seq: far past any change's announcement positions (0..n). */
export const firstDirectPosition = 1_000_000;

/**
 * Locks, in id order (two writers never wait on each other crosswise), every
 * enabled endpoint that would receive `eventName` from any of `organisationIds`
 * (theirs and the instance's): the
 * lock serialises a direct enqueue with the dispatcher's fan-out of the same endpoint.
 */
export function lockSubscribedEndpoints(trx: Transaction<Database>, organisationIds: readonly string[], eventName: string): Promise<Pick<WebhookEndpointRow, "id" | "organisation_id" | "cursor_seq">[]> {
  return trx.selectFrom("webhook_endpoint").select(["id", "organisation_id", "cursor_seq"]).where("enabled", "=", true)
    .where((eb) => eb.or([eb("organisation_id", "is", null), ...(organisationIds.length > 0 ? [eb("organisation_id", "in", organisationIds)] : [])]))
    .where(sql<boolean>`${eventName} = any(events)`)
    .orderBy("id").forUpdate().execute();
}

export interface DirectDelivery {
  webhookId: string;
  eventType: string;
  payload: string;
}

/**
 * Queues deliveries that never entered change_log on an endpoint locked by
 * lockSubscribedEndpoints: right after what it has read (seq = its cursor,
 * positions from firstDirectPosition on, so a fan-out of that seq — already
 * done — never collides). The cursor does not move.
 */
export async function enqueueDirectDeliveries(trx: Transaction<Database>, endpoint: Pick<WebhookEndpointRow, "id" | "cursor_seq">, deliveries: readonly DirectDelivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  const last = await trx.selectFrom("webhook_delivery").select((eb) => eb.fn.max("position").as("position"))
    .where("endpoint_id", "=", endpoint.id).where("seq", "=", endpoint.cursor_seq).where("position", ">=", firstDirectPosition)
    .executeTakeFirst();
  const next = last?.position == null ? firstDirectPosition : Number(last.position) + 1;
  await trx.insertInto("webhook_delivery")
    .values(deliveries.map((d, i) => ({ endpoint_id: endpoint.id, seq: endpoint.cursor_seq, position: next + i, event_type: d.eventType, payload: d.payload, webhook_id: d.webhookId })))
    .execute();
}
