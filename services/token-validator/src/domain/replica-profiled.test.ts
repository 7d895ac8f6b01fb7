import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ChangeRecordSchema, TokenState } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { packedToken } from "@tessera/shared/snapshot/packed-token-layout";
import { profiledToken, ProfiledTokenWriter } from "@tessera/shared/snapshot/profiled-token-layout";
import { Replica } from "./replica.js";

/** A packed row of owner byte `o` and the given scopes (the ids need not be real uuids here), in group byte `g` (0: none). */
function packedRow(d: number, o: number, scopes: string, g = 0): Buffer {
  const fixed = Buffer.alloc(packedToken.variable);
  fixed.fill(d, 0, 32);
  fixed.fill(d, packedToken.id, packedToken.id + 16);
  fixed.fill(o, packedToken.ownerId, packedToken.ownerId + 16);
  fixed.fill(7, packedToken.organisationId, packedToken.organisationId + 16);
  fixed.fill(g, packedToken.groupId, packedToken.groupId + 16);
  fixed.writeUInt16BE(1, packedToken.flags); // active
  const scopeBytes = Buffer.from(scopes, "latin1");
  const length = Buffer.alloc(2);
  length.writeUInt16BE(scopeBytes.length);
  return Buffer.concat([fixed, Buffer.from([0, 0]), length, scopeBytes]);
}

describe("a replica loading profiled rows", () => {
  const rows = Buffer.concat([packedRow(1, 1, "a"), packedRow(2, 2, "a b"), packedRow(3, 1, "a")]);

  it("holds what the same packed rows give, and gives back the profile list's counts", () => {
    const packed = new Replica();
    packed.addPackedTokens(rows);
    const profiled = new Replica();
    const { rows: profiledRows, profiles } = new ProfiledTokenWriter().rewrite(rows);
    const numbers: number[] = [];
    profiled.acquireProfiles(profiles!, numbers);
    expect(profiled.addProfiledTokens(profiledRows, numbers)).toBe(3);
    profiled.releaseProfiles(numbers);
    expect(profiled.cacheSizes).toEqual(packed.cacheSizes);
    const view = (replica: Replica) => [...replica.tokens()].map((t) => [t.id, t.ownerId, [...t.scopes], t.flags]);
    expect(view(profiled)).toEqual(view(packed));
    for (const d of [1, 2, 3]) expect(profiled.findByKey(Buffer.alloc(32, d).toString("latin1"))?.id).toBe(packed.findByKey(Buffer.alloc(32, d).toString("latin1"))?.id);
  });

  it("lets a listed profile no row names go once the list is given back", () => {
    const replica = new Replica();
    const { profiles } = new ProfiledTokenWriter().rewrite(rows);
    const numbers: number[] = [];
    replica.acquireProfiles(profiles!, numbers);
    expect(replica.cacheSizes.profiles).toBe(2);
    replica.releaseProfiles(numbers);
    expect(replica.cacheSizes).toEqual({ holders: 0, scopeSets: 0, profiles: 0 });
  });

  it("files a token the feed brings under the holder and profile of snapshot rows with the same ids and scopes, and text ids apart", () => {
    const replica = new Replica();
    const { rows: profiledRows, profiles } = new ProfiledTokenWriter().rewrite(Buffer.concat([packedRow(1, 1, "a"), packedRow(2, 1, "a", 9)]));
    const numbers: number[] = [];
    replica.acquireProfiles(profiles!, numbers);
    replica.addProfiledTokens(profiledRows, numbers);
    replica.releaseProfiles(numbers);
    expect(replica.cacheSizes).toEqual({ holders: 2, scopeSets: 1, profiles: 2 });
    const uuidOf = (byte: number) => [...replica.tokens()][0]!.ownerId.replace(/01/g, byte.toString(16).padStart(2, "0"));
    const feedToken = (d: number, ownerId: string, organisationId: string, groupId: string) =>
      create(ChangeRecordSchema, { record: { case: "token", value: { id: `00000000-0000-4000-8000-00000000000${d}`, digest: new Uint8Array(32).fill(d), ownerId, organisationId, groupId, scopes: ["a"], state: TokenState.ACTIVE, kind: TokenKind.PERSONAL, level: TokenLevel.USER } } });
    replica.applyRecord(feedToken(3, uuidOf(1), uuidOf(7), ""));
    replica.applyRecord(feedToken(4, uuidOf(1), uuidOf(7), uuidOf(9)));
    // The same two holders and profiles as the snapshot's rows: ids as text and as bytes are one key.
    expect(replica.cacheSizes).toEqual({ holders: 2, scopeSets: 1, profiles: 2 });
    replica.applyRecord(feedToken(5, "p1", "o1", ""));
    expect(replica.cacheSizes).toEqual({ holders: 3, scopeSets: 1, profiles: 3 });
    // A group id of all zeros is a group's text, not "no group" (as bytes it would be).
    replica.applyRecord(feedToken(6, uuidOf(1), uuidOf(7), "00000000-0000-0000-0000-000000000000"));
    expect(replica.cacheSizes).toEqual({ holders: 4, scopeSets: 1, profiles: 4 });
    expect(replica.findByKey(Buffer.alloc(32, 6).toString("latin1"))?.groupId).toBe("00000000-0000-0000-0000-000000000000");
    expect(replica.findByKey(Buffer.alloc(32, 4).toString("latin1"))?.groupId).toBe(uuidOf(9));
    expect(replica.findByKey(Buffer.alloc(32, 5).toString("latin1"))?.ownerId).toBe("p1");
  });

  it("refuses a row naming a profile not listed before it", () => {
    const replica = new Replica();
    const { rows: profiledRows, profiles } = new ProfiledTokenWriter().rewrite(rows);
    const numbers: number[] = [];
    replica.acquireProfiles(profiles!, numbers);
    const forged = Buffer.from(profiledRows);
    forged.writeUInt32BE(2, profiledToken.profile);
    expect(() => replica.addProfiledTokens(forged, numbers)).toThrow(/profile 2, not listed/);
  });
});
