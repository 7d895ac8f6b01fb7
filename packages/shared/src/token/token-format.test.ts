import { describe, expect, it } from "vitest";
import { createTokenFormat, displayHint, generateToken, parseToken, prefixForKind, tokenLength } from "./token-format.js";

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

describe("token format", () => {
  it("round-trips every kind, with its prefix and fixed length", () => {
    for (const kind of ["personal", "exchanged", "session"] as const) {
      const token = generateToken(kind);
      expect(token.startsWith(prefixForKind[kind])).toBe(true);
      expect(token).toHaveLength(tokenLength);
      expect(parseToken(token)).toBe(kind);
    }
  });

  it("draws bodies of at least 160 bits: no repeats and every base62 character used", () => {
    const bodies = new Set<string>();
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const body = generateToken().slice(8, 38);
      bodies.add(body);
      for (const ch of body) seen.add(ch);
    }
    expect(bodies.size).toBe(2000);
    expect(seen.size).toBe(62);
    expect(30 * Math.log2(62)).toBeGreaterThanOrEqual(160);
  });

  it("rejects every single-character change, anywhere in the token", () => {
    const token = generateToken();
    let variants = 0;
    for (let i = 0; i < token.length; i++) {
      for (const ch of `${alphabet}_-.+/= é`) {
        if (ch === token[i]) continue;
        const changed = token.slice(0, i) + ch + token.slice(i + 1);
        expect(parseToken(changed), `position ${i} → ${ch}`).toBeUndefined();
        variants++;
      }
    }
    expect(variants).toBeGreaterThan(2500);
  });

  it("rejects garbage without looking anything up", () => {
    const token = generateToken();
    for (const garbage of ["", "Bearer", token.slice(0, -1), `${token}x`, token.toUpperCase(), `ghp_${token.slice(4)}`, " ".repeat(44), "x".repeat(10_000)]) {
      expect(parseToken(garbage)).toBeUndefined();
    }
  });

  it("hints at a token with its prefix and last four characters only", () => {
    const token = generateToken();
    expect(displayHint(token)).toBe(`tsr_pat_…${token.slice(-4)}`);
  });
});

describe("a deployment's own prefix", () => {
  const acme = createTokenFormat("acme");

  it("makes tokens that name their issuer, accepted by that format only", () => {
    for (const kind of ["personal", "exchanged", "session"] as const) {
      const token = acme.generate(kind);
      expect(token.startsWith(`acme_${kind === "personal" ? "pat" : kind === "exchanged" ? "bat" : "ses"}_`)).toBe(true);
      expect(token).toHaveLength(acme.length);
      expect(acme.parse(token)).toBe(kind);
      expect(parseToken(token)).toBeUndefined();
    }
    expect(acme.parse(generateToken())).toBeUndefined();
    expect(acme.displayHint(acme.generate())).toMatch(/^acme_pat_…[0-9A-Za-z]{4}$/);
  });

  it("keeps the checksum: every single-character change is refused", () => {
    const token = acme.generate();
    for (let i = 0; i < token.length; i++) {
      for (const ch of alphabet) {
        if (ch !== token[i]) expect(acme.parse(token.slice(0, i) + ch + token.slice(i + 1))).toBeUndefined();
      }
    }
  });

  it("refuses prefixes that could not be told apart in text", () => {
    for (const bad of ["", "a", "ACME", "ac_me", "1abc", "abcdefghijk"]) expect(() => createTokenFormat(bad)).toThrow(/prefix/);
  });
});
