import { ExpiryUnit } from "@tessera/shared/gen/tessera/v1/admin_pb";
import type { Logger } from "@tessera/shared/log/logger";
import { loadAdminConfig } from "@tessera/token-admin/config";
import { startTokenAdmin, type RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { loadValidatorConfig } from "@tessera/token-validator/config";
import { startTokenValidator, type RunningValidator } from "@tessera/token-validator/start-token-validator";
import { adminClient, eventually, type AdminClient } from "../../support/clients.js";
import { deploymentEnv, startAdmin, startValidator } from "../../support/in-process.js";
import { createPostgresDatabase, type TestDatabase } from "../../support/test-database.js";
import { uniqueRedisPrefix } from "../../support/test-redis.js";
import { httpCall } from "./http-call.js";

/** The route table every load-balancer test runs with (TESSERA_ROUTES). */
export const testRoutes = [
  { method: "GET", prefix: "/orders", scope: "orders:read" },
  { method: "POST", prefix: "/orders", scope: "orders:write" },
  { prefix: "/admin", scope: "orders:admin" },
];

/** A token as the tests use it: its value and what the admin API said of it. */
export interface IssuedToken {
  readonly value: string;
  readonly id: string;
  readonly ownerId: string;
  readonly organisationId: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
}

export interface LoadBalancerDeployment {
  readonly database: TestDatabase;
  /** What the admin and validator were started with (database, Redis prefix, pepper). */
  readonly env: Record<string, string>;
  readonly admin: RunningAdmin;
  readonly adminToken: string;
  readonly validator: RunningValidator;
  readonly client: AdminClient;
  /** Creates a token through the real admin API and waits until the validator holds it. */
  issue(scopes: string[]): Promise<IssuedToken>;
  /** Revokes through the admin API, waiting until the validator has applied it. */
  revoke(token: IssuedToken): Promise<void>;
  close(): Promise<void>;
}

export interface DeploymentOptions {
  /** Added to or overriding the validator's settings. */
  readonly validatorEnv?: Record<string, string>;
  /** Where both services log (default: nowhere); tests that check logs pass a capturing logger. */
  readonly log?: { admin: Logger; validator: Logger };
}

/**
 * token-admin and one token-validator in this process against a fresh
 * Postgres database and a Redis prefix of their own, with the test route table.
 */
export async function startLoadBalancerDeployment(options: DeploymentOptions = {}): Promise<LoadBalancerDeployment> {
  const database = await createPostgresDatabase();
  const env = deploymentEnv(database, uniqueRedisPrefix());
  const validatorEnv = { ...env, TESSERA_ROUTES: JSON.stringify(testRoutes), ...options.validatorEnv };
  const log = options.log;
  const admin = log ? await startTokenAdmin(loadAdminConfig({ ...env, TESSERA_ADMIN_PORT: "0" }), log.admin) : await startAdmin(env);
  const adminToken = admin.bootstrapped!.adminToken;
  const validator = log
    ? await startTokenValidator(loadValidatorConfig({ ...validatorEnv, TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0" }), log.validator)
    : await startValidator(validatorEnv);
  const client = adminClient(admin.port, adminToken);
  const held = (id: string) => validator.follower.replica.findToken(id);
  return {
    database,
    env,
    admin,
    adminToken,
    validator,
    client,
    async issue(scopes) {
      const created = await client.createToken({ name: `lb-${scopes.join("-") || "none"}`, scopes, expiry: { kind: { case: "after", value: { amount: 1, unit: ExpiryUnit.HOURS } } } });
      const token = created.token!;
      await eventually(async () => held(token.id) !== undefined, 2000);
      const ms = (t: { seconds: bigint; nanos: number } | undefined) => (t ? Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6) : 0);
      return { value: created.tokenValue, id: token.id, ownerId: token.ownerId, organisationId: token.organisationId, createdAtMs: ms(token.createTime), expiresAtMs: ms(token.expireTime) };
    },
    async revoke(token) {
      const { seq } = await client.revokeToken({ tokenId: token.id });
      await eventually(async () => validator.follower.replica.appliedSeq >= seq, 2000);
    },
    async close() {
      await validator.close();
      await admin.close();
      await database.drop();
    },
  };
}

/** A forward-auth request straight to the validator, as a proxy would send it. */
export function forwardAuthCall(validatorHttpPort: number, headers: string[], path = "/auth") {
  return httpCall(validatorHttpPort, path, { headers });
}
