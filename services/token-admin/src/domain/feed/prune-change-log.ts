import type { Kysely } from "kysely";
import type { Database } from "@tessera/shared/db/schema";
import type { Logger } from "@tessera/shared/log/logger";
import { forgetValidators, lowestFollowerPosition } from "../../store/change-follower-store.js";
import { pruneChangeLogBatch, readFeedHead } from "../../store/change-log-store.js";
import type { ValidatorRoster } from "../validators/validator-roster.js";
import type { ChangeLogFollowers } from "./change-log-followers.js";

/** How much change_log keeps, whatever the followers have passed. */
export interface ChangeLogRetention {
  /** Rows committed within this long are kept: the operator's floor (replays, audits of the feed). */
  readonly retentionMs: number;
  /** At least this many of the newest rows are kept. */
  readonly minRows: number;
  /** A validator unheard this long holds nothing back (if it returns, it reloads from a snapshot). */
  readonly validatorExpiryMs: number;
  /** Between pruning rounds. */
  readonly intervalMs: number;
}

export interface ChangeLogPrunerDeps {
  readonly db: Kysely<Database>;
  readonly roster: ValidatorRoster;
  readonly followers: ChangeLogFollowers;
  readonly now: () => Date;
  readonly log: Logger;
  readonly retention: ChangeLogRetention;
}

export interface PruneRound {
  readonly head: bigint;
  /** The highest seq every follower has passed. */
  readonly horizon: bigint;
  /** Who holds the horizon where it is ("head": nobody). */
  readonly heldBy: string;
  /** Rows deleted this round. */
  readonly deleted: number;
  /** Another admin held the lock: it prunes, this one did not. */
  readonly skipped: boolean;
}

/** Rows per delete: each a short transaction, so writers never wait long behind one. */
const rowsPerBatch = 5000;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The highest seq every follower has passed: every validator the roster lists
 * (reachable, or unreachable within its staleness bound), every validator heard
 * within the expiry (change_follower), every durable follower. The head is read
 * first, so a follower seen afterwards can only be further on.
 */
export async function changeLogHorizon(deps: Omit<ChangeLogPrunerDeps, "log">): Promise<{ head: bigint; horizon: bigint; heldBy: string }> {
  const head = await readFeedHead(deps.db);
  let horizon = head;
  let heldBy = "head";
  const consider = (seq: bigint, who: string) => {
    if (seq < horizon) [horizon, heldBy] = [seq, who];
  };
  // Redis unreachable: this throws, and nothing is pruned until the live validators are known.
  for (const entry of await deps.roster.list()) consider(entry.appliedSeq, `validator ${entry.validatorId}`);
  const recorded = await lowestFollowerPosition(deps.db, new Date(deps.now().getTime() - deps.retention.validatorExpiryMs));
  if (recorded !== undefined) consider(recorded, "change_follower");
  for (const { name, seq } of await deps.followers.positions()) consider(seq, name);
  return { head, horizon, heldBy };
}

/**
 * One pruning round: deletes, in batches, the change_log rows every follower
 * has passed, older than the retention and outside the newest `minRows`; then
 * forgets validators unheard past the expiry. A validator behind what is left
 * reloads from a snapshot, as it does on any gap.
 */
export async function pruneChangeLog(deps: ChangeLogPrunerDeps): Promise<PruneRound> {
  const { head, horizon, heldBy } = await changeLogHorizon(deps);
  const now = deps.now();
  const floor = head - BigInt(deps.retention.minRows);
  const throughSeq = horizon < floor ? horizon : floor;
  const committedBefore = new Date(now.getTime() - deps.retention.retentionMs);
  let deleted = 0;
  let skipped = false;
  while (throughSeq > 0n) {
    const batch = await pruneChangeLogBatch(deps.db, throughSeq, committedBefore, rowsPerBatch);
    if (batch === undefined) {
      skipped = true;
      break;
    }
    deleted += batch;
    if (batch < rowsPerBatch) break;
    await yieldToEventLoop();
  }
  await forgetValidators(deps.db, new Date(now.getTime() - deps.retention.validatorExpiryMs));
  return { head, horizon, heldBy, deleted, skipped };
}

export interface ChangeLogPruner {
  /** One round now (or the one running). */
  prune(): Promise<PruneRound>;
  stop(): Promise<void>;
}

/** Prunes change_log every interval; one round at a time, failures logged and retried next round. */
export function startChangeLogPruner(deps: ChangeLogPrunerDeps): ChangeLogPruner {
  let running: Promise<PruneRound> | undefined;
  let lastErrorLogMs = 0;
  const prune = () => {
    running ??= pruneChangeLog(deps).finally(() => (running = undefined));
    return running;
  };
  const timer = setInterval(() => {
    prune()
      .then((round) => {
        if (round.deleted > 0) deps.log.info({ deleted: round.deleted, horizon: String(round.horizon), heldBy: round.heldBy }, "change_log pruned");
      })
      .catch((err: unknown) => {
        if (Date.now() - lastErrorLogMs > 60_000) {
          lastErrorLogMs = Date.now();
          deps.log.warn({ err: (err as Error).message }, "pruning change_log failed; will retry");
        }
      });
  }, deps.retention.intervalMs);
  timer.unref();
  return {
    prune,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}
