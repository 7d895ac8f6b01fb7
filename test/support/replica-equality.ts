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
  readonly principals: [string, { organisationId: string; permissions: string[] | "all"; disabled: boolean; tokensNotBefore: number; groupTokensNotBefore: number }][];
  readonly organisations: [string, { apiTokensEnabled: boolean; tokensNotBefore: number }][];
}

const byKey = <T>(entries: Iterable<[string, T]>): [string, T][] => [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

// Every fact of a token, the packed flags spelled out, the parent by id (digests are compared in `digests`).
function tokenView(entry: TokenEntry): Record<string, unknown> {
  return {
    id: entry.id,
    ownerId: entry.ownerId,
    organisationId: entry.organisationId,
    groupId: entry.groupId,
    scopes: [...entry.scopes],
    expiresAt: entry.expiresAt,
    createdAt: entry.createdAt,
    state: entry.state,
    kind: entry.kind,
    level: entry.level,
    admin: entry.admin,
    hasParent: entry.hasParent,
    honeytoken: entry.honeytoken,
    previousExpiresAt: entry.previousExpiresAt,
    parentId: entry.parent?.id,
    flags: entry.flags,
  };
}

/** What `replica` holds, as comparable data. */
export function replicaView(replica: Replica): ReplicaView {
  return {
    appliedSeq: String(replica.appliedSeq),
    tokens: byKey([...replica.tokens()].map((entry): [string, Record<string, unknown>] => [entry.id, tokenView(entry)])).map(([, view]) => view),
    digests: byKey(replica.digests()),
    principals: byKey(
      [...replica.principals].map(([id, p]): ReplicaView["principals"][number] => [
        id,
        { organisationId: p.organisationId, permissions: p.permissions ? [...p.permissions].sort() : "all", disabled: p.disabled, tokensNotBefore: p.tokensNotBefore, groupTokensNotBefore: p.group?.tokensNotBefore ?? 0 },
      ]),
    ),
    organisations: byKey([...replica.organisations].map(([id, o]): ReplicaView["organisations"][number] => [id, { apiTokensEnabled: o.apiTokensEnabled, tokensNotBefore: o.tokensNotBefore }])),
  };
}

/** A replica built the way a validator starts: one REPEATABLE READ snapshot of the database as it is now. */
export async function snapshotReplica(db: Kysely<Database>): Promise<Replica> {
  const replica = new Replica();
  replica.appliedSeq = await createFeedStore(db).readSnapshot(replica);
  return replica;
}
