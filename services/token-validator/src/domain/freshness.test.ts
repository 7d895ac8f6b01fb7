import { describe, expect, it } from "vitest";
import { Freshness } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { FreshnessTracker } from "./freshness.js";

const maxStalenessMs = 5000;
const degradedMaxMs = 60_000;

/** A tracker whose bus came up at 0 and whose first proof began at 0. */
function trackerAtZero(feedRequired = false): FreshnessTracker {
  const tracker = new FreshnessTracker({ maxStalenessMs, degradedMaxMs, feedRequired });
  tracker.busDown(0);
  tracker.busUp();
  tracker.proven(tracker.beginProof(0));
  return tracker;
}

describe("the freshness rule", () => {
  it("is STALE, loading, until the first snapshot has proven the replica", () => {
    const tracker = new FreshnessTracker({ maxStalenessMs, degradedMaxMs, feedRequired: false });
    expect(tracker.read(0)).toMatchObject({ freshness: Freshness.STALE, loaded: false, detail: "loading snapshot" });
  });

  it("is CURRENT within max_staleness of the last proof, with the staleness stated", () => {
    expect(trackerAtZero().read(1234)).toEqual({ freshness: Freshness.CURRENT, stalenessMs: 1234, detail: "", loaded: true });
    expect(trackerAtZero().read(maxStalenessMs).freshness).toBe(Freshness.CURRENT);
  });

  it("stays CURRENT with the bus down as long as polls prove it (the default)", () => {
    const tracker = trackerAtZero();
    tracker.busDown(100);
    for (let t = 1000; t <= 60_000; t += 1000) tracker.proven(tracker.beginProof(t));
    expect(tracker.read(60_500)).toMatchObject({ freshness: Freshness.CURRENT, detail: "" });
  });

  it("with the feed required, is STALE once the bus has been down past max_staleness, however well polls go", () => {
    const tracker = trackerAtZero(true);
    tracker.busDown(100);
    for (let t = 1000; t <= 10_000; t += 1000) tracker.proven(tracker.beginProof(t));
    expect(tracker.read(100 + maxStalenessMs).freshness).toBe(Freshness.CURRENT);
    expect(tracker.read(10_200)).toMatchObject({ freshness: Freshness.STALE, stalenessMs: 200, detail: "change feed disconnected" });
    tracker.busUp();
    expect(tracker.read(10_300).freshness).toBe(Freshness.CURRENT);
  });

  it("with the feed required, counts a bus that never came up as down since start", () => {
    const tracker = new FreshnessTracker({ maxStalenessMs, degradedMaxMs, feedRequired: true });
    tracker.busDown(0);
    tracker.proven(tracker.beginProof(maxStalenessMs + 500));
    expect(tracker.read(maxStalenessMs + 600).detail).toBe("change feed disconnected");
  });

  it("is DEGRADED past max_staleness while the bus stayed connected and contiguous since the proof, up to degraded_max", () => {
    const tracker = trackerAtZero();
    tracker.pollFailed();
    expect(tracker.read(maxStalenessMs + 1)).toMatchObject({ freshness: Freshness.DEGRADED, detail: "database unreachable; change feed contiguous" });
    expect(tracker.read(degradedMaxMs).freshness).toBe(Freshness.DEGRADED);
    expect(tracker.read(degradedMaxMs + 1)).toMatchObject({ freshness: Freshness.STALE, detail: "database unreachable; degraded bound exceeded" });
  });

  it("is STALE past max_staleness when the bus dropped since the proof, even if it is back", () => {
    const tracker = trackerAtZero();
    tracker.busDown(1000);
    tracker.busUp();
    tracker.pollFailed();
    expect(tracker.read(maxStalenessMs + 1)).toMatchObject({ freshness: Freshness.STALE, detail: "database unreachable" });
  });

  it("does not let a proof stand in for the bus if the bus dropped while the proving read ran", () => {
    const tracker = trackerAtZero();
    const attempt = tracker.beginProof(1000);
    tracker.busDown(1001); // an event published now is lost, and the read may not have seen it committed
    tracker.busUp();
    tracker.proven(attempt);
    expect(tracker.read(1000 + maxStalenessMs + 1).freshness).toBe(Freshness.STALE);
    // A proof begun after the reconnect does stand in.
    tracker.proven(tracker.beginProof(2000));
    expect(tracker.read(2000 + maxStalenessMs + 1).freshness).toBe(Freshness.DEGRADED);
  });

  it("is STALE past max_staleness while a gap in the feed is unfilled", () => {
    const tracker = trackerAtZero();
    tracker.gap(true);
    expect(tracker.read(maxStalenessMs + 1)).toMatchObject({ freshness: Freshness.STALE, detail: "change feed gap unfilled" });
    tracker.gap(false);
    expect(tracker.read(maxStalenessMs + 1).freshness).toBe(Freshness.DEGRADED);
  });

  it("keeps the newest proof when an older read finishes last", () => {
    const tracker = trackerAtZero();
    const older = tracker.beginProof(1000);
    tracker.proven(tracker.beginProof(3000));
    tracker.proven(older);
    expect(tracker.read(3000 + maxStalenessMs).freshness).toBe(Freshness.CURRENT);
  });
});
