import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { principalChangeRecord, tokenChangeRecord } from "@tessera/shared/feed/change-records";
import { lockBuiltInAdmin, updatePrincipal } from "../store/principal-store.js";
import { revokeLiveTokens } from "../store/token-store.js";
import type { AdminDeps } from "./admin-deps.js";
import { builtInAdminTokenName, issueBuiltInAdminToken } from "./bootstrap.js";
import { commitChange } from "./commit-change.js";

/** What a recovery needs: the store and the feed, no server. */
export type RecoveryDeps = Pick<AdminDeps, "db" | "feed" | "digest" | "tokenFormat" | "now" | "log">;

export interface RecoveredAdmin {
  /** The new token's value: handed over once, never stored. */
  readonly adminToken: string;
  readonly expiresAt: Date;
  /** How many earlier built-in admin tokens were revoked. */
  readonly revoked: number;
}

/**
 * Mints a new token for the built-in admin when its own is lost or expired,
 * in one transaction: every live earlier built-in admin token (and what was
 * exchanged from it) is revoked, the built-in admin is enabled again if it had
 * been disabled, the audit log records who ran it and from where (`source`),
 * and the change goes to validators like any other. Throws failed_precondition
 * on a store that was never bootstrapped.
 */
export async function recoverAdmin(deps: RecoveryDeps, input: { ttlMs: number; source: string }): Promise<RecoveredAdmin> {
  const now = deps.now();
  const { result } = await commitChange(deps, async (trx, change) => {
    let admin = await lockBuiltInAdmin(trx);
    if (!admin) throw new TesseraError("failed_precondition", "no built-in admin: this store was never bootstrapped (start token-admin once)");
    if (admin.disabled_at) {
      admin = await updatePrincipal(trx, admin.id, { disabled_at: null, updated_at: now });
      change.feed(principalChangeRecord(admin));
    }
    const revoked = await revokeLiveTokens(trx, { ownerId: admin.id, name: builtInAdminTokenName }, admin.id, now);
    const children = [];
    for (const token of revoked) children.push(...(await revokeLiveTokens(trx, { parentId: token.id }, admin.id, now)));
    change.feed(...[...revoked, ...children].map((token) => tokenChangeRecord(token)));
    const { row, value } = await issueBuiltInAdminToken(trx, change, deps, admin, now, input.ttlMs);
    change.audit({
      action: "instance.recover_admin", actorId: null, actorTokenId: null, organisationId: admin.organisation_id, tokenId: row.id, principalId: admin.id,
      source: input.source, details: { revoked_token_ids: revoked.map((token) => token.id), exchanged_tokens_revoked: children.length },
    });
    return { adminToken: value, expiresAt: row.expires_at!, revoked: revoked.length };
  });
  return result;
}
