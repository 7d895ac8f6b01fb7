import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Kysely } from "kysely";
import type { Database } from "@tessera/shared/db/schema";
import { Replica, type TokenEntry } from "@tessera/token-validator/domain/replica";
import { createFeedStore } from "@tessera/token-validator/store/feed-store";

/** A replica as plain, ordered data: two replicas hold the same exactly when their views are equal. */
export interface ReplicaView {
  readonly appliedSeq: string;
  readonly tokens: Record<string, unknown>[];
  /** Every digest a value can match, hex, with the id of the token it finds. */
  readonly digests: [string, string][];
  readonly principals: [string, { organisationId: string; permissions: string[] | "all"; disabled: boolean }][];
  readonly organisations: [string, { apiTokensEnabled: boolean }][];
}

const byKey = <T>(entries: Iterable<[string, T]>): [string, T][] => [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

// Every field of a token entry, whatever fields it grows; the cached Timestamp as milliseconds.
function tokenView(entry: TokenEntry): Record<string, unknown> {
  const { expireTime, ...fields } = entry;
  return {
    ...fields,
    scopes: [...entry.scopes],
    digestKey: Buffer.from(entry.digestKey, "latin1").toString("hex"),
    previousDigestKey: Buffer.from(entry.previousDigestKey, "latin1").toString("hex"),
    expireTime: expireTime ? timestampMs(expireTime) : undefined,
  };
}

/** What `replica` holds, as comparable data. */
export function replicaView(replica: Replica): ReplicaView {
  return {
    appliedSeq: String(replica.appliedSeq),
    tokens: byKey([...replica.byId].map(([id, entry]): [string, Record<string, unknown>] => [id, tokenView(entry)])).map(([, view]) => view),
    digests: byKey([...replica.byDigest].map(([key, entry]): [string, string] => [Buffer.from(key, "latin1").toString("hex"), entry.id])),
    principals: byKey(
      [...replica.principals].map(([id, p]): ReplicaView["principals"][number] => [
        id,
        { organisationId: p.organisationId, permissions: p.permissions ? [...p.permissions].sort() : "all", disabled: p.disabled },
      ]),
    ),
    organisations: byKey([...replica.organisations].map(([id, o]): ReplicaView["organisations"][number] => [id, { apiTokensEnabled: o.apiTokensEnabled }])),
  };
}

/** A replica built the way a validator starts: one REPEATABLE READ snapshot of the database as it is now. */
export async function snapshotReplica(db: Kysely<Database>): Promise<Replica> {
  const replica = new Replica();
  replica.appliedSeq = await createFeedStore(db).readSnapshot((records) => {
    for (const record of records) replica.applyRecord(record);
  });
  return replica;
}
