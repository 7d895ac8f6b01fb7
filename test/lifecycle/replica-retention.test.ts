import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromBinary } from "@bufbuild/protobuf";
import { ChangeEventSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { Replica } from "@tessera/token-validator/domain/replica";
import { createFeedStore } from "@tessera/token-validator/store/feed-store";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { httpCall } from "../load-balancers/support/http-call.js";

// A short retention and frequent sweeps, so that dead tokens leave within a test's patience.
const retentionMs = 2000;

describe("the replica lets dead tokens go after the retention (issue 18)", () => {
  let d: Deployment;

  beforeAll(async () => {
    d = await startDeployment({ TESSERA_DEAD_TOKEN_RETENTION_MS: String(retentionMs), TESSERA_REPLICA_SWEEP_MS: "200" });
  });
  afterAll(async () => {
    await d?.close();
  });

  const code = async (value: string) => (await d.validation.validate(value)).code;
  const held = (id: string) => d.validator.follower.replica.findToken(id) !== undefined;
  const replicaSize = async (state: "live" | "retained") => {
    const text = (await httpCall(d.validator.httpPort, "/metrics")).body;
    const line = text.split("\n").find((l) => l.startsWith(`tessera_validator_replica_size{entity="tokens",state="${state}"}`));
    return Number(line?.split(" ")[1]);
  };

  it("a revoked token answers REVOKED for the retention (and counts as retained), then NOT_FOUND, and is no longer held", async () => {
    const token = await d.adminApi.createToken({ name: "to revoke", scopes: ["orders:read"] });
    await eventually(async () => (await code(token.tokenValue)) === ValidationCode.VALID, 5000);
    await d.adminApi.revokeToken({ tokenId: token.token!.id, awaitValidators: { seconds: 5n } });
    // A sweep right after the revocation sees it dead for the first time: kept, and counted as retained.
    await d.validator.pruner.sweep();
    expect(await code(token.tokenValue)).toBe(ValidationCode.REVOKED);
    expect(await replicaSize("retained")).toBeGreaterThanOrEqual(1);
    await eventually(async () => !held(token.token!.id), 10_000, 100);
    expect(await code(token.tokenValue)).toBe(ValidationCode.NOT_FOUND);
  });

  it("an exchanged token answers EXPIRED after its expiry, then leaves the replica; a child of a revoked parent leaves too", async () => {
    const parent = await d.adminApi.createToken({ name: "parent", scopes: ["orders:read"] });
    await eventually(async () => (await code(parent.tokenValue)) === ValidationCode.VALID, 5000);
    const shortLived = await d.as(parent.tokenValue).exchangeToken({ ttl: { seconds: 1n } });
    const longLived = await d.as(parent.tokenValue).exchangeToken({ ttl: { seconds: 600n } });
    await eventually(async () => (await code(longLived.tokenValue)) === ValidationCode.VALID, 5000);
    await eventually(async () => (await code(shortLived.tokenValue)) === ValidationCode.EXPIRED, 5000);
    await eventually(async () => !held(shortLived.token!.id), 10_000, 100);
    expect(await code(shortLived.tokenValue)).toBe(ValidationCode.NOT_FOUND);

    await d.adminApi.revokeToken({ tokenId: parent.token!.id, awaitValidators: { seconds: 5n } });
    expect(await code(longLived.tokenValue)).toBe(ValidationCode.REVOKED);
    await eventually(async () => !held(longLived.token!.id) && !held(parent.token!.id), 10_000, 100);
    expect(await code(longLived.tokenValue)).toBe(ValidationCode.NOT_FOUND);
  });

  it("a regenerated token's old value leaves after grace plus retention; the token stays under its new value", async () => {
    const token = await d.adminApi.createToken({ name: "regenerated", scopes: ["orders:read"] });
    const regenerated = await d.adminApi.regenerateToken({ tokenId: token.token!.id });
    await eventually(async () => (await code(regenerated.tokenValue)) === ValidationCode.VALID, 5000);
    expect(await code(token.tokenValue)).toBe(ValidationCode.REVOKED);
    await eventually(async () => (await code(token.tokenValue)) === ValidationCode.NOT_FOUND, 10_000, 100);
    expect(await code(regenerated.tokenValue)).toBe(ValidationCode.VALID);
  });

  it("deleting an org-level token removes its system-made owner from the replica; live tokens are untouched by every sweep", async () => {
    const live = await d.adminApi.createToken({ name: "stays", scopes: ["orders:read"] });
    const level = await d.adminApi.createToken({ name: "org token", level: TokenLevel.ORG, scopes: ["orders:read"] });
    await eventually(async () => (await code(level.tokenValue)) === ValidationCode.VALID, 5000);
    const ownerId = level.token!.ownerId;
    expect(d.validator.follower.replica.principals.has(ownerId)).toBe(true);
    const { seq } = await d.adminApi.deleteTokens({ tokenIds: [level.token!.id], awaitValidators: { seconds: 5n } });
    // The feed says the owner is gone, not merely disabled (validators of any version let it go).
    const row = await d.database.handle.db.selectFrom("change_log").select("event").where("seq", "=", String(seq)).executeTakeFirstOrThrow();
    const records = fromBinary(ChangeEventSchema, row.event).records;
    expect(records.find((r) => r.record.case === "principal")?.record.value).toMatchObject({ id: ownerId, disabled: true, deleted: true });
    expect(d.validator.follower.replica.principals.has(ownerId)).toBe(false);
    expect(await code(level.tokenValue)).toBe(ValidationCode.NOT_FOUND);
    for (let i = 0; i < 5; i++) await d.validator.pruner.sweep();
    expect(await code(live.tokenValue)).toBe(ValidationCode.VALID);
    // A snapshot holds the same: the removed owner stays out.
    const fresh = new Replica();
    await createFeedStore(d.database.handle.db).readSnapshot(fresh);
    expect(fresh.principals.has(ownerId)).toBe(false);
    expect(fresh.findToken(live.token!.id)).toBeDefined();
  });
});
