import { create } from "@bufbuild/protobuf";
import { namedUuid } from "@tessera/test-support/named-uuid";
import { describe, expect, it } from "vitest";
import { ChangeRecordSchema, TokenState, type ChangeRecord } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { createDigestKeyer, createDigester } from "@tessera/shared/token/token-digest";
import { defaultTokenFormat, generateToken } from "@tessera/shared/token/token-format";
import { decide, type DecisionContext } from "./decide.js";
import type { FreshnessReading } from "./freshness.js";
import { Replica } from "./replica.js";

const pepper = "decide-test-pepper-decide-test-pepper";
const digest = createDigester(pepper);
const current: FreshnessReading = { state: "current", stalenessMs: 3, detail: "", loaded: true };
const stale: FreshnessReading = { state: "stale", stalenessMs: 9000, detail: "database unreachable", loaded: true };

const org = (id: string, apiTokensEnabled = true): ChangeRecord =>
  create(ChangeRecordSchema, { record: { case: "organisation", value: { id, apiTokensEnabled } } });
const principal = (id: string, permissions: string[], disabled = false): ChangeRecord =>
  create(ChangeRecordSchema, { record: { case: "principal", value: { id, organisationId: "o1", permissions, disabled } } });
function token(id: string, value: string, fields: { state?: TokenState; expiresAtMs?: number; scopes?: string[]; parent?: { id: string; value: string }; kind?: TokenKind; honeytoken?: boolean } = {}): ChangeRecord {
  return create(ChangeRecordSchema, {
    record: {
      case: "token",
      value: {
        id: namedUuid(id), digest: digest(value), ownerId: "p1", organisationId: "o1", scopes: fields.scopes ?? ["orders:read", "orders:write"],
        state: fields.state ?? TokenState.ACTIVE, expiresAtMs: BigInt(fields.expiresAtMs ?? 0), kind: fields.kind ?? TokenKind.PERSONAL,
        level: TokenLevel.USER, parentTokenId: fields.parent ? namedUuid(fields.parent.id) : "", parentDigest: fields.parent ? digest(fields.parent.value) : new Uint8Array(0),
        honeytoken: fields.honeytoken ?? false,
      },
    },
  });
}

/** A replica that counts lookups: a malformed token must not cost one. */
class CountingReplica extends Replica {
  lookups = 0;
  override findByKey(key: string) {
    this.lookups++;
    return super.findByKey(key);
  }
}

function setup(records: ChangeRecord[], freshness = current, failOpen = false, partial = false) {
  const replica = new CountingReplica();
  const counting = replica;
  replica.applyEvent(7n, records);
  counting.lookups = 0; // count the decisions' lookups only
  const ctx: DecisionContext = { replica, digestKey: createDigestKeyer(pepper), freshness: () => freshness, failOpen, tokenFormat: defaultTokenFormat, partial };
  return { replica, counting, check: (value: string, scope = "") => decide(ctx, value, scope, 1_000_000) };
}

describe("decide", () => {
  const value = generateToken();

  it("accepts a live token, with effective scopes, the seq and the freshness", () => {
    const { check } = setup([org("o1"), principal("p1", ["orders:read", "orders:write"]), token("t1", value)]);
    const decision = check(value, "orders:read");
    expect(decision).toMatchObject({ valid: true, code: "valid", seq: 7n, freshness: current });
    expect(decision.token?.id).toBe(namedUuid("t1"));
    expect(decision.scopes).toEqual(["orders:read", "orders:write"]);
  });

  it("refuses malformed values before hashing or any map lookup", () => {
    const { check, counting } = setup([org("o1"), principal("p1", ["orders:read"]), token("t1", value)]);
    for (const bad of ["", "garbage", value.slice(0, -1) + (value.endsWith("a") ? "b" : "a"), "x".repeat(5000)]) {
      expect(check(bad).code).toBe("malformed");
    }
    expect(counting.lookups).toBe(0);
    check(generateToken());
    expect(counting.lookups).toBe(1);
  });

  it("says NOT_FOUND, REVOKED, DISABLED, EXPIRED for what the replica holds", () => {
    const [revoked, disabled, expired] = [generateToken(), generateToken(), generateToken()];
    const { check } = setup([
      org("o1"), principal("p1", ["orders:read"]),
      token("t2", revoked, { state: TokenState.REVOKED }),
      token("t3", disabled, { state: TokenState.DISABLED }),
      token("t4", expired, { expiresAtMs: 999_999 }),
    ]);
    expect(check(generateToken()).code).toBe("not_found");
    expect(check(revoked).code).toBe("revoked");
    expect(check(disabled).code).toBe("disabled");
    expect(check(expired).code).toBe("expired");
  });

  it("answers a honeytoken in every state exactly as an unknown value, and names it only for the report", () => {
    const [live, revoked, disabled] = [generateToken(), generateToken(), generateToken()];
    const { check } = setup([
      org("o1"), principal("p1", ["orders:read"]),
      token("h1", live, { honeytoken: true }),
      token("h2", revoked, { honeytoken: true, state: TokenState.REVOKED }),
      token("h3", disabled, { honeytoken: true, state: TokenState.DISABLED }),
    ]);
    const unknown = check(generateToken(), "orders:read");
    const { honeytoken: none, ...unknownAnswer } = unknown;
    expect(none).toBeUndefined();
    for (const [id, trap] of [["h1", live], ["h2", revoked], ["h3", disabled]] as const) {
      const { honeytoken, ...answer } = check(trap, "orders:read");
      expect(answer).toEqual(unknownAnswer);
      expect(honeytoken?.id).toBe(namedUuid(id));
    }
  });

  it("on a partial replica, says NOT_SERVED for every value it does not answer for: unknown, honeytoken, session alike", () => {
    const [trap, session, revoked] = [generateToken(), generateToken("session"), generateToken()];
    const { check } = setup(
      [org("o1"), principal("p1", ["orders:read"]), token("t1", value), token("h1", trap, { honeytoken: true }), token("s1", session, { kind: TokenKind.SESSION }), token("t2", revoked, { state: TokenState.REVOKED })],
      current,
      false,
      true,
    );
    const { honeytoken: none, ...unknownAnswer } = check(generateToken(), "orders:read");
    expect(none).toBeUndefined();
    expect(unknownAnswer).toMatchObject({ valid: false, code: "not_served", token: undefined });
    const { honeytoken, ...trapAnswer } = check(trap, "orders:read");
    expect(trapAnswer).toEqual(unknownAnswer); // a served organisation's decoy still looks unknown
    expect(honeytoken?.id).toBe(namedUuid("h1"));
    expect(check(session, "orders:read")).toMatchObject({ valid: false, code: "not_served", token: undefined });
    // What it holds, it judges as a full replica does.
    expect(check(value, "orders:read").code).toBe("valid");
    expect(check(revoked).code).toBe("revoked");
  });

  it("intersects the token's scopes with what the owner holds now", () => {
    const { check, replica } = setup([org("o1"), principal("p1", ["orders:read"]), token("t1", value)]);
    expect(check(value).scopes).toEqual(["orders:read"]);
    expect(check(value, "orders:write").code).toBe("insufficient_scope");
    replica.applyEvent(8n, [principal("p1", ["orders:read", "orders:write"])]);
    expect(check(value, "orders:write").code).toBe("valid");
  });

  it("refuses every token of a disabled owner or of an organisation with tokens switched off", () => {
    const { check, replica } = setup([org("o1"), principal("p1", ["orders:read"]), token("t1", value)]);
    replica.applyEvent(8n, [principal("p1", ["orders:read"], true)]);
    expect(check(value).code).toBe("owner_disabled");
    replica.applyEvent(9n, [principal("p1", ["orders:read"]), org("o1", false)]);
    expect(check(value).code).toBe("tokens_disabled");
  });

  it("holds a session token for no surface: NOT_FOUND, revealing no token, whatever its organisation's switch", () => {
    const session = generateToken("session");
    const { check, replica } = setup([org("o1"), principal("p1", ["orders:read"]), token("s1", session, { kind: TokenKind.SESSION })]);
    expect(check(session)).toMatchObject({ valid: false, code: "not_found", token: undefined });
    replica.applyEvent(8n, [org("o1", false)]);
    expect(check(session)).toMatchObject({ valid: false, code: "not_found", token: undefined });
  });

  it("refuses a child token the moment its parent is revoked", () => {
    const child = generateToken("exchanged");
    const { check, replica } = setup([org("o1"), principal("p1", ["orders:read"]), token("t1", value), token("c1", child, { parent: { id: "t1", value }, kind: TokenKind.EXCHANGED })]);
    expect(check(child).code).toBe("valid");
    replica.applyEvent(8n, [token("t1", value, { state: TokenState.REVOKED })]);
    expect(check(child).code).toBe("revoked");
  });

  it("refuses a child whose parent was deleted, even once another token reuses the parent's slot", () => {
    const child = generateToken("exchanged");
    const other = generateToken();
    const { check, replica } = setup([org("o1"), principal("p1", ["orders:read"]), token("t1", value), token("c1", child, { parent: { id: "t1", value }, kind: TokenKind.EXCHANGED })]);
    const parentSlot = replica.findToken(namedUuid("t1"))!.slot;
    replica.applyEvent(8n, [token("t1", value, { state: TokenState.DELETED })]);
    expect(check(child).code).toBe("revoked");
    replica.applyEvent(9n, [token("t9", other)]);
    expect(replica.findToken(namedUuid("t9"))!.slot).toBe(parentSlot);
    expect(check(other).code).toBe("valid");
    expect(check(child).code).toBe("revoked");
    // Everything let go with the last token that used it.
    replica.applyEvent(10n, [token("t9", other, { state: TokenState.DELETED }), token("c1", child, { state: TokenState.DELETED })]);
    expect(replica.tokenCount).toBe(0);
    expect(replica.cacheSizes).toEqual({ holders: 0, scopeSets: 0, profiles: 0 });
  });

  it("fails closed when stale, or answers from memory when configured to fail open", () => {
    const records = [org("o1"), principal("p1", ["orders:read"]), token("t1", value)];
    expect(setup(records, stale).check(value)).toMatchObject({ valid: false, code: "stale", freshness: stale });
    expect(setup(records, stale, true).check(value)).toMatchObject({ valid: true, code: "valid", freshness: stale });
  });
});

describe("decide: an incident's cut-off (tokens issued before T)", () => {
  const nowMs = Date.UTC(2026, 11, 1, 12);
  const t = Date.UTC(2026, 11, 1, 9, 30, 0, 400); // not a whole second: a token from 09:30:00.2 is before it
  const value = generateToken();
  const child = generateToken("exchanged");
  const record = (id: string, v: string, createdAtMs: number, parent?: string): ChangeRecord =>
    create(ChangeRecordSchema, {
      record: { case: "token", value: { id: namedUuid(id), digest: digest(v), ownerId: "p1", organisationId: "o1", scopes: ["orders:read"], state: TokenState.ACTIVE, kind: parent ? TokenKind.EXCHANGED : TokenKind.PERSONAL, level: TokenLevel.USER, createdAtMs: BigInt(createdAtMs), parentTokenId: parent ? namedUuid("t1") : "", parentDigest: parent ? digest(parent) : new Uint8Array(0) } },
    });
  const at = (cut: { principal?: number; group?: number; organisation?: number }, createdAtMs: number, childCreatedAtMs?: number) => {
    const replica = new Replica();
    replica.applyEvent(3n, [
      create(ChangeRecordSchema, { record: { case: "organisation", value: { id: "o1", apiTokensEnabled: true, tokensNotBeforeMs: BigInt(cut.organisation ?? 0) } } }),
      create(ChangeRecordSchema, { record: { case: "principal", value: { id: "p1", organisationId: "o1", permissions: ["orders:read"], groupId: "g1", tokensNotBeforeMs: BigInt(cut.principal ?? 0) } } }),
      create(ChangeRecordSchema, { record: { case: "group", value: { id: "g1", organisationId: "o1", tokensNotBeforeMs: BigInt(cut.group ?? 0) } } }),
      record("t1", value, createdAtMs),
      ...(childCreatedAtMs === undefined ? [] : [record("t2", child, childCreatedAtMs, value)]),
    ]);
    const ctx: DecisionContext = { replica, digestKey: createDigestKeyer(pepper), freshness: () => current, failOpen: false, tokenFormat: defaultTokenFormat };
    return (v: string) => decide(ctx, v, "orders:read", nowMs).code;
  };

  it("refuses a token created before the cut-off of its owner, its owner's group or its organisation, and accepts one created after", () => {
    for (const level of ["principal", "group", "organisation"] as const) {
      expect(at({ [level]: t }, t - 200)(value)).toBe("revoked");
      expect(at({ [level]: t }, t - 3_600_000)(value)).toBe("revoked");
      expect(at({ [level]: t }, t + 1000)(value)).toBe("valid");
    }
    expect(at({}, t - 200)(value)).toBe("valid");
  });

  it("counts the cut-off's own second as before it (refusing at most a second too many, never accepting one too many)", () => {
    expect(at({ principal: t }, t + 300)(value)).toBe("revoked"); // 09:30:00.7, same second
    expect(at({ principal: Date.UTC(2026, 11, 1, 9, 30) }, Date.UTC(2026, 11, 1, 9, 29, 59, 999))(value)).toBe("revoked");
    expect(at({ principal: Date.UTC(2026, 11, 1, 9, 30) }, Date.UTC(2026, 11, 1, 9, 30))(value)).toBe("valid");
  });

  it("refuses an exchanged token made after the cut-off from a parent made before it", () => {
    expect(at({ principal: t }, t - 60_000, t + 60_000)(child)).toBe("revoked");
    expect(at({ principal: t }, t + 1000, t + 60_000)(child)).toBe("valid");
  });
});
