import { allScopes } from "@tessera/shared/token/scope";
import type { Transaction } from "kysely";
import type { Database, PrincipalRow, TokenRow } from "@tessera/shared/db/schema";
import { principalChangeRecord, organisationChangeRecord } from "@tessera/shared/feed/change-records";
import { insertOrganisation } from "../store/organisation-store.js";
import { insertPrincipal } from "../store/principal-store.js";
import type { AdminDeps } from "./admin-deps.js";
import { commitChange, type PendingChange } from "./commit-change.js";
import { issueToken, type TokenMint } from "./tokens/issue-token.js";

export interface Bootstrapped {
  readonly organisationId: string;
  readonly adminId: string;
  /** The built-in admin's token value: handed over once (a file or the banner), never stored. */
  readonly adminToken: string;
  readonly adminTokenExpiresAt: Date;
}

/** How long the built-in admin's token lives unless configured (TESSERA_ADMIN_TOKEN_TTL_MS): a day to set up real admins. */
export const defaultAdminTokenTtlMs = 24 * 3600 * 1000;

/** The name of the built-in admin's own token, from bootstrap and from every recovery: how recovery finds the ones to revoke. */
export const builtInAdminTokenName = "built-in admin";

/**
 * On an empty store: creates the default organisation, the built-in admin (all
 * permissions) and an admin token for it that expires after `adminTokenTtlMs`.
 * Undefined when the store already has principals. Safe when several admins
 * start at once: the counter-row lock serialises them and only the first finds
 * the store empty.
 */
export async function bootstrap(deps: AdminDeps, adminTokenTtlMs: number = defaultAdminTokenTtlMs): Promise<Bootstrapped | undefined> {
  const now = deps.now();
  const { result } = await commitChange(deps, async (trx, change) => {
    await trx.selectFrom("change_counter").select("seq").forUpdate().execute();
    const existing = await trx.selectFrom("principal").select("id").limit(1).executeTakeFirst();
    if (existing) return undefined;
    const organisation = await insertOrganisation(trx, { name: "default" });
    const admin = await insertPrincipal(trx, {
      organisation_id: organisation.id,
      group_id: null,
      name: "admin",
      kind: "human",
      role: "admin",
      permissions: [allScopes],
      password_hash: null,
      disabled_at: null,
      created_by: null,
    });
    change.feed(organisationChangeRecord(organisation), principalChangeRecord(admin));
    const { row, value } = await issueBuiltInAdminToken(trx, change, deps, admin, now, adminTokenTtlMs);
    change.audit({
      action: "instance.bootstrap",
      actorId: null,
      actorTokenId: null,
      organisationId: organisation.id,
      tokenId: row.id,
      principalId: admin.id,
      source: "system",
    });
    return { organisationId: organisation.id, adminId: admin.id, adminToken: value, adminTokenExpiresAt: row.expires_at! };
  });
  return result;
}

/** Inside a transaction: the built-in admin's own token (every scope, the admin option), expiring `ttlMs` after `now`. */
export function issueBuiltInAdminToken(
  trx: Transaction<Database>,
  change: PendingChange,
  mint: TokenMint,
  admin: PrincipalRow,
  now: Date,
  ttlMs: number,
): Promise<{ row: TokenRow; value: string }> {
  return issueToken(trx, change, mint, {
    organisationId: admin.organisation_id,
    ownerId: admin.id,
    groupId: null,
    name: builtInAdminTokenName,
    level: "user",
    kind: "personal",
    scopes: [],
    admin: true,
    createdBy: admin.id,
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttlMs),
  });
}
