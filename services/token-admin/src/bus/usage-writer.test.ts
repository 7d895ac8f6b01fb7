import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { UsageBatchSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { displayAddress, displayRoute } from "./reported-origin.js";
import { usesFromBatches } from "./usage-writer.js";

const id = "5d0c2f4e-0000-4000-8000-000000000001";
const nowMs = Date.UTC(2026, 11, 1, 12);
const batch = (sources: { surface: string; address: string; route?: string; first: number; last: number; count: number; previousValue?: boolean }[]) =>
  toBinary(UsageBatchSchema, create(UsageBatchSchema, {
    validatorId: "v",
    uses: [{ tokenId: id, lastUsedAtMs: BigInt(nowMs), source: "grpc", sources: sources.map((s) => ({ surface: s.surface, address: s.address, route: s.route ?? "", firstSeenMs: BigInt(s.first), lastSeenMs: BigInt(s.last), count: s.count, previousValue: s.previousValue ?? false })) }],
  }));

describe("usage batches → sources", () => {
  it("shows addresses and routes as people read them, and drops what is not one", () => {
    expect(displayAddress("grpc", "127.0.0.1:51234")).toBe("127.0.0.1");
    expect(displayAddress("grpc", "::ffff:10.1.2.3:443")).toBe("10.1.2.3");
    expect(displayAddress("grpc", "::1:9000")).toBe("::1");
    expect(displayAddress("forward_auth", "203.0.113.9, 10.0.0.1")).toBe("203.0.113.9");
    expect(displayAddress("forward_auth", "<script>")).toBe("");
    expect(displayRoute("/orders/7?page=2#x")).toBe("/orders/7");
    expect(displayRoute("/a\u0000b")).toBe("");
    expect(displayRoute(`/${"x".repeat(500)}`)).toHaveLength(200);
  });

  it("merges one source across batches and validators, bounds the sources per token, and finds previous-value uses", () => {
    const t = nowMs - 60_000;
    const round = usesFromBatches(
      [
        batch([{ surface: "grpc", address: "10.0.0.1:5000", first: t, last: t + 10, count: 2 }, { surface: "grpc", address: "10.0.0.2:1", first: t, last: t + 1, count: 1 }]),
        batch([{ surface: "grpc", address: "10.0.0.1:6000", first: t - 5, last: t + 20, count: 3 }, { surface: "forward_auth", address: "203.0.113.9", route: "/x?y", first: t, last: t + 30, count: 1, previousValue: true }]),
        batch([{ surface: "bogus", address: "1.1.1.1", first: t, last: t, count: 1 }, { surface: "grpc", address: "10.0.0.3:1", first: nowMs + 3_600_000, last: nowMs + 3_600_000, count: 1 }]),
        new Uint8Array([0xff, 0xff]),
      ],
      2,
      nowMs,
    );
    expect(round.uses).toHaveLength(1);
    expect(round.sources.map((s) => [s.surface, s.address, s.route, s.count, s.previousValue])).toEqual([
      ["forward_auth", "203.0.113.9", "/x", 1, true],
      ["grpc", "10.0.0.1", "", 5, false],
    ]);
    expect(round.sources[1]!.firstSeenAt.getTime()).toBe(t - 5);
    expect(round.previousValueUses).toEqual([{ tokenId: id, usedAt: new Date(t + 30) }]);
  });
});
