import type { Acknowledgement, ValidatorAcks } from "../domain/tokens/await-validators.js";
import type { RosterEntry, ValidatorRoster } from "../domain/validators/validator-roster.js";

/** How often the roster is re-read while waiting, so a validator that left or lapsed is seen. */
const rosterRefreshMs = 100;
/** A report heard on the channel is trusted over the roster's copy for this long, then dropped. */
const heardForMs = 30_000;

const timeUp = Symbol("time up");

/**
 * Follows validators' reports: those published on the channel arrive the moment
 * a validator applies an event, the roster says who is listed and whether it is
 * reachable. The two are merged, taking the higher position per validator.
 */
export async function watchValidatorAcks(roster: ValidatorRoster, now: () => number = Date.now): Promise<ValidatorAcks & { heardCount(): number }> {
  const heard = new Map<string, { appliedSeq: bigint; atMs: number }>();
  const wakers = new Set<() => void>();
  let lastPruneMs = now();
  const stop = await roster.watch(({ validatorId, appliedSeq }) => {
    const nowMs = now();
    const known = heard.get(validatorId);
    if (!known || appliedSeq >= known.appliedSeq) heard.set(validatorId, { appliedSeq, atMs: nowMs });
    // Validators come and go (each restart may bring a new id): forget, every so often, what is no longer trusted
    // anyway. What stays is the validators heard within about two trust periods.
    if (nowMs - lastPruneMs > heardForMs) {
      lastPruneMs = nowMs;
      for (const [id, { atMs }] of heard) if (nowMs - atMs > heardForMs) heard.delete(id);
    }
    for (const wake of wakers) wake();
  });

  const count = (entries: readonly RosterEntry[], seq: bigint, startedMs: number) => {
    const nowMs = now();
    const appliedIds: string[] = [];
    const pendingIds: string[] = [];
    let live = 0;
    for (const entry of entries) {
      if (entry.reachable) live++;
      const fresh = heard.get(entry.validatorId);
      const appliedSeq = fresh && nowMs - fresh.atMs <= heardForMs && fresh.appliedSeq > entry.appliedSeq ? fresh.appliedSeq : entry.appliedSeq;
      // An unreachable validator may have applied it, but cannot be heard to have.
      if (entry.reachable && appliedSeq >= seq) appliedIds.push(entry.validatorId);
      else pendingIds.push(entry.validatorId);
    }
    return {
      applied: appliedIds.length,
      live,
      unreachable: entries.length - live,
      complete: pendingIds.length === 0,
      waitedMs: nowMs - startedMs,
      appliedValidatorIds: appliedIds,
      pendingValidatorIds: pendingIds,
    };
  };

  return {
    heardCount: () => heard.size,
    async waitFor(seq, timeoutMs) {
      const startedMs = Date.now();
      let deadline: NodeJS.Timeout | undefined;
      const expired = new Promise<typeof timeUp>((resolve) => (deadline = setTimeout(() => resolve(timeUp), timeoutMs)));
      let last: Acknowledgement = { applied: 0, live: 0, unreachable: 0, complete: false, waitedMs: 0, appliedValidatorIds: [], pendingValidatorIds: [] };
      try {
        for (;;) {
          // Raced against the deadline: a frozen Redis leaves list() hanging, and the caller asked for a limit.
          const entries = await Promise.race([roster.list(), expired]);
          if (entries === timeUp) break;
          last = count(entries, seq, startedMs);
          if (last.complete) return last;
          let wake!: () => void;
          const woken = new Promise<void>((resolve) => (wake = resolve));
          wakers.add(wake);
          const refresh = setTimeout(wake, rosterRefreshMs);
          const ended = await Promise.race([woken, expired]);
          clearTimeout(refresh);
          wakers.delete(wake);
          if (ended === timeUp) break;
        }
      } catch {
        // Redis unreachable: the change is committed; we simply cannot say who has it.
      } finally {
        clearTimeout(deadline);
      }
      return { ...last, complete: false, waitedMs: Date.now() - startedMs };
    },
    close() {
      stop();
      for (const wake of wakers) wake();
    },
  };
}
