import { describe, expect, it } from "vitest";
import { retryDelayMs } from "./retry-schedule.js";

describe("webhook retry schedule", () => {
  const schedule = { baseMs: 1000, maxMs: 60_000 };

  it("doubles from the base, jittered within the upper half, capped", () => {
    expect(retryDelayMs(schedule, 1, () => 0)).toBe(500);
    expect(retryDelayMs(schedule, 1, () => 1)).toBe(1000);
    expect(retryDelayMs(schedule, 4, () => 1)).toBe(8000);
    expect(retryDelayMs(schedule, 30, () => 1)).toBe(60_000);
    expect(retryDelayMs(schedule, 1000, () => 0.5)).toBe(45_000);
  });

  it("spreads endpoints that failed together", () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(schedule, 5)));
    expect(delays.size).toBeGreaterThan(40);
  });

  it("retries for at least a day with the default schedule before the window closes", () => {
    // The default base 5 s and cap 1 h: the attempts a day holds, at the longest waits.
    const defaults = { baseMs: 5000, maxMs: 3_600_000 };
    let elapsed = 0;
    let attempts = 0;
    while (elapsed < 86_400_000) elapsed += retryDelayMs(defaults, ++attempts, () => 1);
    expect(attempts).toBeGreaterThan(20);
  });
});
