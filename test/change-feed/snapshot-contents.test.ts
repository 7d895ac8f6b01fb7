import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSnapshotAuth } from "@tessera/shared/snapshot/snapshot-auth";
import { decide } from "@tessera/token-validator/domain/decide";
import { Replica } from "@tessera/token-validator/domain/replica";
import { readCachedSnapshot } from "@tessera/token-validator/store/cached-snapshot-client";
import { testPepper } from "../support/admin-deps.js";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { replicaView, snapshotReplica } from "../support/replica-equality.js";

// A snapshot must hold what the live feed built, including the rare shapes it
// packs apart: exchanged tokens (linked to their parents), regenerated tokens
// (still found by the old value during a grace period), disabled and revoked ones.
describe("a snapshot of every kind of token", () => {
  let d: Deployment;
  beforeAll(async () => {
    d = await startDeployment();
  });
  afterAll(() => d?.close());

  it("equals the replica the feed built, and links exchanged tokens to their parents", async () => {
    const parent = await d.adminApi.createToken({ name: "parent", scopes: ["orders:read"] });
    const exchanged = await d.as(parent.tokenValue).exchangeToken({ ttl: { seconds: 300n, nanos: 0 } });
    const rolled = await d.adminApi.createToken({ name: "rolled", scopes: [] });
    await d.adminApi.regenerateToken({ tokenId: rolled.token!.id, gracePeriod: { seconds: 3600n, nanos: 0 } });
    const disabled = await d.adminApi.createToken({ name: "disabled", scopes: [] });
    await d.adminApi.disableToken({ tokenId: disabled.token!.id });
    const { seq } = await d.adminApi.revokeToken({ tokenId: (await d.adminApi.createToken({ name: "revoked", scopes: [] })).token!.id });
    const live = d.validator.follower.replica;
    await eventually(async () => live.appliedSeq >= seq, 2000);

    const snapshot = await snapshotReplica(d.database.handle.db);
    expect(replicaView(snapshot)).toEqual(replicaView(live));

    // The link is to the snapshot's own parent entry: revoking the parent there refuses the child.
    const child = snapshot.findToken(exchanged.token!.id)!;
    expect(child.parent?.slot).toBe(snapshot.findToken(parent.token!.id)!.slot);
    const ctx = { ...d.validator.decisions, replica: snapshot };
    expect(decide(ctx, exchanged.tokenValue, "orders:read", Date.now()).code).toBe("valid");
    expect(decide(ctx, rolled.tokenValue, "", Date.now()).code).toBe("valid"); // the old value, in its grace period

    // token-admin's cached snapshot (profiles listed once, rows naming them by number, digest prefixes) holds the same.
    const cached = new Replica();
    const options = { url: `http://127.0.0.1:${d.admin.port}`, auth: createSnapshotAuth(testPepper), idleTimeoutMs: 10_000, deadTokenRetentionMs: 24 * 3600 * 1000, now: Date.now };
    cached.appliedSeq = await readCachedSnapshot(options, cached);
    expect(replicaView(cached)).toEqual(replicaView(live));
    const fromCache = { ...d.validator.decisions, replica: cached };
    expect(cached.findToken(exchanged.token!.id)!.parent?.slot).toBe(cached.findToken(parent.token!.id)!.slot);
    expect(decide(fromCache, exchanged.tokenValue, "orders:read", Date.now()).code).toBe("valid");
    expect(decide(fromCache, rolled.tokenValue, "", Date.now()).code).toBe("valid");
    expect(cached.cacheSizes).toEqual(live.cacheSizes);
  });
});
