import { TesseraError, invalidArgument } from "@tessera/shared/errors/tessera-error";
import { tokenChangeRecord } from "@tessera/shared/feed/change-records";
import { findOrganisation } from "../../store/organisation-store.js";
import { lockToken, revokeLiveTokens, updateToken } from "../../store/token-store.js";
import type { AdminDeps } from "../admin-deps.js";
import type { Caller } from "../access/caller.js";
import { commitChange } from "../commit-change.js";
import { tokenFromRow, type Token } from "./token.js";
import { wholeSeconds } from "./issue-token.js";
import { authorizeOnToken } from "./token-access.js";
import { assertMayGrantScopes } from "../access/grants.js";

export interface RegeneratedToken {
  readonly token: Token;
  /** The new value: shown once. */
  readonly value: string;
}

/**
 * A new value for the same record (id, name, scopes, expiry, owner kept). The
 * old value stops at once, or after `graceSeconds` (up to the organisation's
 * max_regenerate_grace) so that clients can roll over. Tokens exchanged from it
 * are revoked at once, grace or not: a regeneration is how a leaked value is
 * replaced, and what was exchanged from it may have leaked with it.
 */
/** The default quiet period when neither the request nor the deployment names one. */
export const defaultRotationQuietMs = 3_600_000;

/**
 * With a grace period, the rotation finishes itself (see finish-rotations.ts):
 * the previous value is revoked once validators have not seen it for
 * `quietSeconds` (undefined: the deployment's default; 0: never early).
 */
export async function regenerateToken(deps: AdminDeps, caller: Caller, id: string, graceSeconds: number, quietSeconds?: number): Promise<RegeneratedToken> {
  const now = deps.now();
  const { result } = await commitChange(deps, async (trx, change) => {
    const { token } = await authorizeOnToken(trx, caller, "RegenerateToken", id, await lockToken(trx, id));
    if (token.revoked_at) throw new TesseraError("failed_precondition", "a revoked token cannot be regenerated");
    if (token.kind !== "personal") throw new TesseraError("failed_precondition", "only personal tokens are regenerated; exchange or sign in again instead");
    // The new value goes to the caller: someone else's token only if the caller holds all it carries.
    if (token.owner_id !== caller.principalId) assertMayGrantScopes(caller, token.scopes, "scopes");
    const organisation = await findOrganisation(trx, token.organisation_id);
    const maxGrace = organisation?.max_regenerate_grace_seconds ?? 0;
    if (graceSeconds > maxGrace) throw invalidArgument("grace_period", `must be at most ${maxGrace} s (the organisation's max_regenerate_grace)`);
    const quiet = quietSeconds ?? Math.floor((deps.rotationQuietPeriodMs ?? defaultRotationQuietMs) / 1000);
    const value = deps.tokenFormat.generate("personal");
    // The replaced digest is always recorded, expiring at once without a grace
    // period: validators find the token's old entry by it and drop the old value.
    const updated = await updateToken(trx, id, {
      digest: deps.digest(value),
      display_hint: deps.tokenFormat.displayHint(value),
      previous_digest: token.digest,
      previous_digest_expires_at: wholeSeconds(new Date(now.getTime() + graceSeconds * 1000)),
      regenerated_at: now,
      // A fresh rotation: nothing seen of the value just replaced, nothing settled yet.
      previous_value_last_used_at: null,
      rotation_quiet_seconds: graceSeconds > 0 ? quiet : null,
      rotation_settled_at: graceSeconds > 0 ? null : now,
    });
    const children = await revokeLiveTokens(trx, { parentId: id }, caller.principalId, now);
    change.feed(tokenChangeRecord(updated), ...children.map((child) => tokenChangeRecord(child)));
    change.audit({
      action: "token.regenerate", actorId: caller.principalId, actorTokenId: caller.tokenId, organisationId: updated.organisation_id,
      tokenId: id, principalId: updated.owner_id, source: caller.source, details: { grace_seconds: graceSeconds, quiet_seconds: graceSeconds > 0 ? quiet : undefined, exchanged_tokens_revoked: children.length },
    });
    change.announce({ type: "token.regenerated", organisationId: updated.organisation_id, token: updated, actorId: caller.principalId, details: { grace_seconds: String(graceSeconds) } });
    return { row: updated, value };
  });
  return { token: tokenFromRow(result.row, now), value: result.value };
}
