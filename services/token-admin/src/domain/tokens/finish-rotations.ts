import { tokenChangeRecord } from "@tessera/shared/feed/change-records";
import type { TokenRow } from "@tessera/shared/db/schema";
import { findEndedRotations, findQuietRotations } from "../../store/rotation-store.js";
import { lockToken, updateToken } from "../../store/token-store.js";
import { findUseSources } from "../../store/use-source-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { commitChange } from "../commit-change.js";
import { wholeSeconds } from "./issue-token.js";
import { noticeRecipients, queueEmails } from "../../store/notice-store.js";
import { rotationStillUsedEmail } from "../notices/notice-messages.js";

/** Audit action: the previous value went unused for the quiet period and was revoked before its grace ended. */
export const rotationFinishedAction = "token.rotation_finished";
/** Audit action: the grace period ended while the previous value was still in use; details name the sources. A follower tells the owner. */
export const rotationStillUsedAction = "token.rotation_still_used";

/** Rotations settled per kind per round: the rest wait for the next. */
const perRound = 100;
/** Sources named in a still-used event at most. */
const maxSourcesNamed = 20;

export interface FinishedRotations {
  readonly finishedEarly: number;
  readonly endedStillUsed: number;
  readonly endedUnused: number;
}

const inGrace = (row: TokenRow, now: Date) => row.previous_digest_expires_at !== null && row.previous_digest_expires_at > now;
const settleable = (row: TokenRow | undefined): row is TokenRow => row !== undefined && row.rotation_settled_at === null && row.regenerated_at !== null && row.previous_digest !== null;

/** Revokes one quiet rotation's previous value now, if it is still quiet under the row lock. */
async function finishEarly(deps: AdminDeps, id: string, now: Date): Promise<boolean> {
  const { result } = await commitChange(deps, async (trx, change) => {
    const row = await lockToken(trx, id);
    if (!settleable(row) || !inGrace(row, now) || !row.rotation_quiet_seconds) return false;
    const quietSince = row.previous_value_last_used_at && row.previous_value_last_used_at > row.regenerated_at! ? row.previous_value_last_used_at : row.regenerated_at!;
    if (quietSince.getTime() + row.rotation_quiet_seconds * 1000 > now.getTime()) return false;
    // Whole seconds, not after now: validators compare whole seconds and refuse the value from then on.
    const updated = await updateToken(trx, id, { previous_digest_expires_at: wholeSeconds(now), rotation_settled_at: now });
    change.feed(tokenChangeRecord(updated));
    change.audit({
      action: rotationFinishedAction, actorId: null, actorTokenId: null, organisationId: row.organisation_id, tokenId: id, principalId: row.owner_id, source: "token-admin",
      details: {
        quiet_seconds: row.rotation_quiet_seconds, grace_was_until: row.previous_digest_expires_at!.toISOString(),
        previous_value_last_used_at: row.previous_value_last_used_at?.toISOString() ?? null,
      },
    });
    return true;
  });
  return result;
}

/** Settles one rotation whose grace has ended; returns whether its previous value was still in use. */
async function settleEnded(deps: AdminDeps, id: string, now: Date): Promise<"still_used" | "unused" | undefined> {
  const sources = await findUseSources(deps.db, id, 100);
  const { result } = await commitChange(deps, async (trx, change) => {
    const row = await lockToken(trx, id);
    if (!settleable(row) || inGrace(row, now)) return undefined;
    await updateToken(trx, id, { rotation_settled_at: now });
    const endedAt = row.previous_digest_expires_at!;
    // "Still used": seen within the quiet period (or, with none, the deployment's default) before the grace ended.
    const windowMs = (row.rotation_quiet_seconds || Math.floor((deps.rotationQuietPeriodMs ?? 3_600_000) / 1000)) * 1000;
    const lastUsed = row.previous_value_last_used_at;
    if (!lastUsed || lastUsed.getTime() < endedAt.getTime() - windowMs) return "unused";
    const stillUsing = sources.filter((s) => s.previousValue && s.lastSeenAt.getTime() >= endedAt.getTime() - windowMs).slice(0, maxSourcesNamed);
    change.audit({
      action: rotationStillUsedAction, actorId: null, actorTokenId: null, organisationId: row.organisation_id, tokenId: id, principalId: row.owner_id, source: "token-admin",
      details: {
        grace_ended_at: endedAt.toISOString(), previous_value_last_used_at: lastUsed.toISOString(),
        sources: stillUsing.map((s) => ({ surface: s.surface, address: s.address, route: s.route, last_seen_at: s.lastSeenAt.toISOString(), count: s.count })),
      },
    });
    // The owner (and a level token's admins) are told by email which sources still used it.
    if (deps.emailNotices) await queueEmails(trx, (await noticeRecipients(trx, row)).map((to) => rotationStillUsedEmail(to, row, endedAt, stillUsing)));
    return "still_used";
  });
  return result;
}

/**
 * One round of rotations that finish themselves. During a regenerate's grace
 * period validators report uses of the previous value; once it has gone
 * unseen for the rotation's quiet period it is revoked early (audited as
 * token.rotation_finished). When a grace period ends with the previous value
 * still in use, the owner is told which sources used it (audited as
 * token.rotation_still_used, the sources in its details). Each rotation is
 * settled once, under its row lock, however many admins run this.
 */
export async function finishRotations(deps: AdminDeps): Promise<FinishedRotations> {
  const now = deps.now();
  let finishedEarly = 0;
  let endedStillUsed = 0;
  let endedUnused = 0;
  for (const id of await findQuietRotations(deps.db, now, perRound)) if (await finishEarly(deps, id, now)) finishedEarly++;
  for (const id of await findEndedRotations(deps.db, now, perRound)) {
    const outcome = await settleEnded(deps, id, now);
    if (outcome === "still_used") endedStillUsed++;
    else if (outcome === "unused") endedUnused++;
  }
  return { finishedEarly, endedStillUsed, endedUnused };
}

export interface RotationFinisher {
  stop(): void;
}

/** Runs finishRotations every `intervalMs`, one round at a time. */
export function startRotationFinisher(deps: AdminDeps, intervalMs: number): RotationFinisher {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    finishRotations(deps)
      .then((done) => {
        if (done.finishedEarly + done.endedStillUsed > 0) deps.log.info(done, "rotations settled");
      })
      .catch((err: unknown) => deps.log.warn({ err: (err as Error).message }, "settling rotations failed; will retry"))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
