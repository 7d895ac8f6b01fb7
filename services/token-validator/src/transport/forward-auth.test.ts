import { create } from "@bufbuild/protobuf";
import { namedUuid } from "@tessera/test-support/named-uuid";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ChangeRecordSchema, TokenState, type ChangeRecord } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { createDigestKeyer, createDigester } from "@tessera/shared/token/token-digest";
import { defaultTokenFormat, generateToken } from "@tessera/shared/token/token-format";
import type { DecisionContext } from "../domain/decide.js";
import type { FreshnessReading } from "../domain/freshness.js";
import { Replica } from "../domain/replica.js";
import { forwardAuth } from "./forward-auth.js";
import { createRouteTable } from "./route-table.js";

const pepper = "forward-auth-test-pepper-forward-auth-test";
const digest = createDigester(pepper);
const names = { tokenId: "x-tessera-token-id", owner: "x-tessera-owner-id", organisation: "x-tessera-organisation-id", scopes: "x-tessera-scopes" };

const org = create(ChangeRecordSchema, { record: { case: "organisation", value: { id: "o1", apiTokensEnabled: true } } });
const principal = (id: string, permissions: string[]): ChangeRecord =>
  create(ChangeRecordSchema, { record: { case: "principal", value: { id, organisationId: "o1", permissions } } });
const token = (id: string, owner: string, value: string, state = TokenState.ACTIVE, more: { expiresAtMs?: bigint; previous?: string; previousExpiresAtMs?: bigint } = {}): ChangeRecord =>
  create(ChangeRecordSchema, {
    record: {
      case: "token",
      value: {
        id: namedUuid(id),
        digest: digest(value),
        ownerId: owner,
        organisationId: "o1",
        scopes: ["orders:read", "orders:write"],
        state,
        kind: TokenKind.PERSONAL,
        level: TokenLevel.USER,
        expiresAtMs: more.expiresAtMs ?? 0n,
        previousDigest: more.previous === undefined ? new Uint8Array() : digest(more.previous),
        previousDigestExpiresAtMs: more.previousExpiresAtMs ?? 0n,
      },
    },
  });

/** Calls the handler as node:http would and returns what it wrote. */
function call(handler: ReturnType<typeof forwardAuth>, value: string, uri = "/orders/1"): { status: number; headers: Record<string, string>; body: string } {
  let status = 0;
  let flat: string[] = [];
  const res = {
    writeHead(code: number, headers: string[]) {
      status = code;
      flat = [...headers];
      return this;
    },
    end(text?: string) {
      body = text ?? "";
    },
  };
  let body = "";
  const req = { method: "GET", socket: { remoteAddress: "127.0.0.1" }, rawHeaders: ["Authorization", `Bearer ${value}`, "X-Original-Method", "GET", "X-Original-URI", uri] };
  handler(req as never, res as never, "/auth");
  const headers: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) headers[flat[i]!] = flat[i + 1]!;
  return { status, headers, body };
}

describe("forward-auth's 200 headers", () => {
  it("are each token's own, and follow every change the feed applies (a new seq), never a stale copy", () => {
    const alice = generateToken();
    const bob = generateToken();
    const replica = new Replica();
    replica.applyEvent(1n, [org, principal("p1", ["orders:read", "orders:write"]), principal("p2", ["orders:read"]), token("t1", "p1", alice), token("t2", "p2", bob)]);
    const ctx: DecisionContext = { replica, digestKey: createDigestKeyer(pepper), freshness: () => ({ state: "current", stalenessMs: 0, detail: "", loaded: true }), failOpen: false, tokenFormat: defaultTokenFormat };
    const meter = { latency() {}, refused() {} };
    const handler = forwardAuth(ctx, () => {}, { tokenHeader: "authorization", identityHeaders: names, routes: createRouteTable([]) }, meter);

    expect(call(handler, alice).headers).toMatchObject({ "x-tessera-token-id": namedUuid("t1"), "x-tessera-owner-id": "p1", "x-tessera-scopes": "orders:read orders:write" });
    expect(call(handler, bob).headers).toMatchObject({ "x-tessera-token-id": namedUuid("t2"), "x-tessera-owner-id": "p2", "x-tessera-scopes": "orders:read" });
    expect(call(handler, alice).headers["x-tessera-token-id"]).toBe(namedUuid("t1"));

    // The owner loses a permission: the next answer says so at once.
    replica.applyEvent(2n, [principal("p1", ["orders:read"])]);
    expect(call(handler, alice).headers).toMatchObject({ "x-tessera-token-id": namedUuid("t1"), "x-tessera-scopes": "orders:read" });
    // And a revocation is a refusal, not a cached 200.
    replica.applyEvent(3n, [token("t1", "p1", alice, TokenState.REVOKED)]);
    expect(call(handler, alice).status).toBe(401);
    expect(call(handler, bob)).toMatchObject({ status: 200, headers: { "x-tessera-token-id": namedUuid("t2") } });
  });
});

describe("forward-auth's use origin", () => {
  it("is the proxy's X-Forwarded-For, else the peer's address, as node:http gives it", () => {
    const value = generateToken();
    const replica = new Replica();
    replica.applyEvent(1n, [org, principal("p1", ["orders:read"]), token("t1", "p1", value)]);
    const ctx: DecisionContext = { replica, digestKey: createDigestKeyer(pepper), freshness: () => ({ state: "current", stalenessMs: 0, detail: "", loaded: true }), failOpen: false, tokenFormat: defaultTokenFormat };
    const seen: string[] = [];
    const handler = forwardAuth(ctx, (_decision, _surface, _now, origin) => seen.push(`${origin.address} ${origin.route}`), { tokenHeader: "authorization", identityHeaders: names, routes: createRouteTable([]) }, { latency() {}, refused() {} });
    const res = { writeHead: () => res, end() {} };
    const ask = (peer: string | undefined, more: string[]) =>
      handler({ method: "GET", socket: { remoteAddress: peer }, rawHeaders: ["Authorization", `Bearer ${value}`, "X-Original-URI", "/orders/1", ...more] } as never, res as never, "/auth");
    ask("10.0.0.7", []);
    ask("10.0.0.7", ["X-Forwarded-For", "203.0.113.9"]);
    ask(undefined, []); // a Unix-domain socket's peer has no address
    expect(seen).toEqual(["10.0.0.7 /orders/1", "203.0.113.9 /orders/1", " /orders/1"]);
  });
});

const current: FreshnessReading = Object.freeze({ state: "current", stalenessMs: 0, detail: "", loaded: true });
const stale: FreshnessReading = Object.freeze({ state: "stale", stalenessMs: 60_000, detail: "not proven current within max staleness", loaded: true });

/**
 * A handler over a replica the test drives, with a route that needs
 * orders:write under /admin, and a count of the values hashed under the
 * pepper: decide() hashes each value it looks up, a remembered 200 does not.
 */
function remembering(options: { failOpen?: boolean } = {}) {
  const replica = new Replica();
  const keyer = createDigestKeyer(pepper);
  let freshness = current;
  const state = { lookups: 0, replica };
  const ctx: DecisionContext = {
    get replica() {
      return state.replica;
    },
    digestKey: (value) => {
      state.lookups++;
      return keyer(value);
    },
    freshness: () => freshness,
    failOpen: options.failOpen ?? false,
    tokenFormat: defaultTokenFormat,
  };
  const routes = createRouteTable([{ method: undefined, prefix: "/admin", scope: "orders:write", caseSensitive: true }]);
  const handler = forwardAuth(ctx, () => {}, { tokenHeader: "authorization", identityHeaders: names, routes }, { latency() {}, refused() {} });
  return {
    state,
    handler,
    setFreshness(reading: FreshnessReading) {
      freshness = reading;
    },
    /** Calls twice; true if the second answer came from what the first remembered. */
    remembered(value: string): boolean {
      call(handler, value);
      const before = state.lookups;
      call(handler, value);
      return state.lookups === before;
    },
  };
}

describe("forward-auth's remembered 200s", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("are refused on the very next request once the replica has applied a revocation, a disabled owner, a lost permission or a cut-off", () => {
    const feedEvents: [string, (value: string) => ChangeRecord[], number, string][] = [
      ["revocation", (value) => [token("t1", "p1", value, TokenState.REVOKED)], 401, "revoked"],
      ["disabled token", (value) => [token("t1", "p1", value, TokenState.DISABLED)], 401, "disabled"],
      ["owner disabled", () => [create(ChangeRecordSchema, { record: { case: "principal", value: { id: "p1", organisationId: "o1", disabled: true } } })], 401, "owner_disabled"],
      ["tokens disabled in the organisation", () => [create(ChangeRecordSchema, { record: { case: "organisation", value: { id: "o1", apiTokensEnabled: false } } })], 401, "tokens_disabled"],
      ["an incident cut-off", () => [create(ChangeRecordSchema, { record: { case: "principal", value: { id: "p1", organisationId: "o1", permissions: ["orders:read", "orders:write"], tokensNotBeforeMs: BigInt(Date.now() + 60_000) } } })], 401, "revoked"],
    ];
    for (const [what, records, status, code] of feedEvents) {
      const alice = generateToken();
      const { state, handler, remembered } = remembering();
      state.replica.applyEvent(1n, [org, principal("p1", ["orders:read", "orders:write"]), token("t1", "p1", alice)]);
      expect(remembered(alice), what).toBe(true);
      state.replica.applyEvent(2n, records(alice));
      expect(call(handler, alice), what).toMatchObject({ status, body: JSON.stringify({ code }) });
    }
  });

  it("follow a permission lost by the owner at once: the next request to a route needing it is refused", () => {
    const alice = generateToken();
    const { state, handler, remembered } = remembering();
    state.replica.applyEvent(1n, [org, principal("p1", ["orders:read", "orders:write"]), token("t1", "p1", alice)]);
    expect(call(handler, alice, "/admin/x").status).toBe(200);
    expect(remembered(alice)).toBe(true);
    state.replica.applyEvent(2n, [principal("p1", ["orders:read"])]);
    expect(call(handler, alice, "/admin/x")).toMatchObject({ status: 403, body: JSON.stringify({ code: "insufficient_scope" }) });
    expect(call(handler, alice).headers["x-tessera-scopes"]).toBe("orders:read");
  });

  it("are refused with 503 while the validator is stale, and given again once it is proven current", () => {
    const alice = generateToken();
    const { state, handler, remembered, setFreshness } = remembering();
    state.replica.applyEvent(1n, [org, principal("p1", ["orders:read"]), token("t1", "p1", alice)]);
    expect(remembered(alice)).toBe(true);
    setFreshness(stale);
    expect(call(handler, alice)).toMatchObject({ status: 503, body: JSON.stringify({ code: "stale" }) });
    setFreshness(current);
    expect(remembered(alice)).toBe(true);
    expect(call(handler, alice).status).toBe(200);
  });

  it("stop at the token's expiry, and at the end of a replaced value's grace, read from the clock per answer", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.UTC(2030, 0, 1);
    vi.setSystemTime(start);
    const alice = generateToken();
    const replaced = generateToken();
    const { state, handler, remembered } = remembering();
    state.replica.applyEvent(1n, [org, principal("p1", ["orders:read"]), token("t1", "p1", alice, TokenState.ACTIVE, { expiresAtMs: BigInt(start + 10_000), previous: replaced, previousExpiresAtMs: BigInt(start + 5_000) })]);
    expect(remembered(alice)).toBe(true);
    expect(remembered(replaced)).toBe(true);
    vi.setSystemTime(start + 4_999);
    expect(call(handler, replaced).status).toBe(200);
    vi.setSystemTime(start + 5_000);
    expect(call(handler, replaced)).toMatchObject({ status: 401, body: JSON.stringify({ code: "revoked" }) });
    expect(call(handler, alice).status).toBe(200);
    vi.setSystemTime(start + 9_999);
    expect(call(handler, alice).status).toBe(200);
    vi.setSystemTime(start + 10_000);
    expect(call(handler, alice)).toMatchObject({ status: 401, body: JSON.stringify({ code: "expired" }) });
  });

  it("belong to one replica: a fresh one (a reload) at the same seq decides again", () => {
    const alice = generateToken();
    const { state, handler, remembered } = remembering();
    state.replica.applyEvent(5n, [org, principal("p1", ["orders:read"]), token("t1", "p1", alice)]);
    expect(remembered(alice)).toBe(true);
    const reloaded = new Replica();
    reloaded.applyEvent(5n, [org, principal("p1", ["orders:read"]), token("t1", "p1", alice, TokenState.REVOKED)]);
    state.replica = reloaded;
    expect(call(handler, alice).status).toBe(401);
  });

  it("are never made of refusals: an unknown value is looked up every time", () => {
    const { state, remembered } = remembering();
    state.replica.applyEvent(1n, [org]);
    expect(remembered(generateToken())).toBe(false);
  });
});
