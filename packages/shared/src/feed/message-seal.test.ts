import { describe, expect, it } from "vitest";
import { createMessageSeal } from "./message-seal.js";

const pepper = "test-pepper-test-pepper-test-pepper-0123";
const payload = new TextEncoder().encode("seq 42: token revoked");

describe("message seal", () => {
  it("opens what it sealed", () => {
    const seal = createMessageSeal(pepper, "feed");
    expect(Buffer.from(seal.open(seal.seal(payload))!)).toEqual(Buffer.from(payload));
  });

  it("refuses a message altered in any byte, truncated, or bare", () => {
    const seal = createMessageSeal(pepper, "feed");
    const sealed = seal.seal(payload);
    for (let i = 0; i < sealed.length; i++) {
      const altered = Buffer.from(sealed);
      altered[i]! ^= 1;
      expect(seal.open(altered), `byte ${i}`).toBeUndefined();
    }
    expect(seal.open(sealed.subarray(0, 20))).toBeUndefined();
    expect(seal.open(payload)).toBeUndefined();
  });

  it("refuses what another pepper or another purpose sealed", () => {
    const sealed = createMessageSeal(pepper, "feed").seal(payload);
    expect(createMessageSeal(`${pepper}x`, "feed").open(sealed)).toBeUndefined();
    expect(createMessageSeal(pepper, "roster").open(sealed)).toBeUndefined();
  });
});
