import type { Bus } from "@tessera/shared/bus/bus";
import type { RosterEntry, ValidatorRoster } from "../domain/validators/list-validators.js";

export interface WatchedRoster extends ValidatorRoster {
  close(): void;
}

/**
 * The live validators from their heartbeat keys, with the newer position and
 * the arrival time of each validator's latest `applied` message (heartbeats
 * publish one every interval, and at once after each change).
 */
export async function watchValidatorRoster(bus: Bus, now: () => Date = () => new Date()): Promise<WatchedRoster> {
  const heard = new Map<string, { appliedSeq: bigint; at: Date }>();
  const stop = await bus.watchApplied(({ validatorId, appliedSeq }) => {
    const known = heard.get(validatorId)?.appliedSeq ?? -1n;
    heard.set(validatorId, { appliedSeq: appliedSeq > known ? appliedSeq : known, at: now() });
  });
  return {
    async live(): Promise<RosterEntry[]> {
      const live = await bus.liveValidators();
      const ids = new Set(live.map((v) => v.validatorId));
      // Forget validators whose key expired, so the map stays as small as the roster.
      for (const id of heard.keys()) if (!ids.has(id)) heard.delete(id);
      return live.map(({ validatorId, appliedSeq }) => {
        const latest = heard.get(validatorId);
        return {
          validatorId,
          appliedSeq: latest && latest.appliedSeq > appliedSeq ? latest.appliedSeq : appliedSeq,
          lastHeardAt: latest?.at,
        };
      });
    },
    close: stop,
  };
}
