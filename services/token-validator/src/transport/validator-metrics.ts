import { Counter, Gauge, type Registry } from "prom-client";
import { HotCounter } from "@tessera/shared/metrics/hot-counter";
import { HotHistogram } from "@tessera/shared/metrics/hot-histogram";
import { decisionCodes, type DecisionCode } from "../domain/decision-code.js";
import type { FeedSource } from "../domain/feed-source.js";
import type { FreshnessReading, FreshnessState } from "../domain/freshness.js";
import type { Replica } from "../domain/replica.js";
import type { DecisionObserver, Surface } from "../domain/surface.js";
import { allDenyAnswers, type DenyAnswer } from "./deny-answer.js";

/** What one surface reports besides its decisions. Both calls only touch memory. */
export interface SurfaceMeter {
  /** Seconds from receiving a request to handing over its answer. */
  latency(seconds: number): void;
  /** A request refused before any decision (no token, unreadable header, ambiguous route). */
  refused(answer: DenyAnswer): void;
}

/** What the metrics read at scrape time; nothing is read per request. */
export interface ValidatorState {
  replica(): Replica;
  freshness(nowMs: number): FreshnessReading;
  ready(): boolean;
}

/** The validator's metrics as the surfaces and the feed follower feed them. */
export interface ValidatorMetrics {
  /** Counts every decision by surface and code: an observer, memory only. */
  readonly observe: DecisionObserver;
  meter(surface: Surface): SurfaceMeter;
  /** The same feed source, remembering the newest head it read, for the feed-lag gauge. */
  watchFeedSource(source: FeedSource): FeedSource;
  /** A feed message failed authentication or decoding. */
  feedRejected(): void;
}

const surfaces: readonly Surface[] = ["grpc", "ext_authz", "forward_auth", "introspect"];

/** The label of a request refused before any decision for a reason no DenyAnswer names (none today). */
const otherLabel = "unspecified";

const freshnessStates: readonly FreshnessState[] = ["current", "degraded", "stale"];

/**
 * token-validator's Prometheus metrics, in the given registry: decisions by
 * surface and code, latency per surface (hot-path metrics, updated by slot),
 * and gauges read at scrape time — applied seq, feed head and lag, staleness,
 * freshness, replica size, readiness.
 */
export function createValidatorMetrics(registry: Registry, state: ValidatorState): ValidatorMetrics {
  const decisions = new HotCounter(registry, "tessera_validator_decisions_total", "Answers given, by surface and code (the decision, or why no decision was taken)", ["surface", "code"]);
  const latency = new HotHistogram(registry, "tessera_validator_request_duration_seconds", "Time from receiving a request to handing over its answer, by surface", ["surface"]);

  // Slots reserved up front: the hot path only indexes arrays.
  const decisionSlots = new Map<Surface, Readonly<Record<DecisionCode, number>>>();
  const refusalSlots = new Map<Surface, Map<string, number>>();
  const refusalCodes = [...new Set([...allDenyAnswers().map((answer) => answer.code), otherLabel])].filter((code) => !(decisionCodes as readonly string[]).includes(code));
  for (const surface of surfaces) {
    decisionSlots.set(surface, Object.fromEntries(decisionCodes.map((code) => [code, decisions.slot([surface, code])])) as Record<DecisionCode, number>);
    refusalSlots.set(surface, new Map(refusalCodes.map((code) => [code, decisions.slot([surface, code])])));
  }

  let headSeq = -1n;
  const collect = (name: string, help: string, read: (gauge: Gauge) => void, labelNames: string[] = []) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        read(this);
      },
    });
  collect("tessera_validator_applied_seq", "Change-feed position the replica reflects", (g) => g.set(Number(state.replica().appliedSeq)));
  collect("tessera_validator_feed_head_seq", "Newest change-feed position last read from Postgres (-1 before the first read)", (g) => g.set(Number(headSeq)));
  collect("tessera_validator_feed_lag_events", "Changes committed but not yet applied, as of the last head read", (g) =>
    g.set(headSeq < 0n ? 0 : Math.max(0, Number(headSeq - state.replica().appliedSeq))),
  );
  collect("tessera_validator_staleness_seconds", "Seconds since the replica was last proven current", (g) => g.set(state.freshness(Date.now()).stalenessMs / 1000));
  collect(
    "tessera_validator_freshness",
    "1 for the replica's current freshness (current, degraded, stale), 0 for the others",
    (g) => {
      const now = state.freshness(Date.now()).state;
      for (const label of freshnessStates) g.set({ state: label }, label === now ? 1 : 0);
    },
    ["state"],
  );
  collect(
    "tessera_validator_replica_size",
    "Entries held in memory: tokens (live, and retained: dead but still answered for, as of the last sweep), principals, organisations",
    (g) => {
      const replica = state.replica();
      const retained = Math.min(replica.retainedCount, replica.tokenCount);
      g.set({ entity: "tokens", state: "live" }, replica.tokenCount - retained);
      g.set({ entity: "tokens", state: "retained" }, retained);
      g.set({ entity: "principals", state: "live" }, replica.principals.size);
      g.set({ entity: "organisations", state: "live" }, replica.organisations.size);
    },
    ["entity", "state"],
  );
  collect("tessera_validator_replica_table_bytes", "Bytes of the replica's token table: its typed-array columns and index (outside the JS heap)", (g) =>
    g.set(state.replica().table.bytes),
  );
  collect("tessera_validator_ready", "1 while the validator reports SERVING", (g) => g.set(state.ready() ? 1 : 0));
  const rejected = new Counter({
    name: "tessera_validator_feed_rejected_total",
    help: "Change-feed messages refused because they failed authentication or decoding",
    registers: [registry],
  });

  return {
    observe(decision, surface) {
      const slots = decisionSlots.get(surface)!;
      decisions.inc(slots[decision.code]);
    },
    meter(surface) {
      const latencySlot = latency.slot([surface]);
      const refusals = refusalSlots.get(surface)!;
      const other = refusals.get(otherLabel)!;
      return {
        latency: (seconds) => latency.observe(latencySlot, seconds),
        refused: (answer) => decisions.inc(refusals.get(answer.code) ?? other),
      };
    },
    watchFeedSource(source) {
      const seen = (head: bigint) => {
        if (head > headSeq) headSeq = head;
        return head;
      };
      return {
        readHead: () => source.readHead().then(seen),
        readChanges: (afterSeq, limit) => source.readChanges(afterSeq, limit),
        readSnapshot: (into) => source.readSnapshot(into).then(seen),
      };
    },
    feedRejected: () => rejected.inc(),
  };
}
