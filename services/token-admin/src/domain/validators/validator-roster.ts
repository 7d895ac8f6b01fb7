import type { RosterEntry, ValidatorReport } from "@tessera/shared/bus/bus-messages";

export type { RosterEntry, ValidatorReport };

/** Who is validating and what each has applied: the port bus/ implements over validators' reports. */
export interface ValidatorRoster {
  /** Calls `listener` on every report as it is made; returns the unsubscribe function. */
  watch(listener: (report: ValidatorReport) => void): Promise<() => void>;
  /** Every validator reachable now, or unreachable within its staleness bound. */
  list(): Promise<RosterEntry[]>;
}
