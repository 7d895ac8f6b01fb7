import { create, toBinary } from "@bufbuild/protobuf";
import type { Transaction } from "kysely";
import { isRetryableTransactionError } from "@tessera/shared/db/database-errors";
import type { Database } from "@tessera/shared/db/schema";
import { announcementRecord, type AnnouncementInput } from "@tessera/shared/feed/announcements";
import { ChangeEventSchema, type Announcement, type ChangeRecord } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { appendAudits, auditInsert, type AuditEntry } from "../store/audit-store.js";
import { insertChange, takeNextSeq } from "../store/change-log-store.js";
import type { AdminDeps } from "./admin-deps.js";
import { awaitValidators, type AcknowledgedChange } from "./tokens/await-validators.js";

/** What a use case adds to the transaction besides its own rows. */
export interface PendingChange {
  /** Entities whose new state validators must learn. */
  feed(...records: ChangeRecord[]): void;
  audit(entry: AuditEntry): void;
  /** An event for webhooks and notices, delivered in commit order with this change. */
  announce(event: AnnouncementInput): void;
}

interface CommitOptions {
  /**
   * A writer will wait for validators to confirm this change (await_validators):
   * the event asks them to report at once after applying it.
   */
  readonly acknowledge?: boolean;
}

export interface Committed<T> {
  result: T;
  /** The feed position of the change; undefined if it changed nothing validators hold. */
  seq: bigint | undefined;
}

const maxAttempts = 3;
/**
 * How long a write waits for its publish before returning. Redis answers a
 * PUBLISH only after queueing it to every subscriber, so a caller told "revoked"
 * races validators that already have the news; a Redis slow or gone costs a
 * write no more than this, and the poll brings what the publish did not.
 */
const publishWaitMs = 50;

/**
 * Runs one lifecycle write as one transaction: the use case's rows, its audit
 * rows and one change_log row commit together or not at all. After commit the
 * event is published, and the write waits (briefly) for Redis to take it; that
 * is best effort, because validators also poll change_log, so a lost publish
 * costs at most one poll interval.
 */
export async function commitChange<T>(
  deps: Pick<AdminDeps, "db" | "feed" | "now" | "log">,
  work: (trx: Transaction<Database>, change: PendingChange) => Promise<T>,
  options: CommitOptions = {},
): Promise<Committed<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      const committed = await deps.db.transaction().execute(async (trx) => {
        const records: ChangeRecord[] = [];
        const audits: AuditEntry[] = [];
        const announcements: Announcement[] = [];
        const result = await work(trx, {
          feed: (...r) => records.push(...r),
          audit: (e) => audits.push(e),
          announce: (e) => announcements.push(announcementRecord(e)),
        });
        const now = deps.now();
        // An announcement alone still takes a feed position: change_log is the outbox webhooks follow.
        if (records.length === 0 && announcements.length === 0) {
          await appendAudits(trx, audits, now);
          return { result, seq: undefined, event: undefined };
        }
        // Last, so the counter row's lock is held only for the commit itself; the
        // audit rows go in the same round trip.
        const seq = await takeNextSeq(trx, audits.length > 0 ? auditInsert(trx, audits, now).returning("audit_log.id") : undefined);
        const event = toBinary(ChangeEventSchema, create(ChangeEventSchema, { seq, records, committedAtMs: BigInt(now.getTime()), announcements, acknowledge: options.acknowledge === true }));
        await insertChange(trx, seq, event, now);
        return { result, seq, event };
      });
      if (committed.event) await publishBriefly(deps, committed.event, committed.seq!);
      return { result: committed.result, seq: committed.seq };
    } catch (err) {
      // Concurrent writers on real Postgres can deadlock or fail serialization; try again.
      if (attempt < maxAttempts && isRetryableTransactionError(err)) continue;
      throw err;
    }
  }
}

/** Publishes, waiting at most `publishWaitMs` for Redis; a failure is logged, never thrown (the poll covers it). */
async function publishBriefly(deps: Pick<AdminDeps, "feed" | "log">, event: Uint8Array, seq: bigint): Promise<void> {
  const published = deps.feed.publishChange(event).catch((err: unknown) => deps.log.warn({ err, seq: String(seq) }, "publish failed; validators will poll"));
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, publishWaitMs)));
  await Promise.race([published, waited]);
  clearTimeout(timer);
}

/**
 * commitChange for a write its caller may wait on (`await_validators`): the
 * event asks validators to report at once exactly when the writer will wait,
 * then waits up to `awaitValidatorsMs` for every live validator to apply it.
 */
export async function commitAwaitedChange<T>(
  deps: AdminDeps,
  awaitValidatorsMs: number,
  work: (trx: Transaction<Database>, change: PendingChange) => Promise<T>,
): Promise<Committed<T> & AcknowledgedChange> {
  const committed = await commitChange(deps, work, { acknowledge: awaitValidatorsMs > 0 });
  return { ...committed, acknowledgement: await awaitValidators(deps, committed.seq, awaitValidatorsMs) };
}
