import { describe, expect, it } from "vitest";
import { createMemoryValidatorRoster } from "@tessera/shared/bus/memory-validator-roster";
import { createMemoryAttemptLimiter } from "./attempt-limiter.js";
import { watchValidatorAcks } from "./validator-acks.js";

// Maps keyed by something that comes and goes stay bounded (issue 18).
describe("maps keyed by what comes and goes", () => {
  it("the in-memory sign-in limiter tracks at most its bound of sources and names, however many arrive in one window", async () => {
    const limits = { perSource: 50, freePerPrincipal: 5, delayMs: 1000, maxDelayMs: 60_000, windowMs: 3_600_000 };
    const limiter = createMemoryAttemptLimiter(limits, Date.now, 1000);
    try {
      let largest = 0;
      for (let i = 0; i < 20_000; i++) {
        await limiter.begin({ source: `10.0.${i >> 8}.${i & 255}`, principal: `name-${i}` });
        const { sources, principals } = limiter.tracked();
        largest = Math.max(largest, sources, principals);
      }
      expect(largest).toBe(1000);
      // The newest are the ones kept: a source still counts its attempts.
      for (let i = 1; i < limits.perSource; i++) await limiter.begin({ source: "10.0.78.31", principal: "again" });
      expect(await limiter.begin({ source: "10.0.78.31", principal: "again" })).toMatchObject({ allowed: false });
    } finally {
      await limiter.close();
    }
  });

  it("token-admin forgets validators it has not heard from: a restart with a new id each time adds nothing lasting", async () => {
    let nowMs = 1_000_000;
    const roster = createMemoryValidatorRoster(() => nowMs);
    const acks = await watchValidatorAcks(roster, () => nowMs);
    try {
      let largest = 0;
      // 2,000 restarts, one a second, each a new id (the default id includes the process id).
      for (let i = 0; i < 2000; i++) {
        nowMs += 1000;
        await roster.report({ validatorId: `host-${i}`, appliedSeq: BigInt(i), freshness: "current", stalenessMs: 0, maxStalenessMs: 5000 }, 3000);
        largest = Math.max(largest, acks.heardCount());
      }
      // Heard within two 30 s trust periods at most.
      expect(largest).toBeLessThanOrEqual(61);
      expect((await roster.list()).length).toBeLessThanOrEqual(8);
    } finally {
      acks.close();
    }
  });
});
