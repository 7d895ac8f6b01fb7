import type { TokenRow } from "@tessera/shared/db/schema";
import { claimNotice, findInactiveTokens, findTokensDueExpiredNotice, findTokensDueExpiringNotice, noticeRecipients, queueEmails, type OutgoingEmail } from "../../store/notice-store.js";
import { lockToken, updateToken } from "../../store/token-store.js";
import { hasSubscriber } from "../../store/webhook-store.js";
import { tokenChangeRecord } from "@tessera/shared/feed/change-records";
import type { AdminDeps } from "../admin-deps.js";
import { commitChange } from "../commit-change.js";
import { expiredEmail, expiringEmail, inactivityEmail, leadWords } from "./notice-messages.js";

export type NoticeKind = "expiring" | "expired" | "inactivity";

export interface NoticeSettings {
  /** Expiry lead times in seconds; 0 is "on the day". */
  readonly leadsSeconds: readonly number[];
  /** How often to look for tokens due a notice. */
  readonly scanMs: number;
  /** Whether notices are emailed (SMTP configured); webhooks are sent either way. */
  readonly email: boolean;
}

export interface NoticeScannerDeps extends Pick<AdminDeps, "db" | "feed" | "now" | "log"> {
  /** Told of each notice made (metrics). */
  readonly onNotice?: (kind: NoticeKind, emails: number) => void;
}

/** Tokens looked at per query and scan: a backlog drains over several scans. */
const batch = 200;
/** Expired tokens older than this at a scan get no notice: a first start does not announce years of expiries. */
const expiredLookbackSeconds = 7 * 86_400;

/**
 * One notice, once: its claim row, its announcement (webhook) and its emails
 * commit together. A replica or restart that finds the claim taken does nothing.
 */
async function notify(deps: NoticeScannerDeps, settings: NoticeSettings, token: TokenRow, kind: "expiring" | "expired", leadSeconds: number): Promise<void> {
  const { result } = await commitChange(deps, async (trx, change) => {
    if (!(await claimNotice(trx, token.id, kind, leadSeconds))) return 0;
    const type = kind === "expiring" ? "token.expiring" : "token.expired";
    // Announced only when an endpoint wants it: otherwise the notice alone would take a feed position for nobody.
    if (await hasSubscriber(trx, token.organisation_id, type)) {
      change.announce({
        type, organisationId: token.organisation_id, token,
        details: { expires_at: token.expires_at!.toISOString(), ...(kind === "expiring" && { lead_seconds: String(leadSeconds), lead: leadWords(leadSeconds) }) },
      });
    }
    const recipients = settings.email ? await noticeRecipients(trx, token) : [];
    const emails: OutgoingEmail[] = recipients.map((r) => (kind === "expiring" ? expiringEmail(r, token, leadSeconds) : expiredEmail(r, token)));
    await queueEmails(trx, emails);
    return emails.length + 1;
  });
  if (result > 0) deps.onNotice?.(kind, result - 1);
}

/** Revokes a token for inactivity, as the system: audited, announced, emailed, and shown with its reason. */
async function revokeInactive(deps: NoticeScannerDeps, settings: NoticeSettings, candidate: TokenRow & { max_inactivity_seconds: number }, now: Date): Promise<void> {
  const { result } = await commitChange(deps, async (trx, change) => {
    const token = await lockToken(trx, candidate.id);
    // Used, revoked or deleted since it was found: leave it.
    if (!token || token.revoked_at || token.deleted_at || (token.last_used_at?.getTime() ?? 0) > (candidate.last_used_at?.getTime() ?? 0)) return 0;
    await claimNotice(trx, token.id, "inactivity", 0);
    const revoked = await updateToken(trx, token.id, { revoked_at: now, revoked_by: null, revocation_reason: "inactivity" });
    change.feed(tokenChangeRecord(revoked));
    const lastActive = revoked.last_used_at ?? revoked.created_at;
    change.audit({
      action: "token.revoke", actorId: null, actorTokenId: null, organisationId: revoked.organisation_id, tokenId: revoked.id, principalId: revoked.owner_id, source: "system",
      details: { reason: "inactivity", max_inactivity_seconds: candidate.max_inactivity_seconds, last_used_at: revoked.last_used_at?.toISOString() ?? null },
    });
    change.announce({
      type: "token.revoked", organisationId: revoked.organisation_id, token: revoked,
      details: { reason: "inactivity", max_inactivity_seconds: String(candidate.max_inactivity_seconds), last_active_at: lastActive.toISOString() },
    });
    const recipients = settings.email ? await noticeRecipients(trx, revoked) : [];
    await queueEmails(trx, recipients.map((r) => inactivityEmail(r, revoked, candidate.max_inactivity_seconds)));
    return recipients.length + 1;
  });
  if (result > 0) deps.onNotice?.("inactivity", result - 1);
}

/** One pass: expiring notices (shortest lead first), expired notices, inactivity revocations. */
export async function scanNotices(deps: NoticeScannerDeps, settings: NoticeSettings): Promise<void> {
  const now = deps.now();
  // Each token is due exactly one lead at a time: the shortest its time left is within.
  const leads = [...settings.leadsSeconds].sort((a, b) => a - b);
  for (const [i, lead] of leads.entries()) {
    for (const token of await findTokensDueExpiringNotice(deps.db, now, lead, leads[i - 1], batch)) await notify(deps, settings, token, "expiring", lead);
  }
  for (const token of await findTokensDueExpiredNotice(deps.db, now, expiredLookbackSeconds, batch)) await notify(deps, settings, token, "expired", 0);
  for (const token of await findInactiveTokens(deps.db, now, batch)) await revokeInactive(deps, settings, token, now);
}

/** Scans every `scanMs` until stopped; a failed scan is logged and the next one tries again. */
export function startNoticeScanner(deps: NoticeScannerDeps, settings: NoticeSettings): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = scanNotices(deps, settings)
      .catch((err: unknown) => deps.log.warn({ err }, "notice scan failed; the next one tries again"))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, settings.scanMs);
      });
  };
  timer = setTimeout(tick, Math.min(settings.scanMs, 1000));
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
