import type { Transaction } from "kysely";
import type { Database, TokenKindColumn, TokenLevelName, TokenRow } from "@tessera/shared/db/schema";
import type { Digester } from "@tessera/shared/token/token-digest";
import type { TokenFormat } from "@tessera/shared/token/token-format";
import { tokenChangeRecord } from "@tessera/shared/feed/change-records";
import { insertToken } from "../../store/token-store.js";
import type { PendingChange } from "../commit-change.js";

export interface TokenToIssue {
  readonly organisationId: string;
  readonly ownerId: string;
  readonly groupId: string | null;
  readonly name: string;
  readonly level: TokenLevelName;
  readonly kind: TokenKindColumn;
  readonly scopes: readonly string[];
  readonly admin: boolean;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  /** Exchanged tokens: the parent, whose digest validators use to link the two. */
  readonly parent?: { readonly id: string; readonly digest: Buffer } | undefined;
  /** A decoy: refused everywhere as unknown, and every presentation is reported. */
  readonly honeytoken?: boolean | undefined;
}

/** What minting a value needs: the deployment's format and the digest kept in its place. */
export interface TokenMint {
  readonly digest: Digester;
  readonly tokenFormat: TokenFormat;
}

/** Expiries are whole seconds everywhere (as JWT's exp): floors, so a token never outlives what was asked. */
export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/**
 * Inside a transaction: mints a value, stores only its digest and feeds the
 * record to validators. The value is returned to be shown once and then forgotten.
 */
export async function issueToken(
  trx: Transaction<Database>,
  change: PendingChange,
  mint: TokenMint,
  token: TokenToIssue,
): Promise<{ row: TokenRow; value: string }> {
  const value = mint.tokenFormat.generate(token.kind);
  const row = await insertToken(trx, {
    organisation_id: token.organisationId,
    owner_id: token.ownerId,
    group_id: token.groupId,
    name: token.name,
    level: token.level,
    kind: token.kind,
    scopes: [...token.scopes],
    admin: token.admin,
    created_by: token.createdBy,
    created_at: token.createdAt,
    expires_at: token.expiresAt && wholeSeconds(token.expiresAt),
    digest: mint.digest(value),
    display_hint: mint.tokenFormat.displayHint(value),
    parent_token_id: token.parent?.id ?? null,
    // Only when set: an ordinary token is written as before the column existed (a schema mid-upgrade).
    ...(token.honeytoken ? { honeytoken: true } : {}),
  });
  change.feed(tokenChangeRecord(row, token.parent?.digest));
  return { row, value };
}
