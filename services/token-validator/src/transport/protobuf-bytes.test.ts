import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { ProtobufBytes } from "./protobuf-bytes.js";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("ProtobufBytes", () => {
  it("writes what protobuf-es's BinaryWriter writes, for every kind of value it takes", () => {
    const bytes = new ProtobufBytes();
    const reference = new BinaryWriter();
    const strings = ["é".repeat(600), "", "orders:read", "é", "naïve scope ✓", "x".repeat(127), "y".repeat(128), "z".repeat(20_000), `${"a".repeat(126)}é`];
    for (const text of strings) {
      bytes.stringField(3, text);
      reference.tag(3, WireType.LengthDelimited).string(text);
    }
    for (const value of [0, 1, 127, 128, 300, 2 ** 31 - 1, 2 ** 32 - 1, Number.MAX_SAFE_INTEGER, -1, -(2 ** 31)]) {
      bytes.varintField(2, value);
      reference.tag(2, WireType.Varint).int64(value);
    }
    for (const value of [0n, 42n, 2n ** 53n, 2n ** 64n - 1n]) {
      bytes.varintField(8, value);
      reference.tag(8, WireType.Varint).uint64(value);
    }
    for (const seconds of [1, 1_893_456_000, -62_135_596_800, 2 ** 40]) {
      bytes.secondsField(7, seconds);
      reference.tag(7, WireType.LengthDelimited).fork().tag(1, WireType.Varint).int64(seconds).join();
    }
    expect(hex(bytes.take())).toBe(hex(reference.finish()));
  });

  it("writes nested messages from their lengths, and encoded bytes as they are", () => {
    for (const inner of ["short", "ü".repeat(100)]) {
      const field = new ProtobufBytes().stringField(2, inner).take();
      const bytes = new ProtobufBytes().messageHead(3, ProtobufBytes.fieldBytes(field.length)).messageHead(1, field.length).raw(field).take();
      const reference = new BinaryWriter().tag(3, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).fork().tag(2, WireType.LengthDelimited).string(inner).join().join().finish();
      expect(hex(bytes)).toBe(hex(reference));
    }
  });

  it("starts afresh after each take, and hands out buffers of their own", () => {
    const bytes = new ProtobufBytes();
    const first = bytes.stringField(1, "first").take();
    const second = bytes.varintField(2, 7).take();
    expect(hex(second)).toBe("1007");
    expect(hex(first)).toBe(hex(new BinaryWriter().tag(1, WireType.LengthDelimited).string("first").finish()));
  });
});
