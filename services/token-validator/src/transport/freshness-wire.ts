import { Freshness } from "@tessera/shared/gen/tessera/v1/validator_pb";
import type { FreshnessState } from "../domain/freshness.js";

/** The wire's Freshness for the domain's state: the one mapping every surface uses. */
export const freshnessToWire: Readonly<Record<FreshnessState, Freshness>> = Object.freeze({
  current: Freshness.CURRENT,
  degraded: Freshness.DEGRADED,
  stale: Freshness.STALE,
});
