import { describe, expect, it } from "vitest";
import type { Decision } from "./decide.js";
import { create } from "@bufbuild/protobuf";
import { ChangeRecordSchema, TokenState } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { Replica } from "./replica.js";
import { UsageRecorder } from "./usage-recorder.js";

const replica = new Replica();
replica.applyRecord(create(ChangeRecordSchema, { record: { case: "token", value: { id: "5d0c2f4e-0000-4000-8000-000000000001", digest: new Uint8Array(32).fill(1), ownerId: "p1", organisationId: "o1", state: TokenState.ACTIVE, kind: TokenKind.PERSONAL, level: TokenLevel.USER } } }));
const token = [...replica.tokens()][0]!;
const freshness = { state: "current", stalenessMs: 0, detail: "", loaded: true } as const;
const decision = (valid: boolean, previousValue = false): Decision =>
  valid
    ? { valid, code: "valid", token, scopes: [], seq: 1n, freshness, honeytoken: undefined, previousValue }
    : { valid, code: "revoked", token, scopes: [], seq: 1n, freshness, honeytoken: undefined, previousValue };
const from = (address: string, route = "") => ({ address, route });

describe("UsageRecorder", () => {
  it("counts a repeated source in place and keeps first and last seen", () => {
    const recorder = new UsageRecorder(3);
    recorder.observe(decision(true), "grpc", 1000, from("10.0.0.1:5000"));
    recorder.observe(decision(true), "grpc", 3000, from("10.0.0.1:5000"));
    recorder.observe(decision(true), "grpc", 2000, from("10.0.0.1:5000"));
    const [seen] = recorder.drain();
    expect(seen).toMatchObject({ lastUsedAtMs: 3000, source: "grpc" });
    expect(seen!.sources).toEqual([{ surface: "grpc", address: "10.0.0.1:5000", route: "", previousValue: false, firstSeenMs: 1000, lastSeenMs: 3000, count: 3 }]);
    expect(recorder.pending).toBe(0);
  });

  it("tells the previous value's uses from the new value's, and ignores refusals", () => {
    const recorder = new UsageRecorder(3);
    recorder.observe(decision(true, true), "forward_auth", 1000, from("203.0.113.9", "/orders"));
    recorder.observe(decision(true, false), "forward_auth", 1001, from("203.0.113.9", "/orders"));
    recorder.observe(decision(false, true), "forward_auth", 1002, from("198.51.100.1", "/orders"));
    const [seen] = recorder.drain();
    expect(seen!.sources.map((s) => [s.address, s.previousValue, s.count])).toEqual([["203.0.113.9", true, 1], ["203.0.113.9", false, 1]]);
  });

  it("holds at most its bound per token, replacing the least recently seen", () => {
    const recorder = new UsageRecorder(3);
    for (let i = 0; i < 10; i++) recorder.observe(decision(true), "ext_authz", 1000 + i, from("envoy", `/r/${i}`));
    // r/9 seen again: counted in place, not a new slot.
    recorder.observe(decision(true), "ext_authz", 2000, from("envoy", "/r/9"));
    const [seen] = recorder.drain();
    expect(seen!.sources).toHaveLength(3);
    expect(seen!.sources.map((s) => s.route).sort()).toEqual(["/r/7", "/r/8", "/r/9"]);
    expect(seen!.sources.find((s) => s.route === "/r/9")!.count).toBe(2);
  });
});
