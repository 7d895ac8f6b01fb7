import { describe, expect, it } from "vitest";
import { FreshnessTracker, type FreshnessOptions } from "./freshness.js";

const maxStalenessMs = 5000;

/** A tracker whose bus came up at 0, proven at 0 by a poll and by a heartbeat of head 10 with seq 10 applied. */
function trackerAtZero(options: Partial<FreshnessOptions> = {}): FreshnessTracker {
  const tracker = new FreshnessTracker({ maxStalenessMs, feedRequired: false, feedExpected: true, ...options });
  tracker.busUp(0);
  tracker.proven(tracker.beginProof(0));
  tracker.heartbeat({ headSeq: 10n, readAtMs: 0 }, 0, 10n);
  return tracker;
}

/** Polls that succeed every second and heartbeats that arrive every second, from `fromMs` to `toMs`. */
function bothPathsProve(tracker: FreshnessTracker, fromMs: number, toMs: number): void {
  for (let t = fromMs; t <= toMs; t += 1000) {
    tracker.proven(tracker.beginProof(t));
    tracker.heartbeat({ headSeq: 10n, readAtMs: t }, t + 2, 10n);
  }
}

describe("the freshness rule", () => {
  it("reuses a reading within the same millisecond, but never across a change of state", () => {
    const tracker = trackerAtZero();
    const first = tracker.read(100);
    expect(tracker.read(100)).toBe(first);
    tracker.pollFailed();
    expect(tracker.read(100)).toMatchObject({ state: "degraded", detail: "database unreachable; proven current by the change feed" });
    tracker.busDown();
    expect(tracker.read(100).state).toBe("degraded");
    tracker.proven(tracker.beginProof(100));
    expect(tracker.read(100)).toMatchObject({ state: "current", stalenessMs: 0 });
    expect(tracker.read(101)).toMatchObject({ state: "current", stalenessMs: 1 });
  });

  it("is STALE, loading, until the first snapshot has proven the replica", () => {
    const tracker = new FreshnessTracker({ maxStalenessMs, feedRequired: false, feedExpected: true });
    tracker.busUp(0);
    expect(tracker.read(0)).toMatchObject({ state: "stale", loaded: false, detail: "loading snapshot" });
  });

  it("is CURRENT within max_staleness of the last proof by both paths, with the staleness stated", () => {
    expect(trackerAtZero().read(1234)).toEqual({ state: "current", stalenessMs: 1234, detail: "", loaded: true });
    expect(trackerAtZero().read(maxStalenessMs).state).toBe("current");
  });

  it("is STALE past max_staleness without proof, though the subscription is connected and no gap is known", () => {
    // The silent feed: connected, subscribed, delivering nothing; Postgres unreachable.
    const tracker = trackerAtZero();
    tracker.pollFailed();
    expect(tracker.read(maxStalenessMs - 1).state).toBe("degraded");
    expect(tracker.read(maxStalenessMs + 1)).toMatchObject({
      state: "stale",
      detail: "not proven current within max staleness: database unreachable; change feed silent",
    });
  });

  it("reads the clock on every answer: a process that wakes from a pause past the bound is STALE at once", () => {
    const tracker = trackerAtZero();
    bothPathsProve(tracker, 1000, 3000);
    // Frozen from 3,000 to 11,500: the first answer after waking is refused, before any timer has run.
    expect(tracker.read(11_500)).toMatchObject({ state: "stale", stalenessMs: 8500 });
  });

  it("credits a heartbeat only once the replica holds its head: a change committed but never published keeps it unproven", () => {
    const tracker = trackerAtZero();
    tracker.pollFailed(); // Postgres unreachable: change_log cannot fill the gap
    tracker.heartbeat({ headSeq: 11n, readAtMs: 1000 }, 1001, 10n);
    tracker.heartbeat({ headSeq: 11n, readAtMs: 4000 }, 4001, 10n);
    expect(tracker.read(5500)).toMatchObject({ state: "stale", detail: "not proven current within max staleness: database unreachable; behind the change feed's head" });
    // The missing change arrives (or is read from change_log): both waiting proofs count, the newest wins.
    tracker.applied(11n);
    expect(tracker.read(5500)).toMatchObject({ state: "degraded", stalenessMs: 1500 });
  });

  it("dates a heartbeat's proof from when the admin read the head, so one delivered late proves only that much", () => {
    const tracker = trackerAtZero();
    tracker.pollFailed();
    // Read at 1,000, held in a frozen Redis, delivered at 9,000.
    tracker.heartbeat({ headSeq: 10n, readAtMs: 1000 }, 9000, 10n);
    expect(tracker.read(9000)).toMatchObject({ state: "stale", stalenessMs: 8000 });
  });

  it("dates a heartbeat from its arrival when the admin's clock runs ahead", () => {
    const tracker = trackerAtZero();
    tracker.pollFailed();
    tracker.heartbeat({ headSeq: 10n, readAtMs: 60_000 }, 7000, 10n);
    expect(tracker.read(7000)).toMatchObject({ state: "degraded", stalenessMs: 0 });
    expect(tracker.read(7000 + maxStalenessMs + 1).state).toBe("stale");
  });

  it("is DEGRADED while only the feed proves it (polls failing), and while only polls do (feed silent)", () => {
    const feedOnly = trackerAtZero();
    feedOnly.pollFailed();
    for (let t = 1000; t <= 20_000; t += 1000) feedOnly.heartbeat({ headSeq: 10n, readAtMs: t }, t, 10n);
    expect(feedOnly.read(20_500)).toMatchObject({ state: "degraded", detail: "database unreachable; proven current by the change feed" });

    const pollsOnly = trackerAtZero();
    for (let t = 1000; t <= 20_000; t += 1000) pollsOnly.proven(pollsOnly.beginProof(t));
    expect(pollsOnly.read(20_500)).toMatchObject({ state: "degraded", detail: "change feed silent; proven current by polling the database" });
    pollsOnly.busDown();
    expect(pollsOnly.read(20_500).detail).toBe("change feed disconnected; proven current by polling the database");
  });

  it("does not call a subscription silent before it has been up for a whole bound", () => {
    const tracker = new FreshnessTracker({ maxStalenessMs, feedRequired: false, feedExpected: true });
    tracker.busUp(0);
    tracker.proven(tracker.beginProof(0));
    expect(tracker.read(maxStalenessMs).state).toBe("current");
    tracker.proven(tracker.beginProof(maxStalenessMs));
    expect(tracker.read(maxStalenessMs + 1).state).toBe("degraded");
  });

  it("is CURRENT on polls alone when no feed is configured", () => {
    const tracker = new FreshnessTracker({ maxStalenessMs, feedRequired: false, feedExpected: false });
    for (let t = 0; t <= 20_000; t += 1000) tracker.proven(tracker.beginProof(t));
    expect(tracker.read(20_500)).toMatchObject({ state: "current", detail: "" });
  });

  it("with the feed required, is STALE once no heartbeat has proven it within max_staleness, however well polls go", () => {
    const tracker = trackerAtZero({ feedRequired: true });
    for (let t = 1000; t <= 10_000; t += 1000) tracker.proven(tracker.beginProof(t));
    expect(tracker.read(maxStalenessMs).state).toBe("current");
    expect(tracker.read(10_200)).toMatchObject({ state: "stale", stalenessMs: 200, detail: "change feed silent" });
    tracker.busDown();
    expect(tracker.read(10_200).detail).toBe("change feed disconnected");
    tracker.busUp(10_240);
    tracker.heartbeat({ headSeq: 10n, readAtMs: 10_250 }, 10_260, 10n);
    expect(tracker.read(10_300).state).toBe("current");
  });

  it("keeps a bounded number of waiting heartbeats, and never counts one whose head is not applied", () => {
    const tracker = trackerAtZero();
    tracker.pollFailed();
    for (let t = 1000; t <= 100_000; t += 1000) tracker.heartbeat({ headSeq: 11n + BigInt(t), readAtMs: t }, t, 10n);
    expect(tracker.read(100_000).state).toBe("stale");
    tracker.applied(11n + 99_000n);
    expect(tracker.read(100_000)).toMatchObject({ state: "degraded", stalenessMs: 1000 });
  });
});
