import { tokenChangeRecord } from "@tessera/shared/feed/change-records";
import { noticeRecipients, queueEmails } from "../../store/notice-store.js";
import { leakedEmail } from "../notices/notice-messages.js";
import type { TokenRow } from "@tessera/shared/db/schema";
import { toBuffer } from "@tessera/shared/db/database";
import { lockTokensByDigest } from "../../store/leak-store.js";
import { updateToken } from "../../store/token-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { commitChange } from "../commit-change.js";

/** One token someone found, as reported. The value is never stored or logged. */
export interface FoundToken {
  readonly value: string;
  /** Where it was found (a URL), if the reporter says. */
  readonly url?: string | undefined;
  /** What the reporter calls the place (e.g. "content", "commit", "issue"). */
  readonly source?: string | undefined;
  /** The scanner's name for the token type (GitHub's `type`). */
  readonly type?: string | undefined;
}

export interface LeakReport {
  /** The reporter's address, for the audit log. */
  readonly reporterAddress: string;
  /** "github": a signed secret-scanning alert; "public": anyone. */
  readonly via: "public" | "github";
  readonly tokens: readonly FoundToken[];
}

export interface LeakOutcome {
  /** Tokens found, live, and now revoked by this report. For tests and metrics — never told to the reporter. */
  readonly revoked: number;
  /** Tokens found that were already revoked, or honeytokens (reported, not revoked). */
  readonly known: number;
}

/** A report's details in the audit log and the feed event: strings only, never the value. */
function detailsOf(report: LeakReport, found: FoundToken, revoked: boolean, honeytoken: boolean): Record<string, string> {
  return {
    reason: "leaked",
    via: report.via,
    reporter_address: report.reporterAddress,
    url: found.url ?? "",
    source: found.source ?? "",
    type: found.type ?? "",
    revoked: String(revoked),
    ...(honeytoken ? { honeytoken: "true" } : {}),
  };
}

/**
 * Revokes at once every live token a report names, in one transaction: for
 * each, the revocation (as RevokeToken writes it, so validators learn it from
 * the feed), an audit row `token.leaked` with the reporter's address and URL,
 * and `token.leaked` (with `token.revoked`, reason "leaked") announced to
 * webhook endpoints with the change. Values that are malformed, fail their checksum or open no token
 * are skipped without a trace; the caller answers the reporter the same either
 * way. A honeytoken is reported but not revoked: its presentation is the tripwire.
 */
export async function reportLeakedTokens(deps: Pick<AdminDeps, "db" | "feed" | "now" | "log" | "digest" | "tokenFormat" | "emailNotices">, report: LeakReport): Promise<LeakOutcome> {
  // Checked without any lookup first: only well-formed, checksum-valid values are hashed.
  const byDigest = new Map<string, { digest: Buffer; found: FoundToken }>();
  for (const found of report.tokens) {
    if (deps.tokenFormat.parse(found.value) === undefined) continue;
    const digest = deps.digest(found.value);
    byDigest.set(digest.toString("hex"), { digest, found });
  }
  if (byDigest.size === 0) return { revoked: 0, known: 0 };
  const now = deps.now();
  const { result } = await commitChange(deps, async (trx, change) => {
    let revoked = 0;
    let known = 0;
    const rows = await lockTokensByDigest(trx, [...byDigest.values()].map((entry) => entry.digest), now);
    for (const row of rows) {
      // PGlite hands bytea back as a Uint8Array, pg as a Buffer: hex through toBuffer either way.
      const hexOf = (digest: Uint8Array | null) => (digest ? toBuffer(digest).toString("hex") : "");
      const found = (byDigest.get(hexOf(row.digest)) ?? byDigest.get(hexOf(row.previous_digest)))!.found;
      const revoke = row.revoked_at === null && !row.honeytoken;
      let token: TokenRow = row;
      if (revoke) {
        // A system revocation: no principal did it (revoked_by stays empty); the audit row says who reported it.
        token = await updateToken(trx, row.id, { revoked_at: now, revoked_by: null, revocation_reason: "leaked" });
        change.feed(tokenChangeRecord(token));
        change.announce({ type: "token.revoked", organisationId: token.organisation_id, token, details: { reason: "leaked" } });
        revoked++;
      } else known++;
      const details = detailsOf(report, found, revoke, row.honeytoken);
      change.announce({ type: "token.leaked", organisationId: token.organisation_id, token, details });
      // The owner (and, for level and technical users' tokens, the level's admins) hear of it by email too.
      if (deps.emailNotices) await queueEmails(trx, (await noticeRecipients(trx, token)).map((to) => leakedEmail(to, token, revoke, found.url)));
      change.audit({
        action: "token.leaked", actorId: null, actorTokenId: null, organisationId: token.organisation_id,
        tokenId: token.id, principalId: token.owner_id, source: report.reporterAddress, details,
      });
    }
    return { revoked, known };
  });
  return result;
}
