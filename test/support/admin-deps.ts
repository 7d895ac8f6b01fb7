import type { Kysely } from "kysely";
import { createMemoryBus, type Bus } from "@tessera/shared/bus/open-bus";
import type { Database } from "@tessera/shared/db/schema";
import { createLogger } from "@tessera/shared/log/logger";
import { createDigester } from "@tessera/shared/token/token-digest";
import { defaultTokenFormat } from "@tessera/shared/token/token-format";
import type { AdminDeps } from "@tessera/token-admin/domain/admin-deps";
import type { Caller } from "@tessera/token-admin/domain/access/caller";
import { bootstrap } from "@tessera/token-admin/domain/bootstrap";
import { watchValidatorAcks } from "@tessera/token-admin/bus/validator-acks";
import { createMemoryAttemptLimiter } from "@tessera/token-admin/bus/attempt-limiter";
import { createArgon2Passwords } from "@tessera/token-admin/crypto/argon2-passwords";

export const testPepper = "tP4x-Qm9vR2kLw7ZcY8nJ3hG6fBd1sXe-test-0u5a";

/** Admin dependencies over a test database, with an in-process bus unless one is given. */
export async function testAdminDeps(db: Kysely<Database>, bus: Bus = createMemoryBus()): Promise<AdminDeps> {
  return {
    db, feed: bus.feed, digest: createDigester(testPepper), tokenFormat: defaultTokenFormat, now: () => new Date(), log: createLogger("silent", "test"), acks: await watchValidatorAcks(bus.roster), roster: bus.roster,
    passwords: createArgon2Passwords(), signInLimiter: createMemoryAttemptLimiter({ perSource: 50, freePerPrincipal: 5, delayMs: 1000, maxDelayMs: 60_000, windowMs: 60_000 }), sessionTtlMs: 3600_000,
  };
}

/** Bootstraps the store and returns the built-in admin as a caller. */
export async function bootstrapAdmin(deps: AdminDeps): Promise<{ caller: Caller; adminToken: string }> {
  const done = await bootstrap(deps);
  if (!done) throw new Error("store was not empty");
  const token = await deps.db.selectFrom("token").select("id").where("owner_id", "=", done.adminId).executeTakeFirstOrThrow();
  return {
    adminToken: done.adminToken,
    caller: { principalId: done.adminId, organisationId: done.organisationId, groupId: undefined, role: "admin", permissions: ["*"], tokenId: token.id, source: "test" },
  };
}

/** Row counts of the tables every lifecycle write touches, and the feed head. */
export async function storeCounts(db: Kysely<Database>) {
  const count = async (table: "token" | "audit_log" | "change_log" | "principal" | "organisation") => {
    const { n } = await db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
    return Number(n);
  };
  const { seq } = await db.selectFrom("change_counter").select("seq").executeTakeFirstOrThrow();
  return {
    tokens: await count("token"),
    audits: await count("audit_log"),
    changes: await count("change_log"),
    principals: await count("principal"),
    organisations: await count("organisation"),
    head: Number(seq),
  };
}
