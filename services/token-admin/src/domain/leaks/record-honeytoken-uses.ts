import { auditInsert, type AuditEntry } from "../../store/audit-store.js";
import { findTokensById } from "../../store/leak-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { commitChange } from "../commit-change.js";
import { queueHoneytokenWebhooks } from "../webhooks/direct-deliveries.js";

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
 * time, and a `token.honeytoken_used` webhook delivery queued directly for each
 * subscribed endpoint. Deliberately not in the change log: every answer carries
 * the feed seq a validator decided at, so a change_log row per presentation
 * would move the seq right after the presenter's call — a tell an unknown value
 * never gives. Reports naming no honeytoken are dropped: reports are sealed, so
 * only a validator could have sent one, but a token may have been deleted or
 * its id mistyped in a test. Returns how many were recorded.
 */
export async function recordHoneytokenUses(deps: Pick<AdminDeps, "db" | "feed" | "now" | "log">, uses: readonly HoneytokenUseReport[]): Promise<number> {
  if (uses.length === 0) return 0;
  const { result } = await commitChange(deps, async (trx) => {
    const tokens = new Map((await findTokensById(trx, [...new Set(uses.map((use) => use.tokenId))])).map((row) => [row.id, row]));
    const entries: AuditEntry[] = [];
    for (const use of uses) {
      const token = tokens.get(use.tokenId);
      if (!token?.honeytoken) continue;
      const details = { surface: use.surface, source_address: use.sourceAddress, route: use.route, validator_id: use.validatorId, used_at: use.usedAt.toISOString() };
      entries.push({
        action: "token.honeytoken_used", actorId: null, actorTokenId: null, organisationId: token.organisation_id,
        tokenId: token.id, principalId: token.owner_id, source: use.sourceAddress, details,
      });
    }
    if (entries.length === 0) return 0;
    // Written here rather than through change.audit: each webhook-id is its audit row's id.
    // Payloads are built from the returned rows themselves, so nothing relies on RETURNING's order.
    const at = deps.now();
    const audited = await auditInsert(trx, entries, at).returning(["id", "token_id", "details"]).execute();
    await queueHoneytokenWebhooks(trx, audited.map((row) => {
      const details = (typeof row.details === "string" ? JSON.parse(row.details) : row.details) as Record<string, string>;
      return {
        auditId: String(row.id),
        token: tokens.get(row.token_id!)!,
        // What the payload tells of a presentation (the validator's id stays in the audit log).
        details: { surface: details.surface!, source_address: details.source_address!, route: details.route!, used_at: details.used_at! },
        at,
      };
    }));
    return entries.length;
  });
  return result;
}
