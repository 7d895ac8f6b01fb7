import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ValidatorReportSchema } from "../gen/tessera/feed/v1/feed_pb.js";
import { Freshness } from "../gen/tessera/v1/validator_pb.js";
import type { ReportedFreshness, RosterEntry, ValidatorReport } from "./bus-messages.js";

/** Who is validating, as both sides see it: validators report and leave, token-admin watches and lists. */
export interface ValidatorRosterAdapter {
  /** Records a validator's report; it counts as reachable for `ttlMs` unless refreshed. */
  report(report: ValidatorReport, ttlMs: number): Promise<void>;
  /** Forgets a validator at once (it is leaving), so nothing waits for it. */
  leave(validatorId: string): Promise<void>;
  /** Calls `listener` on every report as it is made; returns the unsubscribe function. */
  watch(listener: (report: ValidatorReport) => void): Promise<() => void>;
  /** Every validator reachable now or unreachable within its staleness bound. */
  list(): Promise<RosterEntry[]>;
}

const freshnessToWire: Record<ReportedFreshness, Freshness> = { current: Freshness.CURRENT, degraded: Freshness.DEGRADED, stale: Freshness.STALE };

/** The report's wire form, as stored and published, with the TTL the roster gave it. */
export function encodeReport(report: ValidatorReport, ttlMs: number): Uint8Array {
  return toBinary(ValidatorReportSchema, create(ValidatorReportSchema, { ...report, freshness: freshnessToWire[report.freshness], ttlMs }));
}

/** Undefined for anything that is not a well-formed report. */
export function decodeReport(bytes: Uint8Array): (ValidatorReport & { readonly ttlMs: number }) | undefined {
  try {
    const wire = fromBinary(ValidatorReportSchema, bytes);
    const freshness = wire.freshness === Freshness.CURRENT ? "current" : wire.freshness === Freshness.DEGRADED ? "degraded" : "stale";
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(wire.validatorId)) return undefined;
    return { validatorId: wire.validatorId, appliedSeq: wire.appliedSeq, freshness, stalenessMs: wire.stalenessMs, maxStalenessMs: wire.maxStalenessMs, ttlMs: wire.ttlMs };
  } catch {
    return undefined;
  }
}
