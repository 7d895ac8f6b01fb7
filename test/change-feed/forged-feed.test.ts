import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMessageSeal } from "@tessera/shared/feed/message-seal";
import { ChangeEventSchema, FeedMessageSchema, TokenState } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { createDigester } from "@tessera/shared/token/token-digest";
import { generateToken } from "@tessera/shared/token/token-format";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { testPepper } from "../support/admin-deps.js";
import { adminClient, eventually, type AdminClient } from "../support/clients.js";
import { clusterEnv, feedHead, spawnValidator, type SpawnedValidator } from "../support/feed-cluster.js";
import { deploymentEnv, startAdmin } from "../support/in-process.js";
import { listeningPort } from "../support/spawn-service.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { connectRedis, uniqueRedisPrefix } from "../support/test-redis.js";

async function rejectedCount(httpPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return Number(/^tessera_validator_feed_rejected_total (\d+)$/m.exec(text)?.[1] ?? Number.NaN);
}

// The feed is a trust root: whoever can PUBLISH on its Redis channel must not be able to mint a token.
describe("a forged change feed", () => {
  let database: TestDatabase;
  let prefix: string;
  let admin: RunningAdmin;
  let api: AdminClient;
  let validator: SpawnedValidator;
  let httpPort: number;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    prefix = uniqueRedisPrefix();
    admin = await startAdmin(deploymentEnv(database, prefix));
    api = adminClient(admin.port, admin.bootstrapped!.adminToken);
    validator = await spawnValidator(clusterEnv(database, prefix));
    httpPort = await listeningPort(validator.service, "token-validator listening", "httpPort");
  });

  afterAll(async () => {
    await validator?.close();
    await admin?.close();
    await database?.drop();
  });

  it("is refused and counted by a running validator, while genuine changes keep applying", async () => {
    const caller = await api.getCaller({});
    const forgedValue = generateToken();
    const head = await feedHead(database.handle.db);
    // A record that would be perfectly valid — the right digest even, as if the forger had it — claiming the next seq.
    const event = create(ChangeEventSchema, {
      seq: head + 1n,
      committedAtMs: BigInt(Date.now()),
      records: [{
        record: {
          case: "token",
          value: {
            id: "00000000-0000-4000-8000-00000000f09e", digest: createDigester(testPepper)(forgedValue), ownerId: caller.principal!.id,
            organisationId: caller.principal!.organisationId, scopes: ["orders:read"], state: TokenState.ACTIVE, admin: true,
            kind: TokenKind.PERSONAL, level: TokenLevel.USER, createdAtMs: BigInt(Date.now()),
          },
        },
      }],
    });
    const message = toBinary(FeedMessageSchema, create(FeedMessageSchema, { message: { case: "change", value: event } }));
    const channel = `${prefix}:changes`;
    // Asked about the forged value all along, from before the forgeries until after the genuine change: never once valid.
    let watching = true;
    let forgedAccepted = 0;
    let forgedAsked = 0;
    const watch = (async () => {
      while (watching) {
        forgedAsked++;
        if ((await validator.client.validate(forgedValue)).code !== ValidationCode.NOT_FOUND) forgedAccepted++;
      }
    })();
    const raw = connectRedis();
    const listener = connectRedis();
    try {
      // A genuine sealed message, captured off the channel, to alter.
      const genuine = new Promise<Buffer>((resolve) => listener.on("messageBuffer", (_channel: Buffer, sealed: Buffer) => resolve(sealed)));
      await listener.subscribe(channel);
      const captured = Buffer.from(await genuine);
      captured[captured.length - 1]! ^= 1;
      const forgeries = [
        Buffer.from(message), // no seal at all
        createMessageSeal("another-pepper-entirely-8f2Kq9vXw3LmZ7rT1bYc", "feed").seal(message), // sealed under a pepper it guessed
        createMessageSeal(testPepper, "usage").seal(message), // a seal made for another purpose, replayed here
        Buffer.concat([createMessageSeal(testPepper, "feed").seal(message).subarray(0, 33), Buffer.from(toBinary(FeedMessageSchema, create(FeedMessageSchema, { message: { case: "change", value: { ...event, seq: head + 2n } } })))]), // a genuine MAC over another payload
        captured, // a genuine message with one bit flipped
      ];
      for (const forged of forgeries) expect(await raw.publish(channel, forged)).toBeGreaterThanOrEqual(1);
    } finally {
      raw.disconnect();
      listener.disconnect();
    }

    // A genuine change published after the forgeries: once it applies, the validator has read them all.
    const genuineToken = await api.createToken({ name: "genuine", scopes: ["orders:read"] });
    await eventually(async () => (await validator.client.validate(genuineToken.tokenValue)).valid, 3000);
    expect(await rejectedCount(httpPort)).toBe(5);
    // The forged event did not take the seq the genuine one came with.
    expect((await validator.client.validate(genuineToken.tokenValue)).seq).toBe(await feedHead(database.handle.db));

    // And a revocation still arrives.
    await api.revokeToken({ tokenId: genuineToken.token!.id });
    await eventually(async () => (await validator.client.validate(genuineToken.tokenValue)).code === ValidationCode.REVOKED, 3000);
    watching = false;
    await watch;
    expect(forgedAsked).toBeGreaterThan(0);
    expect(forgedAccepted).toBe(0);
  });
});
