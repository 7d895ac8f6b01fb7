import { redisEndpointOf } from "@tessera/shared/config/redis-endpoint";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Kysely } from "kysely";
import type { Database } from "@tessera/shared/db/schema";
import { Health, HealthCheckResponse_ServingStatus } from "@tessera/shared/gen/grpc/health/v1/health_pb";
import { validatorClient, type ValidatorClient } from "./clients.js";
import { deploymentEnv } from "./in-process.js";
import { bootstrapToken, listeningPort, spawnService, type SpawnedService } from "./spawn-service.js";
import type { TestDatabase } from "./test-database.js";
import { createMessageSeal } from "@tessera/shared/feed/message-seal";
import { createRedisChangeFeed } from "@tessera/shared/bus/redis-change-feed";
import { openRedisLink } from "@tessera/shared/bus/redis-link";
import { testPepper } from "./admin-deps.js";
import { connectRedis, redisUrl } from "./test-redis.js";

/** What every spawned service of one test deployment shares; logs at info so tests can wait for lines. */
export function clusterEnv(database: TestDatabase, redisPrefix: string): Record<string, string> {
  return { ...deploymentEnv(database, redisPrefix), TESSERA_LOG_LEVEL: "info" };
}

/** A token-admin process and where it listens. */
export interface SpawnedAdmin {
  readonly service: SpawnedService;
  readonly port: number;
  /** The built-in admin's one-time token, when this admin bootstrapped the store. */
  readonly token: string | undefined;
}

/** token-admin as its own process from the build; waits until it listens. */
export async function spawnAdmin(env: Record<string, string>, bootstraps = false): Promise<SpawnedAdmin> {
  const service = spawnService("token-admin", { TESSERA_ADMIN_PORT: "0", TESSERA_SHUTDOWN_DELAY_MS: "0", ...env });
  const port = await listeningPort(service, "token-admin listening");
  const token = bootstraps ? await bootstrapToken(service) : undefined;
  return { service, port, token };
}

/** A token-validator process, where it listens, and a ValidateToken client for it. */
export interface SpawnedValidator {
  readonly service: SpawnedService;
  readonly port: number;
  readonly client: ValidatorClient;
  /** Kills the process (if still running) and closes the client. */
  close(): Promise<void>;
}

/** token-validator as its own process; waits until it listens, and (unless told not to) until its replica is loaded. */
export async function spawnValidator(env: Record<string, string>, waitLoaded = true): Promise<SpawnedValidator> {
  const service = spawnService("token-validator", { TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0", TESSERA_SHUTDOWN_DELAY_MS: "0", ...env });
  const port = await listeningPort(service, "token-validator listening");
  if (waitLoaded) await service.waitForLog((line) => line.msg === "replica loaded");
  const client = validatorClient(port);
  return {
    service,
    port,
    client,
    async close() {
      client.close();
      await service.kill();
    },
  };
}

/** What grpc.health.v1 says of the whole server at `port`. */
export async function servingStatus(port: number): Promise<HealthCheckResponse_ServingStatus> {
  const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  return (await health.check({})).status;
}

/** grpc.health.v1's serving status, under a shorter name. */
export { HealthCheckResponse_ServingStatus as ServingStatus };

/** The ids of one deployment's change-feed connections on the shared Redis (named `<prefix>-changes`), subscribed ones only if asked. */
async function changeConnections(redisPrefix: string, subscribedOnly: boolean): Promise<string[]> {
  const redis = connectRedis();
  try {
    const list = (await redis.client("LIST")) as string;
    return list
      .split("\n")
      .filter((line) => line.includes(` name=${redisPrefix}-changes `) && (!subscribedOnly || / sub=[1-9]/.test(line)))
      .map((line) => /^id=(\d+) /.exec(line)?.[1])
      .filter((id): id is string => id !== undefined);
  } finally {
    redis.disconnect();
  }
}

/** How many of one deployment's validators are subscribed to its change feed right now. */
export async function subscriptionCount(redisPrefix: string): Promise<number> {
  return (await changeConnections(redisPrefix, true)).length;
}

/** Kills the change-feed connections of one deployment's validators, and no other connection. Returns how many. */
export async function killChangeSubscriptions(redisPrefix: string): Promise<number> {
  const ids = await changeConnections(redisPrefix, false);
  const redis = connectRedis();
  try {
    for (const id of ids) await redis.client("KILL", "ID", id);
    return ids.length;
  } finally {
    redis.disconnect();
  }
}

/** The feed head: the newest committed seq. */
export async function feedHead(db: Kysely<Database>): Promise<bigint> {
  return BigInt((await db.selectFrom("change_counter").select("seq").executeTakeFirstOrThrow()).seq);
}

/** Publishes on one deployment's change feed as token-admin does (sealed under the test pepper), for tests that deliver events themselves. */
export function feedPublisher(redisPrefix: string) {
  const link = openRedisLink({ endpoint: redisEndpointOf(redisUrl), prefix: redisPrefix });
  const feed = createRedisChangeFeed(link, createMessageSeal(testPepper, "feed"));
  return { publishChange: (event: Uint8Array) => feed.publishChange(event), publishHeartbeat: feed.publishHeartbeat, close: () => link.close() };
}
