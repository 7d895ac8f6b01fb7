import { describe, expect, it } from "vitest";
import { minimumProfiledTokenBytes } from "@tessera/shared/snapshot/profiled-token-layout";
import { tokensHint } from "./cached-snapshot-client.js";

describe("the snapshot's token count hint", () => {
  const hint = (tokens: string | undefined, length: string | undefined) =>
    tokensHint({ "x-tessera-snapshot-tokens": tokens, "content-length": length });

  it("is token-admin's count when the body can hold that many", () => {
    expect(hint("1000", String(1000 * 60))).toBe(1000);
  });

  it("never exceeds what the body's length can hold (the header is outside the seal)", () => {
    expect(hint("50000000", String(10 * minimumProfiledTokenBytes))).toBe(10);
  });

  it("is 0 when either header is missing or malformed", () => {
    expect(hint(undefined, "1000")).toBe(0);
    expect(hint("1000", undefined)).toBe(0);
    expect(hint("-5", "100000")).toBe(0);
    expect(hint("1e400", "100000")).toBe(0);
    expect(hint("12abc", "100000")).toBe(0);
  });
});
