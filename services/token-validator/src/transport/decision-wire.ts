import { Freshness, ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import type { DecisionCode } from "../domain/decision-code.js";
import type { FreshnessState } from "../domain/freshness.js";

/** The wire's ValidationCode for the domain's DecisionCode: ValidateToken's one mapping (a Record, so a new code is a compile error). */
export const codeToWire: Readonly<Record<DecisionCode, ValidationCode>> = Object.freeze({
  valid: ValidationCode.VALID,
  malformed: ValidationCode.MALFORMED,
  not_found: ValidationCode.NOT_FOUND,
  expired: ValidationCode.EXPIRED,
  revoked: ValidationCode.REVOKED,
  disabled: ValidationCode.DISABLED,
  owner_disabled: ValidationCode.OWNER_DISABLED,
  tokens_disabled: ValidationCode.TOKENS_DISABLED,
  insufficient_scope: ValidationCode.INSUFFICIENT_SCOPE,
  stale: ValidationCode.STALE,
  not_served: ValidationCode.NOT_SERVED,
});

/** The wire's Freshness for the domain's state: the one mapping every gRPC surface uses. */
export const freshnessToWire: Readonly<Record<FreshnessState, Freshness>> = Object.freeze({
  current: Freshness.CURRENT,
  degraded: Freshness.DEGRADED,
  stale: Freshness.STALE,
});
