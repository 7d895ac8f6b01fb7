import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { CheckRequestSchema } from "@tessera/shared/gen/envoy/service/auth/v3/external_auth_pb";
import { readCheckRequest, type CheckFacts } from "./check-request-reader.js";

const authorization = new TextEncoder().encode("authorization");
const limits = { maxHeaders: 200, maxHeaderBytes: 96 * 1024 };

/** The same facts read the slow way: the generated message, decoded whole. */
function factsByGeneratedCode(bytes: Uint8Array): CheckFacts {
  const request = fromBinary(CheckRequestSchema, bytes);
  const http = request.attributes?.request?.http;
  const raw = http?.headerMap?.headers.filter((h) => h.key === "authorization").map((h) => (h.value !== "" ? h.value : Buffer.from(h.rawValue).toString("latin1")));
  return {
    overLimit: false,
    http: http !== undefined,
    method: http?.method ?? "",
    path: http?.path ?? "",
    credential: http?.headers["authorization"] ?? (raw && raw.length > 0 ? raw.join(",") : undefined),
    scope: request.attributes?.contextExtensions["scope"],
  };
}

const cases: Record<string, MessageInitShape<typeof CheckRequestSchema>> = {
  empty: {},
  "no http": { attributes: { contextExtensions: { scope: "orders:read" } } },
  "headers map": {
    attributes: {
      request: { http: { method: "POST", path: "/orders?x=1", host: "h", headers: { accept: "*/*", authorization: "Bearer tsr_pat_x", "x-é": "ü" } } },
      contextExtensions: { other: "1", scope: "orders:write" },
    },
  },
  "raw header_map with repeats": {
    attributes: {
      request: {
        http: {
          method: "GET",
          path: "/",
          headerMap: {
            headers: [
              { key: "authorization", rawValue: Buffer.from("Bearer a\u00ff", "latin1") },
              { key: "accept", rawValue: Buffer.from("*/*") },
              { key: "authorization", value: "Bearer b" },
            ],
          },
        },
      },
    },
  },
  "empty scope extension": { attributes: { request: { http: { path: "/x" } }, contextExtensions: { scope: "" } } },
};

describe("readCheckRequest", () => {
  for (const [name, init] of Object.entries(cases)) {
    it(`reads what the generated CheckRequest holds: ${name}`, () => {
      const bytes = toBinary(CheckRequestSchema, create(CheckRequestSchema, init));
      expect(readCheckRequest(bytes, authorization, limits)).toEqual(factsByGeneratedCode(bytes));
      // Reading the trace context too changes nothing else.
      const { traceparent: _parent, tracestate: _state, ...traced } = readCheckRequest(bytes, authorization, limits, true);
      expect(traced).toEqual(factsByGeneratedCode(bytes));
    });
  }

  it("skips fields outside the subset and merges repeated embedded messages as protobuf does", () => {
    const request = create(CheckRequestSchema, cases["headers map"]!);
    const peer = new BinaryWriter().tag(2, WireType.LengthDelimited).string("frontend").finish();
    request.attributes!.$unknown = [
      { no: 1, wireType: WireType.LengthDelimited, data: new BinaryWriter().bytes(peer).finish() },
      { no: 99, wireType: WireType.Varint, data: new BinaryWriter().uint64(12345n).finish() },
      { no: 98, wireType: WireType.Bit64, data: new BinaryWriter().fixed64(1n).finish() },
    ];
    const later = toBinary(CheckRequestSchema, create(CheckRequestSchema, { attributes: { request: { http: { path: "/later" } } } }));
    const bytes = new Uint8Array([...toBinary(CheckRequestSchema, request), ...later]);
    const facts = readCheckRequest(bytes, authorization, limits);
    expect(facts).toEqual(factsByGeneratedCode(bytes));
    expect(facts).toMatchObject({ method: "POST", path: "/later", credential: "Bearer tsr_pat_x", scope: "orders:write" });
  });

  it("reads the W3C trace context only when asked, from the headers map or the raw header_map", () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const fromMap = toBinary(CheckRequestSchema, create(CheckRequestSchema, { attributes: { request: { http: { path: "/", headers: { traceparent, tracestate: "a=1", authorization: "Bearer t" } } } } }));
    expect(readCheckRequest(fromMap, authorization, limits)).toEqual(factsByGeneratedCode(fromMap));
    expect(readCheckRequest(fromMap, authorization, limits, true)).toMatchObject({ credential: "Bearer t", traceparent, tracestate: "a=1" });
    const fromRaw = toBinary(
      CheckRequestSchema,
      create(CheckRequestSchema, {
        attributes: { request: { http: { path: "/", headerMap: { headers: [{ key: "traceparent", rawValue: Buffer.from(traceparent) }, { key: "authorization", value: "Bearer u" }] } } } },
      }),
    );
    expect(readCheckRequest(fromRaw, authorization, limits, true)).toMatchObject({ credential: "Bearer u", traceparent, tracestate: undefined });
    const none = toBinary(CheckRequestSchema, create(CheckRequestSchema, cases["headers map"]!));
    expect(readCheckRequest(none, authorization, limits, true)).toMatchObject({ traceparent: undefined, credential: "Bearer tsr_pat_x" });
  });

  it("throws on truncated input, as fromBinary does", () => {
    const bytes = toBinary(CheckRequestSchema, create(CheckRequestSchema, cases["headers map"]!));
    expect(() => readCheckRequest(bytes.subarray(0, bytes.length - 3), authorization, limits)).toThrow();
  });

  describe("bounds", () => {
    const withHeaders = (count: number, valueBytes = 0) => {
      const headers: Record<string, string> = { authorization: "Bearer tsr_pat_x" };
      for (let i = 1; i < count; i++) headers[`x-h${i}`] = "v".repeat(valueBytes);
      return toBinary(CheckRequestSchema, create(CheckRequestSchema, { attributes: { request: { http: { method: "GET", path: "/", headers } } } }));
    };
    const small = { maxHeaders: 10, maxHeaderBytes: 1024 };

    it("reads up to maxHeaders headers and marks one more as over the limit, unread", () => {
      expect(readCheckRequest(withHeaders(10), authorization, small)).toMatchObject({ overLimit: false, credential: "Bearer tsr_pat_x" });
      expect(readCheckRequest(withHeaders(11), authorization, small)).toEqual({ overLimit: true, http: false, method: "", path: "", credential: undefined, scope: undefined });
    });

    it("counts header_map entries with the headers map", () => {
      const headerMap = { headers: Array.from({ length: 6 }, (_, i) => ({ key: `x-r${i}`, value: "v" })) };
      const bytes = toBinary(CheckRequestSchema, create(CheckRequestSchema, { attributes: { request: { http: { headers: { a: "1", b: "2", c: "3", d: "4", e: "5" }, headerMap } } } }));
      expect(readCheckRequest(bytes, authorization, small).overLimit).toBe(true);
      expect(readCheckRequest(bytes, authorization, { ...small, maxHeaders: 11 }).overLimit).toBe(false);
    });

    it("marks headers past maxHeaderBytes, names and values together", () => {
      expect(readCheckRequest(withHeaders(5, 150), authorization, small).overLimit).toBe(false);
      expect(readCheckRequest(withHeaders(5, 300), authorization, small).overLimit).toBe(true);
    });

    it("stops at a field budget however the fields are spread: tiny unknown fields, groups", () => {
      const tiny = new BinaryWriter();
      for (let i = 0; i < 40_000; i++) tiny.tag(99, WireType.Varint).uint32(0);
      const inHttp = new BinaryWriter().tag(1, WireType.LengthDelimited).fork().tag(4, WireType.LengthDelimited).fork().tag(2, WireType.LengthDelimited).bytes(tiny.finish()).join().join().finish();
      expect(readCheckRequest(inHttp, authorization, limits).overLimit).toBe(true);
      const atTop = new BinaryWriter();
      for (let i = 0; i < 40_000; i++) atTop.tag(9, WireType.Varint).uint32(0);
      expect(readCheckRequest(atTop.finish(), authorization, limits).overLimit).toBe(true);
      // A group is skipped by reading all it holds, outside any budget: not read at all.
      const group = new BinaryWriter().tag(7, WireType.StartGroup).tag(1, WireType.Varint).uint32(1).tag(7, WireType.EndGroup).finish();
      expect(readCheckRequest(group, authorization, limits).overLimit).toBe(true);
      // A few hundred unknown fields, as Envoy's peers and metadata might carry, stay within it.
      const some = new BinaryWriter();
      for (let i = 0; i < 200; i++) some.tag(9, WireType.Varint).uint32(i);
      expect(readCheckRequest(some.finish(), authorization, limits).overLimit).toBe(false);
    });

    it("a Check as Envoy sends it, with 100 headers of 600 bytes (Envoy's default limits), is read in full", () => {
      const bytes = withHeaders(100, 600);
      expect(bytes.length).toBeGreaterThan(60_000);
      expect(readCheckRequest(bytes, authorization, limits)).toMatchObject({ overLimit: false, credential: "Bearer tsr_pat_x" });
    });
  });
});
