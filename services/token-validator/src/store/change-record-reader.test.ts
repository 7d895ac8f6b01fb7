import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { ChangeRecordSchema, PrincipalRecordSchema, TokenState } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { decodeChangeRecord, readPrincipalChange } from "./change-record-reader.js";

/** A seeded generator, so a failure repeats. */
function random(seed: number): () => number {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
}

const principal = (value: Parameters<typeof create<typeof PrincipalRecordSchema>>[1]) => create(ChangeRecordSchema, { record: { case: "principal", value: create(PrincipalRecordSchema, value) } });

describe("decoding a change record", () => {
  it("reads principals' records as fromBinary does, whatever fields they carry", () => {
    const next = random(5);
    const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)]!;
    for (let trial = 0; trial < 500; trial++) {
      const record = principal({
        id: pick(["", "p1", "00000000-0000-4000-8000-000000000005", "é ü 🔑"]),
        organisationId: pick(["", "o1", "00000000-0000-4000-8000-00000000000a"]),
        permissions: pick([[], ["orders:read"], ["orders:read", "orders:write", "*"], ["x".repeat(300)]]),
        disabled: next() < 0.5,
        deleted: next() < 0.5,
        groupId: pick(["", "g1"]),
        tokensNotBeforeMs: pick([0n, 1n, 1_700_000_000_000n, 2n ** 62n]),
      });
      const bytes = toBinary(ChangeRecordSchema, record);
      // Read by the wire reader itself (not handed to fromBinary), and the same.
      expect(readPrincipalChange(bytes)).toEqual(fromBinary(ChangeRecordSchema, bytes));
      expect(decodeChangeRecord(bytes)).toEqual(fromBinary(ChangeRecordSchema, bytes));
    }
  });

  it("refuses a principal's id, organisation, permission or group that is not UTF-8, as fromBinary does", () => {
    for (const field of [1, 2, 3, 6]) {
      const principal = new BinaryWriter().tag(field, WireType.LengthDelimited).bytes(new Uint8Array([0x70, 0xff, 0x31])).finish();
      const bytes = new BinaryWriter().tag(2, WireType.LengthDelimited).bytes(principal).finish();
      expect(() => fromBinary(ChangeRecordSchema, bytes)).toThrow();
      expect(() => decodeChangeRecord(bytes), `field ${field}`).toThrow();
    }
  });

  it("gives other records, unknown fields and unexpected wire types to fromBinary, so they come out the same", () => {
    const token = create(ChangeRecordSchema, { record: { case: "token", value: { id: "t1", digest: new Uint8Array(32).fill(3), ownerId: "p1", state: TokenState.ACTIVE } } });
    const withUnknown = new BinaryWriter().tag(2, WireType.LengthDelimited).bytes(new BinaryWriter().tag(1, WireType.LengthDelimited).string("p1").tag(99, WireType.Varint).int32(7).finish()).finish();
    const boolAsText = new BinaryWriter().tag(2, WireType.LengthDelimited).bytes(new BinaryWriter().tag(4, WireType.LengthDelimited).string("x").finish()).finish();
    const twoPrincipals = Buffer.concat([toBinary(ChangeRecordSchema, principal({ id: "p1", permissions: ["a"] })), toBinary(ChangeRecordSchema, principal({ organisationId: "o1", permissions: ["b"] }))]);
    for (const bytes of [toBinary(ChangeRecordSchema, token), withUnknown, boolAsText, twoPrincipals, new Uint8Array(0)]) {
      let expected: unknown;
      try {
        expected = fromBinary(ChangeRecordSchema, bytes);
      } catch (err) {
        expected = err;
      }
      if (expected instanceof Error) expect(() => decodeChangeRecord(bytes)).toThrow();
      else expect(decodeChangeRecord(bytes)).toEqual(expected);
    }
    expect(decodeChangeRecord(withUnknown).record.case).toBe("principal");
  });

  it("refuses a principal's record cut short, at every length", () => {
    const bytes = toBinary(ChangeRecordSchema, principal({ id: "p1", organisationId: "o1", permissions: ["orders:read"], tokensNotBeforeMs: 1_700_000_000_000n }));
    for (let length = 1; length < bytes.length; length++) expect(() => decodeChangeRecord(bytes.subarray(0, length)), `${length} bytes`).toThrow();
  });
});
