import type { TokenRow } from "@tessera/shared/db/schema";
import { toBuffer } from "@tessera/shared/db/database";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { findCredential } from "../../store/token-store.js";
import type { AdminDeps } from "../admin-deps.js";
import type { Caller } from "./caller.js";
import { recordHoneytokenUses } from "../leaks/record-honeytoken-uses.js";

/** One message for every failure, so a caller learns nothing about a token it does not hold. */
const rejected = () => new TesseraError("unauthenticated", "invalid or expired token");

function usable(token: Pick<TokenRow, "revoked_at" | "disabled_at" | "expires_at">, now: Date): boolean {
  return !token.revoked_at && !token.disabled_at && (!token.expires_at || token.expires_at.getTime() > now.getTime());
}

export interface AuthenticateOptions {
  /** Refuse tokens without the admin option (every RPC but ExchangeToken). */
  readonly requireAdminOption: boolean;
  /** Peer address and user agent, kept on the caller for the audit log. */
  readonly source: string;
  /** The RPC called, for the honeytoken report. */
  readonly rpc?: string | undefined;
}

/** Establishes who presented `tokenValue` (the bearer credential), or throws unauthenticated. */
export async function authenticate(deps: AdminDeps, tokenValue: string | undefined, options: AuthenticateOptions): Promise<Caller> {
  if (tokenValue === undefined) throw new TesseraError("unauthenticated", "missing bearer token");
  if (deps.tokenFormat.parse(tokenValue) === undefined) throw rejected();
  const now = deps.now();
  const digest = deps.digest(tokenValue);
  const credential = await findCredential(deps.db, digest, now);
  if (!credential) throw rejected();
  const { token, owner, parent } = credential;
  if (token.honeytoken) {
    // Refused as an unknown value; the record is written after, not awaited, so the answer comes no later.
    void recordHoneytokenUses(deps, [{ tokenId: token.id, surface: "admin_api", sourceAddress: options.source, route: options.rpc ?? "", usedAt: now, validatorId: "" }]).catch((err: unknown) =>
      deps.log.error({ err }, "honeytoken use on the admin API not recorded"),
    );
    throw rejected();
  }
  if (!usable(token, now) || owner.disabled_at) throw rejected();
  // Exchanged and session tokens live only while their parent does.
  if (token.parent_token_id && (!parent || !usable(parent, now))) throw rejected();
  // An incident cut-off on the owner, its group or organisation stops tokens created before it (and what was made from them).
  const cutoff = credential.tokensNotBefore;
  if (cutoff && (token.created_at.getTime() < cutoff.getTime() || (parent && parent.created_at.getTime() < cutoff.getTime()))) throw rejected();
  // The feature flag governs API tokens; a signed-in session and the built-in
  // admin are exempt, so switching it off can never lock the admins out.
  if (token.kind !== "session" && owner.role !== "admin" && !credential.organisationApiTokensEnabled) throw rejected();
  if (options.requireAdminOption && !token.admin && token.kind !== "session") {
    throw new TesseraError("permission_denied", "this token may not call the admin API (it lacks the admin option)");
  }
  return {
    principalId: owner.id,
    organisationId: owner.organisation_id,
    groupId: owner.group_id ?? undefined,
    role: owner.role,
    permissions: owner.permissions,
    tokenId: token.id,
    credentialEndsAt: toBuffer(token.digest).equals(digest) ? undefined : (token.previous_digest_expires_at ?? undefined),
    source: options.source,
  };
}
