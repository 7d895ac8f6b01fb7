import { describe, expect, it } from "vitest";
import { credentialFromHeader, maxCredentialLength, missingCredential, unreadableCredential } from "./credential.js";

const token = "tsr_pat_0123456789abcdefghijABCDEFGHIJ012345";

describe("credentialFromHeader", () => {
  it("reads a Bearer token, scheme in any case", () => {
    expect(credentialFromHeader(`Bearer ${token}`, true)).toBe(token);
    expect(credentialFromHeader(`bEARER   ${token} `, true)).toBe(token);
  });

  it("counts no header, or another scheme, as no credential (RFC 6750 §3.1)", () => {
    expect(credentialFromHeader(undefined, true)).toBe(missingCredential);
    expect(credentialFromHeader("", true)).toBe(missingCredential);
    expect(credentialFromHeader("Basic dXNlcjpwYXNz", true)).toBe(missingCredential);
    expect(credentialFromHeader("Bearer", true)).toBe(missingCredential);
    expect(credentialFromHeader(token, true)).toBe(missingCredential);
  });

  it("refuses what it cannot read unambiguously: joined repeats, oversized values, an empty Bearer", () => {
    expect(credentialFromHeader(`Bearer ${token},Bearer ${token}`, true)).toBe(unreadableCredential);
    expect(credentialFromHeader(`Bearer ${"a".repeat(maxCredentialLength)}`, true)).toBe(unreadableCredential);
    expect(credentialFromHeader("Bearer    ", true)).toBe(unreadableCredential);
    expect(credentialFromHeader("\u0000\u0001", true)).toBe(unreadableCredential);
  });

  it("takes a custom header's value as the token, tolerating a Bearer prefix", () => {
    expect(credentialFromHeader(token, false)).toBe(token);
    expect(credentialFromHeader(`Bearer ${token}`, false)).toBe(token);
    expect(credentialFromHeader(`${token},${token}`, false)).toBe(unreadableCredential);
  });
});
