import type { Kysely } from "kysely";
import type { Database } from "@tessera/shared/db/schema";
import type { Logger } from "@tessera/shared/log/logger";
import { recordFollowers, validatorKind } from "../../store/change-follower-store.js";
import type { ValidatorRoster } from "../validators/validator-roster.js";

export interface ValidatorPositions {
  /** Writes what was heard since the last write (tests, shutdown). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** Validators per write, at most: a roster of thousands costs a few statements. */
const perStatement = 500;

/**
 * Keeps change_follower current with what validators report (each report they
 * publish on applying, and their heartbeats): the newest per validator, written
 * every interval in one upsert. What waits between writes is one entry per
 * validator heard, cleared by each write.
 */
export async function startValidatorPositions(roster: ValidatorRoster, db: Kysely<Database>, intervalMs: number, log: Logger): Promise<ValidatorPositions> {
  let heard = new Map<string, { appliedSeq: bigint; seenAt: Date }>();
  const stopWatching = await roster.watch(({ validatorId, appliedSeq }) => {
    const known = heard.get(validatorId);
    if (!known || appliedSeq >= known.appliedSeq) heard.set(validatorId, { appliedSeq, seenAt: new Date() });
  });
  let writing: Promise<void> | undefined;
  let lastErrorLogMs = 0;
  const flush = () => {
    writing ??= (async () => {
      const batch = heard;
      heard = new Map();
      try {
        // In id order: every admin writes the same rows at about the same moment, and rows locked in one
        // order by all cannot deadlock (a deadlock would hold a pooled connection for a second).
        const positions = [...batch]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([id, { appliedSeq, seenAt }]) => ({ id, kind: validatorKind, appliedSeq, seenAt }));
        for (let i = 0; i < positions.length; i += perStatement) await recordFollowers(db, positions.slice(i, i + perStatement));
      } catch (err) {
        // Heard again within a heartbeat; nothing to keep.
        if (Date.now() - lastErrorLogMs > 10_000) {
          lastErrorLogMs = Date.now();
          log.warn({ err: (err as Error).message }, "recording validator positions failed; will retry");
        }
      } finally {
        writing = undefined;
      }
    })();
    return writing;
  };
  const timer = setInterval(() => void flush(), intervalMs);
  timer.unref();
  return {
    flush,
    async stop() {
      clearInterval(timer);
      stopWatching();
      await writing;
    },
  };
}
