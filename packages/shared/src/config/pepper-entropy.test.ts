import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { commonEnv } from "./load-config.js";
import { estimateEntropyBits, minPepperBits } from "./pepper-entropy.js";
import { z } from "zod";

const pepperSchema = z.object({ TESSERA_PEPPER: commonEnv.TESSERA_PEPPER });

describe("pepper entropy", () => {
  it("refuses long but low-entropy peppers, naming the variable and the rule, never the value", () => {
    for (const weak of ["a".repeat(32), "ab".repeat(32), "password".repeat(5), "test-pepper-test-pepper-test-pepper-0123"]) {
      const result = pepperSchema.safeParse({ TESSERA_PEPPER: weak });
      expect(result.success, weak).toBe(false);
      const message = result.error!.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
      expect(message).toContain("TESSERA_PEPPER");
      expect(message).toContain(`${minPepperBits} bits`);
      expect(message).not.toContain(weak);
    }
  });

  it("accepts every random secret of the documented shapes (1,000 trials each, 0 refused)", () => {
    let refused = 0;
    for (let i = 0; i < 1000; i++) {
      for (const pepper of [randomBytes(32).toString("base64"), randomBytes(32).toString("base64url"), randomBytes(32).toString("hex")]) {
        if (!pepperSchema.safeParse({ TESSERA_PEPPER: pepper }).success) refused++;
      }
    }
    expect(refused).toBe(0);
  });

  it("estimates by character frequencies", () => {
    expect(estimateEntropyBits("a".repeat(32))).toBe(0);
    expect(estimateEntropyBits("ab".repeat(16))).toBe(32);
    expect(estimateEntropyBits("0123456789abcdef".repeat(4))).toBe(256);
  });
});
