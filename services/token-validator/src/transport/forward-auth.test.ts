import { create } from "@bufbuild/protobuf";
import { namedUuid } from "@tessera/test-support/named-uuid";
import { describe, expect, it } from "vitest";
import { ChangeRecordSchema, TokenState, type ChangeRecord } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { createDigestKeyer, createDigester } from "@tessera/shared/token/token-digest";
import { defaultTokenFormat, generateToken } from "@tessera/shared/token/token-format";
import type { DecisionContext } from "../domain/decide.js";
import { Replica } from "../domain/replica.js";
import { forwardAuth } from "./forward-auth.js";
import { createRouteTable } from "./route-table.js";

const pepper = "forward-auth-test-pepper-forward-auth-test";
const digest = createDigester(pepper);
const names = { tokenId: "x-tessera-token-id", owner: "x-tessera-owner-id", organisation: "x-tessera-organisation-id", scopes: "x-tessera-scopes" };

const org = create(ChangeRecordSchema, { record: { case: "organisation", value: { id: "o1", apiTokensEnabled: true } } });
const principal = (id: string, permissions: string[]): ChangeRecord =>
  create(ChangeRecordSchema, { record: { case: "principal", value: { id, organisationId: "o1", permissions } } });
const token = (id: string, owner: string, value: string, state = TokenState.ACTIVE): ChangeRecord =>
  create(ChangeRecordSchema, {
    record: { case: "token", value: { id: namedUuid(id), digest: digest(value), ownerId: owner, organisationId: "o1", scopes: ["orders:read", "orders:write"], state, kind: TokenKind.PERSONAL, level: TokenLevel.USER } },
  });

/** Calls the handler as node:http would and returns what it wrote. */
function call(handler: ReturnType<typeof forwardAuth>, value: string): { status: number; headers: Record<string, string> } {
  let status = 0;
  let flat: string[] = [];
  const res = {
    writeHead(code: number, headers: string[]) {
      status = code;
      flat = [...headers];
      return this;
    },
    end() {},
  };
  const req = { method: "GET", socket: { remoteAddress: "127.0.0.1" }, rawHeaders: ["Authorization", `Bearer ${value}`, "X-Original-Method", "GET", "X-Original-URI", "/orders/1"] };
  handler(req as never, res as never, "/auth");
  const headers: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) headers[flat[i]!] = flat[i + 1]!;
  return { status, headers };
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
