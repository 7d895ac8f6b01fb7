import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { readFeedHead } from "../../store/change-log-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { reachOf } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";

/** One live validator, as the roster knows it. */
export interface RosterEntry {
  readonly validatorId: string;
  /** The newest feed position it reported having applied. */
  readonly appliedSeq: bigint;
  /** When this token-admin last heard from it; undefined: not since it started. */
  readonly lastHeardAt: Date | undefined;
}

/** Who is validating right now: the port bus/ implements over validators' heartbeats. */
export interface ValidatorRoster {
  /** The validators whose heartbeat has not expired. */
  live(): Promise<readonly RosterEntry[]>;
}

export interface ValidatorStatus extends RosterEntry {
  /** Committed changes it has not applied yet: 0 when caught up. */
  readonly lag: bigint;
}

export interface ValidatorsOverview {
  /** The newest committed feed position. */
  readonly headSeq: bigint;
  readonly validators: readonly ValidatorStatus[];
}

/**
 * The live validators and how far each is behind the feed head, so an operator
 * sees that revocations are landing. Instance-wide facts: administrators of the
 * instance or an organisation only. The head is read after the roster, so a lag
 * is never understated.
 */
export async function listValidators(deps: AdminDeps, caller: Caller): Promise<ValidatorsOverview> {
  if (reachOf(caller, "ListValidators") === "none") throw new TesseraError("permission_denied", "ListValidators is for administrators");
  const live = await deps.validators.live();
  const headSeq = await readFeedHead(deps.db);
  const validators = live
    .map((entry) => ({ ...entry, lag: entry.appliedSeq >= headSeq ? 0n : headSeq - entry.appliedSeq }))
    .sort((a, b) => a.validatorId.localeCompare(b.validatorId));
  return { headSeq, validators };
}
