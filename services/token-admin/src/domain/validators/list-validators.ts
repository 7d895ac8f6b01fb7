import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { readFeedHead } from "../../store/change-log-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { reachOf } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import type { RosterEntry } from "./validator-roster.js";

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
 * The validators the roster lists and how far each is behind the feed head, so
 * an operator sees that revocations are landing. Instance-wide facts:
 * administrators of the instance or an organisation only. The head is read
 * after the roster, so a lag is never understated.
 */
export async function listValidators(deps: AdminDeps, caller: Caller): Promise<ValidatorsOverview> {
  if (reachOf(caller, "ListValidators") === "none") throw new TesseraError("permission_denied", "ListValidators is for administrators");
  const listed = await deps.roster.list();
  const headSeq = await readFeedHead(deps.db);
  const validators = listed
    .map((entry) => ({ ...entry, lag: entry.appliedSeq >= headSeq ? 0n : headSeq - entry.appliedSeq }))
    .sort((a, b) => a.validatorId.localeCompare(b.validatorId));
  return { headSeq, validators };
}
