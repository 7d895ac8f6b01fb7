import { create } from "@bufbuild/protobuf";
import { namedUuid } from "@tessera/test-support/named-uuid";
import { describe, expect, it } from "vitest";
import { ChangeRecordSchema, TokenState, type ChangeRecord } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { createLogger } from "@tessera/shared/log/logger";
import { createDigestKeyer, createDigester } from "@tessera/shared/token/token-digest";
import { defaultTokenFormat, generateToken } from "@tessera/shared/token/token-format";
import { decide, type DecisionContext } from "./decide.js";
import type { FreshnessReading } from "./freshness.js";
import { Replica, tokenFlags } from "./replica.js";
import { ReplicaPruner } from "./replica-pruner.js";

const pepper = "pruner-test-pepper-pruner-test-pepper";
const digest = createDigester(pepper);
const current: FreshnessReading = { state: "current", stalenessMs: 0, detail: "", loaded: true };
const log = createLogger("silent", "test");
const retentionMs = 60_000;
const t0 = Date.UTC(2026, 11, 1, 12);

const org = create(ChangeRecordSchema, { record: { case: "organisation", value: { id: "o1", apiTokensEnabled: true } } });
const principal = (id: string, disabled = false, deleted = false): ChangeRecord =>
  create(ChangeRecordSchema, { record: { case: "principal", value: { id, organisationId: "o1", permissions: ["orders:read"], disabled, deleted } } });
function token(id: string, value: string, f: { state?: TokenState; expiresAtMs?: number; parent?: string; previous?: { value: string; expiresAtMs: number }; owner?: string; kind?: TokenKind; scopes?: string[] } = {}): ChangeRecord {
  return create(ChangeRecordSchema, {
    record: {
      case: "token",
      value: {
        id: namedUuid(id), digest: digest(value), ownerId: f.owner ?? "p1", organisationId: "o1", scopes: f.scopes ?? ["orders:read"], state: f.state ?? TokenState.ACTIVE,
        expiresAtMs: BigInt(f.expiresAtMs ?? 0), kind: f.kind ?? (f.parent ? TokenKind.EXCHANGED : TokenKind.PERSONAL), level: TokenLevel.USER,
        parentTokenId: f.parent ? namedUuid("parent") : "", parentDigest: f.parent ? digest(f.parent) : new Uint8Array(0),
        previousDigest: f.previous ? digest(f.previous.value) : new Uint8Array(0), previousDigestExpiresAtMs: BigInt(f.previous?.expiresAtMs ?? 0),
      },
    },
  });
}

/** A replica, a pruner on a clock the test moves, and decisions at that clock. */
function setup(records: ChangeRecord[]) {
  const replica = new Replica();
  replica.applyEvent(1n, [org, principal("p1"), ...records]);
  let nowMs = t0;
  const pruner = new ReplicaPruner({ replica: () => replica, retentionMs, intervalMs: 1000, now: () => nowMs, log });
  const ctx: DecisionContext = { replica, digestKey: createDigestKeyer(pepper), freshness: () => current, failOpen: false, tokenFormat: defaultTokenFormat };
  return {
    replica,
    pruner,
    at: (ms: number) => (nowMs = ms),
    code: (value: string) => decide(ctx, value, "", nowMs).code,
  };
}

describe("replica pruner", () => {
  it("keeps a revoked token answering REVOKED for the retention, then lets it go (NOT_FOUND)", async () => {
    const [live, revoked] = [generateToken(), generateToken()];
    const r = setup([token("live", live), token("revoked", revoked, { state: TokenState.REVOKED })]);
    expect(await r.pruner.sweep()).toEqual({ live: 1, retained: 1, dropped: 0 });
    expect(r.replica.retainedCount).toBe(1);
    r.at(t0 + retentionMs - 1000);
    await r.pruner.sweep();
    expect(r.code(revoked)).toBe("revoked");
    r.at(t0 + retentionMs + 1000);
    expect(await r.pruner.sweep()).toEqual({ live: 1, retained: 0, dropped: 1 });
    expect(r.code(revoked)).toBe("not_found");
    expect(r.code(live)).toBe("valid");
    expect(r.replica.tokenCount).toBe(1);
  });

  it("drops an expired token the retention after its expiry, and a dead session at once", async () => {
    const [expiring, session] = [generateToken(), generateToken()];
    const r = setup([token("expiring", expiring, { expiresAtMs: t0 + 10_000 }), token("session", session, { kind: TokenKind.SESSION, state: TokenState.REVOKED })]);
    expect(await r.pruner.sweep()).toEqual({ live: 1, retained: 0, dropped: 1 });
    r.at(t0 + 10_000 + retentionMs - 1000);
    expect(await r.pruner.sweep()).toMatchObject({ retained: 1, dropped: 0 });
    expect(r.code(expiring)).toBe("expired");
    r.at(t0 + 10_000 + retentionMs + 1000);
    expect(await r.pruner.sweep()).toMatchObject({ retained: 0, dropped: 1 });
    expect(r.code(expiring)).toBe("not_found");
    expect(r.replica.tokenCount).toBe(0);
  });

  it("drops children of a dead parent once the retention has passed since the sweep first saw them dead", async () => {
    const [parent, child, orphan] = [generateToken(), generateToken(), generateToken()];
    const r = setup([token("parent", parent), token("child", child, { parent, expiresAtMs: t0 + 3_600_000 })]);
    r.replica.applyEvent(2n, [token("parent", parent, { state: TokenState.DELETED }), token("orphan", orphan, { parent: generateToken(), expiresAtMs: t0 + 3_600_000 })]);
    expect(r.code(child)).toBe("revoked");
    expect(await r.pruner.sweep()).toEqual({ live: 0, retained: 2, dropped: 0 });
    r.at(t0 + retentionMs + 1000);
    expect(await r.pruner.sweep()).toEqual({ live: 0, retained: 0, dropped: 2 });
    expect(r.code(child)).toBe("not_found");
    expect(r.replica.tokenCount).toBe(0);
  });

  it("drops a regenerated value the retention after its grace ended, keeping the token under its new value", async () => {
    const [old, fresh] = [generateToken(), generateToken()];
    const r = setup([token("t", fresh, { previous: { value: old, expiresAtMs: t0 + 5000 } })]);
    r.at(t0 + 6000);
    await r.pruner.sweep();
    expect(r.code(old)).toBe("revoked");
    r.at(t0 + 5000 + retentionMs + 1000);
    expect(await r.pruner.sweep()).toEqual({ live: 1, retained: 0, dropped: 1 });
    expect(r.code(old)).toBe("not_found");
    expect(r.code(fresh)).toBe("valid");
    expect(r.replica.table.indexed).toBe(1);
    // A later record of the token still finds it, by its current digest.
    r.replica.applyEvent(3n, [token("t", fresh, { previous: { value: old, expiresAtMs: t0 + 5000 }, state: TokenState.REVOKED })]);
    expect(r.code(fresh)).toBe("revoked");
    expect(r.replica.tokenCount).toBe(1);
  });

  it("keeps disabled tokens (reversible) and holds no disabled or deleted principal", async () => {
    const value = generateToken();
    const r = setup([token("disabled", value, { state: TokenState.DISABLED })]);
    r.at(t0 + 10 * retentionMs);
    expect(await r.pruner.sweep()).toEqual({ live: 1, retained: 0, dropped: 0 });
    r.replica.applyEvent(2n, [principal("p2"), principal("p3")]);
    expect(r.replica.principals.size).toBe(3);
    r.replica.applyEvent(3n, [principal("p2", true), principal("p3", false, true)]);
    expect([...r.replica.principals.keys()]).toEqual(["p1"]);
  });

  it("lets go of owners and scope sets with the last token that used them", async () => {
    const values = Array.from({ length: 50 }, () => generateToken());
    const r = setup(values.map((value, i) => token(`t${i}`, value, { owner: `owner-${i}`, scopes: [`orders:s${i}`], state: i === 0 ? TokenState.ACTIVE : TokenState.REVOKED })));
    expect(r.replica.cacheSizes).toEqual({ holders: 50, scopeSets: 50, profiles: 50 });
    await r.pruner.sweep();
    r.at(t0 + retentionMs + 1000);
    await r.pruner.sweep();
    expect(r.replica.tokenCount).toBe(1);
    // owner-0's holder and its scopes remain.
    expect(r.replica.cacheSizes).toEqual({ holders: 1, scopeSets: 1, profiles: 1 });
  });

  it("sweeps in slices: other work runs between them", async () => {
    const r = setup([]);
    const facts = { id: "", digest: new Uint8Array(0), previousDigest: new Uint8Array(0), previousExpiresAt: 0, flags: tokenFlags(TokenState.REVOKED, TokenKind.PERSONAL, TokenLevel.USER, false, false), parentDigest: new Uint8Array(0), ownerId: "p1", organisationId: "o1", groupId: "", scopes: ["orders:read"], expiresAt: 0, createdAt: 0 };
    for (let i = 0; i < 50_000; i++) r.replica.applyTokenFacts({ ...facts, id: namedUuid(`t${i}`), digest: digest(`v${i}`) });
    await r.pruner.sweep(); // notes them dead
    r.at(t0 + retentionMs + 1000);
    let turns = 0;
    const ticker = () => {
      turns++;
      if (!done) setImmediate(ticker);
    };
    let done = false;
    setImmediate(ticker);
    const result = await r.pruner.sweep();
    done = true;
    expect(result).toMatchObject({ dropped: 50_000 });
    // 50,000 entries cannot be dropped in one 2 ms slice: the event loop turned meanwhile.
    expect(turns).toBeGreaterThan(1);
    expect(r.replica.table.indexed).toBe(0);
  });
});
