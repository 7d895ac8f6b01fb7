import { findTokensById } from "../../store/leak-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { commitChange } from "../commit-change.js";

/** One presentation of a honeytoken, as a validator (or the admin API itself) reported it. */
export interface HoneytokenUseReport {
  readonly tokenId: string;
  /** "grpc", "ext_authz", "forward_auth", "introspect" or "admin_api". */
  readonly surface: string;
  readonly sourceAddress: string;
  readonly route: string;
  readonly usedAt: Date;
  /** The validator that saw it; "" for the admin API. */
  readonly validatorId: string;
}

/**
 * Records honeytoken presentations in one transaction: per presentation an
 * audit row `token.honeytoken_used` with surface, source address, route and
 * time. Deliberately not in the change log: every answer carries the feed seq
 * a validator decided at, so a change_log row per presentation would move the
 * seq right after the presenter's call — a tell an unknown value never gives.
 * Reports naming no honeytoken are dropped: reports are sealed, so only a
 * validator could have sent one, but a token may have been deleted or its
 * id mistyped in a test. Returns how many were recorded.
 */
export async function recordHoneytokenUses(deps: Pick<AdminDeps, "db" | "feed" | "now" | "log">, uses: readonly HoneytokenUseReport[]): Promise<number> {
  if (uses.length === 0) return 0;
  const { result } = await commitChange(deps, async (trx, change) => {
    const tokens = new Map((await findTokensById(trx, [...new Set(uses.map((use) => use.tokenId))])).map((row) => [row.id, row]));
    let recorded = 0;
    for (const use of uses) {
      const token = tokens.get(use.tokenId);
      if (!token?.honeytoken) continue;
      const details = { surface: use.surface, source_address: use.sourceAddress, route: use.route, validator_id: use.validatorId, used_at: use.usedAt.toISOString() };
      change.audit({
        action: "token.honeytoken_used", actorId: null, actorTokenId: null, organisationId: token.organisation_id,
        tokenId: token.id, principalId: token.owner_id, source: use.sourceAddress, details,
      });
      recorded++;
    }
    return recorded;
  });
  return result;
}
