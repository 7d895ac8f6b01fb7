// Packs synthetic tokens in the snapshot layout (@tessera/shared/snapshot/packed-token-layout),
// as Postgres or a cached snapshot would deliver them: for benches that fill a replica without a database.
import { createHash, randomUUID } from "node:crypto";
import { packedToken, toReplicaSeconds, tokenFlags } from "@tessera/shared/snapshot/packed-token-layout";
import { TokenState } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";

const uuidBytes = (id: string) => Buffer.from(id.replaceAll("-", ""), "hex");

/** Token number `n`'s digest: made again from `n` alone, so a bench can look tokens up without keeping their digests. */
export const syntheticDigest = (n: number): Buffer => createHash("sha256").update(`token ${n}`).digest();

/** Tokens `first`.. `first + count - 1`, active, spread over `owners`, cycling through `scopeSets`. */
export function packTokens(first: number, count: number, owners: readonly string[], organisation: string, scopeSets: readonly string[][]): Buffer {
  const scopeTexts = scopeSets.map((scopes) => Buffer.from(scopes.join(" "), "latin1"));
  const ownerBytes = owners.map(uuidBytes);
  const organisationBytes = uuidBytes(organisation);
  const widest = Math.max(...scopeTexts.map((text) => text.length));
  const packed = Buffer.alloc(count * (packedToken.variable + 4 + widest));
  const now = Date.now();
  const flags = tokenFlags(TokenState.ACTIVE, TokenKind.PERSONAL, TokenLevel.USER, false, false);
  let at = 0;
  for (let i = 0; i < count; i++) {
    syntheticDigest(first + i).copy(packed, at);
    uuidBytes(randomUUID()).copy(packed, at + packedToken.id);
    ownerBytes[(first + i) % ownerBytes.length]!.copy(packed, at + packedToken.ownerId);
    organisationBytes.copy(packed, at + packedToken.organisationId);
    // group: left zero (none)
    packed.writeInt32BE(toReplicaSeconds(now + 30 * 86_400_000 + (i % 1000) * 1000), at + packedToken.expiresAt);
    packed.writeInt32BE(toReplicaSeconds(now), at + packedToken.createdAt);
    packed.writeUInt16BE(flags, at + packedToken.flags);
    let next = at + packedToken.variable;
    packed[next++] = 0; // no previous digest
    packed[next++] = 0; // no parent
    const scopes = scopeTexts[(first + i) % scopeTexts.length]!;
    packed.writeUInt16BE(scopes.length, next);
    scopes.copy(packed, next + 2);
    at = next + 2 + scopes.length;
  }
  return packed.subarray(0, at);
}
