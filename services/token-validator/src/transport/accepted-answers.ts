import { hash, randomBytes } from "node:crypto";
import { decide, type Acceptance, type Decision, type DecisionContext } from "../domain/decide.js";
import { toReplicaSeconds, type Replica } from "../domain/replica.js";
import type { IdentityHeaderNames } from "./identity-headers.js";

/** Values remembered at once; past it the cache starts afresh (a sweep of many tokens within one seq). */
const maxRemembered = 10_000;

/** An acceptance decide() gave, and what holds while it does. */
interface Remembered {
  /** The token's slot in the replica's table, and its id: the slot still holding that id finds it again. */
  readonly slot: number;
  readonly tokenId: string;
  /** Effective scopes at the seq it was decided at. */
  readonly scopes: readonly string[];
  readonly previousValue: boolean;
  /** Replica seconds: holds while now is before it (the token's expiry, its parent's, a replaced value's grace). */
  readonly validUntil: number;
  /** The 200's headers, flat for writeHead: identity, effective scopes, an empty body's length. */
  readonly headers: readonly string[];
}

const noHeaders: readonly string[] = Object.freeze([]);

/** When a decision's time conditions stop holding, in replica seconds; Infinity if never. */
function validUntilOf(decision: Acceptance): number {
  const token = decision.token;
  let until = token.expiresAt === 0 ? Infinity : token.expiresAt;
  if (decision.previousValue) until = Math.min(until, token.previousExpiresAt);
  const parent = token.hasParent ? token.parent : undefined;
  if (parent && parent.expiresAt !== 0) until = Math.min(until, parent.expiresAt);
  return until;
}

/**
 * Forward-auth's decisions, with each acceptance remembered per value
 * presented, so a token used again skips the format check, decide()'s lookups
 * and building its 200. A remembered acceptance is given again only while
 * nothing it rests on can have changed:
 * - the same replica at the same appliedSeq: every revocation, disable, owner,
 *   scope or cut-off change is a feed event that moves it, and any move forgets
 *   everything (a pruner sweep moves no seq, but drops only dead tokens and
 *   expired values, which the next two checks refuse anyway);
 * - the clock, read per answer, before the token's, its parent's and a
 *   replaced value's expiry;
 * - the replica proven fresh, read per answer: a stale validator always goes
 *   to decide(), which refuses (or, failing open, answers from what it holds);
 * - the slot still holding the same token id.
 * Refusals are never remembered. The key is a one-way function of the value
 * under a per-process secret: no token value is held.
 */
export class AcceptedAnswers {
  /** After decide() returns a valid decision: its 200's headers (answering is synchronous). */
  headers: readonly string[] = noHeaders;
  private replica: Replica | undefined = undefined;
  private seq = -1n;
  private remembered = new Map<string, Remembered>();
  private readonly secret = randomBytes(32).toString("base64");
  /** Only values of a token's length are looked for: anything else is malformed, and decide() says so without hashing. */
  private readonly tokenLength: number;

  constructor(
    private readonly ctx: DecisionContext,
    private readonly names: IdentityHeaderNames,
  ) {
    this.tokenLength = ctx.tokenFormat.length;
  }

  /** The decision decide() would give now: the same codes, tokens, scopes, seq and freshness. */
  decide(tokenValue: string, requiredScope: string, nowMs: number): Decision {
    const ctx = this.ctx;
    if (tokenValue.length !== this.tokenLength) return decide(ctx, tokenValue, requiredScope, nowMs);
    const replica = ctx.replica;
    if (replica !== this.replica || replica.appliedSeq !== this.seq) this.forgetAll(replica);
    const key = hash("sha256", this.secret + tokenValue, "binary");
    const known = this.remembered.get(key);
    if (known !== undefined && (requiredScope === "" || known.scopes.includes(requiredScope)) && toReplicaSeconds(nowMs) < known.validUntil) {
      const freshness = ctx.freshness(nowMs);
      const token = freshness.state === "stale" ? undefined : replica.held(known.slot, known.previousValue);
      if (token !== undefined && token.id === known.tokenId) {
        this.headers = known.headers;
        // The fields in decide()'s order: one object shape for the observers.
        return { valid: true, code: "valid", token, scopes: known.scopes, seq: this.seq, freshness, honeytoken: undefined, previousValue: known.previousValue };
      }
    }
    const decision = decide(ctx, tokenValue, requiredScope, nowMs);
    if (decision.valid) this.headers = this.remember(key, decision).headers;
    return decision;
  }

  private forgetAll(replica: Replica): void {
    this.replica = replica;
    this.seq = replica.appliedSeq;
    this.remembered = new Map();
  }

  private remember(key: string, decision: Acceptance): Remembered {
    const { token, scopes, previousValue } = decision;
    const names = this.names;
    const remembered: Remembered = Object.freeze({
      slot: token.slot,
      tokenId: token.id,
      scopes,
      previousValue,
      validUntil: validUntilOf(decision),
      headers: Object.freeze([names.tokenId, token.id, names.owner, token.ownerId, names.organisation, token.organisationId, names.scopes, scopes.join(" "), "content-length", "0"]),
    });
    // Filed only under the seq it was decided at (decide() is synchronous, so that is this.seq).
    if (decision.seq === this.seq && this.ctx.replica === this.replica) {
      if (this.remembered.size >= maxRemembered) this.remembered = new Map();
      this.remembered.set(key, remembered);
    }
    return remembered;
  }
}
