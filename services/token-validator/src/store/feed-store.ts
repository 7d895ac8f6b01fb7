import type { Kysely } from "kysely";
import { toBigInt, toBuffer } from "@tessera/shared/db/database";
import type { Database } from "@tessera/shared/db/schema";
import {
  organisationChangeRecord,
  principalChangeRecord,
  tokenChangeRecord,
} from "@tessera/shared/feed/change-records";
import type { ChangeRecord } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import type { FeedSource, StoredChange } from "../domain/feed-source.js";

/** Rows per snapshot query: large enough to be quick, small enough to yield to the event loop between them. */
const snapshotChunk = 10_000;
/** Revoked or expired tokens older than this are left out of a snapshot (they then look NOT_FOUND). */
const deadTokenRetentionMs = 24 * 3600 * 1000;

/** The feed read from Postgres (or PGlite): head, ranges of change_log, snapshots. */
export function createFeedStore(db: Kysely<Database>, now: () => Date = () => new Date()): FeedSource {
  const readHead = async (executor: Kysely<Database>) => {
    const { seq } = await executor.selectFrom("change_counter").select("seq").where("id", "=", 1).executeTakeFirstOrThrow();
    return toBigInt(seq);
  };

  return {
    readHead: () => readHead(db),

    async readChanges(afterSeq, limit): Promise<StoredChange[]> {
      const rows = await db
        .selectFrom("change_log")
        .select(["seq", "event"])
        .where("seq", ">", afterSeq.toString())
        .orderBy("seq")
        .limit(limit)
        .execute();
      return rows.map((row) => ({ seq: toBigInt(row.seq), event: toBuffer(row.event) }));
    },

    readSnapshot(onChunk: (records: ChangeRecord[]) => void) {
      // REPEATABLE READ: every query below sees the database as of the first one,
      // so the head and the records describe the same instant.
      return db
        .transaction()
        .setIsolationLevel("repeatable read")
        .setAccessMode("read only")
        .execute(async (trx) => {
          const head = await readHead(trx);
          const organisations = await trx.selectFrom("organisation").selectAll().execute();
          onChunk(organisations.map(organisationChangeRecord));
          let lastId: string | undefined;
          for (;;) {
            let query = trx.selectFrom("principal").selectAll().orderBy("id").limit(snapshotChunk);
            if (lastId) query = query.where("id", ">", lastId);
            const rows = await query.execute();
            onChunk(rows.map(principalChangeRecord));
            if (rows.length < snapshotChunk) break;
            lastId = rows.at(-1)!.id;
          }
          const cutoff = new Date(now().getTime() - deadTokenRetentionMs);
          lastId = undefined;
          for (;;) {
            let query = trx
              .selectFrom("token")
              .selectAll()
              .where("deleted_at", "is", null)
              .where((eb) => eb.or([eb("revoked_at", "is", null), eb("revoked_at", ">", cutoff)]))
              .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", cutoff)]))
              .orderBy("id")
              .limit(snapshotChunk);
            if (lastId) query = query.where("id", ">", lastId);
            const rows = await query.execute();
            onChunk(rows.map((row) => tokenChangeRecord({ ...row, digest: toBuffer(row.digest), previous_digest: row.previous_digest && toBuffer(row.previous_digest) })));
            if (rows.length < snapshotChunk) break;
            lastId = rows.at(-1)!.id;
          }
          return head;
        });
    },
  };
}
