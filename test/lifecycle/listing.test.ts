import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import type { AuditEvent } from "@tessera/shared/gen/tessera/v1/audit_pb";
import { TokenLevel, TokenStatus, type Token } from "@tessera/shared/gen/tessera/v1/token_pb";
import type { AdminClient } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";

describe("ListTokens and ListAuditEvents", () => {
  let d: Deployment;
  let orgId: string;
  let groupId: string;
  let ann: string;
  let ben: string;
  let annClient: AdminClient;
  let startedAt: Date;

  beforeAll(async () => {
    d = await startDeployment();
    startedAt = new Date();
    orgId = (await d.adminApi.createOrganisation({ name: "lists" })).organisation!.id;
    groupId = (await d.adminApi.createGroup({ organisationId: orgId, name: "ops" })).group!.id;
    const make = (name: string, g = "") => d.adminApi.createPrincipal({ organisationId: orgId, groupId: g, name, kind: PrincipalKind.HUMAN, role: Role.MEMBER, permissions: ["a:read", "b:read"] });
    ann = (await make("ann", groupId)).principal!.id;
    ben = (await make("ben")).principal!.id;
    annClient = d.as((await d.adminApi.createToken({ name: "ann admin", ownerId: ann, scopes: [], admin: true })).tokenValue);
    // Created concurrently, so several share a created_at millisecond: order must still be stable.
    await Promise.all(Array.from({ length: 12 }, (_, i) => d.adminApi.createToken({ name: `Batch ${i} Report`, ownerId: i % 2 ? ben : ann, scopes: ["a:read"] })));
    await annClient.createToken({ name: "made by ann", scopes: [], expiry: { kind: { case: "after", value: { amount: 1, unit: 2 } } } });
    await d.adminApi.createToken({ name: "org bot", scopes: [], level: TokenLevel.ORG, organisationId: orgId });
  });
  afterAll(() => d?.close());

  const all = async (client: AdminClient, request: object, pageSize = 5): Promise<Token[]> => {
    const tokens: Token[] = [];
    let pageToken = "";
    do {
      const page = await client.listTokens({ ...request, pageSize, pageToken });
      expect(page.tokens.length).toBeLessThanOrEqual(pageSize);
      tokens.push(...page.tokens);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return tokens;
  };

  it("pages through every token once, newest first, in a stable order", async () => {
    const paged = await all(d.adminApi, { organisationId: orgId }, 4);
    const whole = (await d.adminApi.listTokens({ organisationId: orgId, pageSize: 500 })).tokens;
    expect(paged.map((t) => t.id)).toEqual(whole.map((t) => t.id));
    expect(new Set(paged.map((t) => t.id)).size).toBe(paged.length);
    expect(paged.length).toBe(15);
    const times = paged.map((t) => Number(t.createTime!.seconds) * 1e9 + t.createTime!.nanos);
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("filters by owner, group, level, status, creator, name and expiry", async () => {
    const ids = async (request: object) => (await all(d.adminApi, { organisationId: orgId, ...request })).map((t) => t.name).sort();
    expect((await ids({ ownerId: ben })).length).toBe(6);
    expect(await ids({ groupId })).toEqual(expect.arrayContaining(["made by ann", "ann admin"]));
    expect((await ids({ groupId })).some((n) => n.startsWith("Batch 1 "))).toBe(false); // odd batches are ben's, in no group
    expect(await ids({ level: TokenLevel.ORG })).toEqual(["org bot"]);
    expect(await ids({ createdBy: ann })).toEqual(["made by ann"]);
    expect((await ids({ nameContains: "report" })).length).toBe(12); // case-insensitive
    expect(await ids({ nameContains: "%" })).toEqual([]); // wildcards are literal
    expect(await ids({ expiresBefore: timestampFromDate(new Date(Date.now() + 2 * 3600 * 1000)) })).toEqual(["made by ann"]);
    expect((await ids({ status: TokenStatus.ACTIVE })).length).toBe(15);
  });

  it("lists only what the caller may see, whatever the filter asks", async () => {
    const mine = await all(annClient, {});
    expect(new Set(mine.map((t) => t.ownerId))).toEqual(new Set([ann]));
    expect(await all(annClient, { ownerId: ben })).toEqual([]);
  });

  it("lists audit events by actor, token, organisation and time range, paginated", async () => {
    const made = await annClient.createToken({ name: "audited", scopes: [] });
    await annClient.revokeToken({ tokenId: made.token!.id });
    const byToken = (await d.adminApi.listAuditEvents({ tokenId: made.token!.id })).events;
    expect(byToken.map((e) => e.action)).toEqual(["token.revoke", "token.create"]);
    expect(byToken.every((e) => e.actorId === ann && e.organisationId === orgId)).toBe(true);
    expect(byToken[1]!.details).toMatchObject({ name: "audited", scopes: [] });
    const byActor = (await d.adminApi.listAuditEvents({ actorId: ann, pageSize: 500 })).events;
    expect(byActor.length).toBe(3);
    const inWindow = (await d.adminApi.listAuditEvents({ organisationId: orgId, startTime: timestampFromDate(startedAt), endTime: timestampFromDate(new Date(Date.now() + 1000)), pageSize: 500 })).events;
    const future = (await d.adminApi.listAuditEvents({ organisationId: orgId, startTime: timestampFromDate(new Date(Date.now() + 60_000)) })).events;
    expect(inWindow.length).toBeGreaterThan(15);
    expect(future).toEqual([]);
    // Paginated, newest first, each event once.
    const seen: AuditEvent[] = [];
    let pageToken = "";
    do {
      const page = await d.adminApi.listAuditEvents({ organisationId: orgId, pageSize: 7, pageToken });
      seen.push(...page.events);
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen.map((e) => e.id)).toEqual(inWindow.map((e) => e.id));
    // By time, then id (concurrent writers take ids in another order than times).
    const key = (e: AuditEvent) => [timestampDate(e.time!).getTime(), Number(e.id)] as const;
    const byTimeThenId = [...seen].sort((a, b) => key(b)[0] - key(a)[0] || key(b)[1] - key(a)[1]);
    expect(seen.map((e) => e.id)).toEqual(byTimeThenId.map((e) => e.id));
  });
});
