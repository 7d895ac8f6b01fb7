import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createDigestKeyer, createDigester } from "./token-digest.js";
import { generateToken } from "./token-format.js";

describe("token digest", () => {
  it("is HMAC-SHA256 of the value under the pepper", () => {
    const pepper = "a-pepper-of-at-least-thirty-two-characters";
    const token = generateToken();
    expect(createDigester(pepper)(token)).toEqual(createHmac("sha256", pepper).update(token).digest());
  });

  it("is the same digest as createHmac for every kind, pepper length and repeated use", () => {
    const peppers = ["a-pepper-of-at-least-thirty-two-characters", "p".repeat(64), "q".repeat(65), "ünïcødé-pepper-ünïcødé-pepper-ünïcødé"];
    for (const pepper of peppers) {
      const digest = createDigester(pepper);
      const key = createDigestKeyer(pepper);
      for (const kind of ["personal", "exchanged", "session"] as const) {
        for (let i = 0; i < 20; i++) {
          const token = generateToken(kind);
          const expected = createHmac("sha256", pepper).update(token).digest();
          expect(digest(token)).toEqual(expected);
          expect(key(token)).toBe(expected.toString("latin1"));
        }
      }
    }
  });

  it("differs under another pepper, so a stolen database alone cannot test guesses", () => {
    const token = generateToken();
    const a = createDigester("pepper-one-pepper-one-pepper-one-x")(token);
    const b = createDigester("pepper-two-pepper-two-pepper-two-x")(token);
    expect(a.equals(b)).toBe(false);
    expect(a.toString("latin1")).not.toContain(token.slice(8));
  });
});
