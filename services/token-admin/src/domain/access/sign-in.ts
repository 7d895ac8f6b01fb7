import { createHash } from "node:crypto";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { findOrganisation } from "../../store/organisation-store.js";
import { findPrincipalBySignInName } from "../../store/principal-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { commitChange } from "../commit-change.js";
import { principalFromRow, type Principal } from "../identities/identities.js";
import { issueToken } from "../tokens/issue-token.js";

export interface SignInInput {
  readonly organisation: string;
  readonly userName: string;
  readonly password: string;
  /** Peer address and user agent of the caller. */
  readonly source: string;
  /** Peer address alone: failures are limited per source too. */
  readonly peer: string;
}

export interface SignedIn {
  /** The session token: shown once. */
  readonly value: string;
  readonly expiresAt: Date;
  readonly principal: Principal;
}

/** The same answer for an unknown organisation or user, a missing or wrong password, or a disabled user. */
const rejected = () => new TesseraError("unauthenticated", "wrong organisation, user name or password");

// Keys are hashed: the limiter store never holds user names or addresses in clear.
const keyOf = (kind: string, value: string) => `${kind}:${createHash("sha256").update(value).digest("base64url").slice(0, 22)}`;

/**
 * Organisation + user name + password → a short-lived session token for the
 * admin API (prefix tsr_ses). argon2id verification; an unknown user costs the
 * same verification, and every failure gets the same error. Attempts are
 * limited per source and slowed per principal (see AttemptLimiter); a success
 * clears the principal's count and does not count against the source, and an
 * attempt whose password was never checked (the hashing pool busy, the
 * database down) counts against neither.
 */
export async function signIn(deps: AdminDeps, input: SignInInput): Promise<SignedIn> {
  const limiter = deps.signInLimiter;
  const attempt = { source: keyOf("source", input.peer), principal: keyOf("principal", `${input.organisation}\u0000${input.userName}`) };
  const verdict = await limiter.begin(attempt);
  if (!verdict.allowed) throw new TesseraError("resource_exhausted", `too many failed sign-ins; try again in ${Math.ceil(verdict.retryAfterMs / 1000)} s`);

  let principal: Awaited<ReturnType<typeof findPrincipalBySignInName>>;
  let verified = false;
  try {
    principal = await findPrincipalBySignInName(deps.db, input.organisation, input.userName);
    if (principal?.password_hash) verified = await deps.passwords.verify(principal.password_hash, input.password);
    else await deps.passwords.verifyNothing(input.password);
  } catch (err) {
    await limiter.abandoned(attempt).catch(() => {});
    throw err;
  }
  const now = deps.now();

  if (!principal || !verified || principal.disabled_at) {
    await commitChange(deps, async (_trx, change) => {
      change.audit({
        action: "auth.sign_in_failed", actorId: null, actorTokenId: null, organisationId: principal?.organisation_id ?? null,
        principalId: principal?.id ?? null, source: input.source,
      });
    });
    throw rejected();
  }
  await limiter.succeeded(attempt);

  const { result } = await commitChange(deps, async (trx, change) => {
    if (!(await findOrganisation(trx, principal.organisation_id))) throw rejected();
    const expiresAt = new Date(now.getTime() + deps.sessionTtlMs);
    const issued = await issueToken(trx, change, deps, {
      organisationId: principal.organisation_id,
      ownerId: principal.id,
      groupId: principal.group_id,
      name: "session",
      level: "user",
      kind: "session",
      scopes: [],
      admin: false,
      createdBy: principal.id,
      createdAt: now,
      expiresAt,
    });
    change.audit({
      action: "auth.sign_in", actorId: principal.id, actorTokenId: issued.row.id, organisationId: principal.organisation_id,
      tokenId: issued.row.id, principalId: principal.id, source: input.source,
    });
    return { value: issued.value, expiresAt };
  });
  return { ...result, principal: principalFromRow(principal) };
}
