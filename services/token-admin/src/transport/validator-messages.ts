import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import type { ReportedFreshness } from "@tessera/shared/bus/bus-messages";
import type { LiveValidatorSchema } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { Freshness } from "@tessera/shared/gen/tessera/v1/validator_pb";
import type { ValidatorStatus } from "../domain/validators/list-validators.js";

const freshnessToProto: Readonly<Record<ReportedFreshness, Freshness>> = { current: Freshness.CURRENT, degraded: Freshness.DEGRADED, stale: Freshness.STALE };

/** One validator as the validators screen shows it. */
export function validatorToProto(v: ValidatorStatus): MessageInitShape<typeof LiveValidatorSchema> {
  return {
    validatorId: v.validatorId,
    appliedSeq: v.appliedSeq,
    lag: v.lag,
    sinceHeard: durationFromMs(v.heardAgoMs),
    freshness: freshnessToProto[v.freshness],
    stalenessMs: v.stalenessMs,
    maxStalenessMs: v.maxStalenessMs,
    reachable: v.reachable,
  };
}
