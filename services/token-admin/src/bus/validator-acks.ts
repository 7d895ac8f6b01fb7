import type { Bus } from "@tessera/shared/bus/bus";

/** How many live validators had applied a change when waiting ended. */
export interface Acknowledgement {
  readonly applied: number;
  readonly live: number;
  readonly complete: boolean;
  readonly waitedMs: number;
}

export interface ValidatorAcks {
  /** Waits until every live validator has applied `seq`, or `timeoutMs` passes. Never throws. */
  waitFor(seq: bigint, timeoutMs: number): Promise<Acknowledgement>;
  close(): void;
}

/** How often the live set is re-read while waiting, so a validator that died is not waited for. */
const liveRefreshMs = 100;

/**
 * Follows validator heartbeats: the `applied` messages arrive the moment a
 * validator applies an event, the heartbeat keys say who is live. The two are
 * merged, taking the higher position per validator.
 */
export async function watchValidatorAcks(bus: Bus): Promise<ValidatorAcks> {
  const latest = new Map<string, bigint>();
  const wakers = new Set<() => void>();
  const stop = await bus.watchApplied(({ validatorId, appliedSeq }) => {
    if (appliedSeq > (latest.get(validatorId) ?? -1n)) latest.set(validatorId, appliedSeq);
    for (const wake of wakers) wake();
  });

  const count = async (seq: bigint) => {
    const live = await bus.liveValidators();
    let applied = 0;
    for (const { validatorId, appliedSeq } of live) {
      const known = latest.get(validatorId) ?? -1n;
      if ((known > appliedSeq ? known : appliedSeq) >= seq) applied++;
    }
    return { applied, live: live.length };
  };

  return {
    async waitFor(seq, timeoutMs) {
      const started = Date.now();
      const deadline = started + timeoutMs;
      let last = { applied: 0, live: 0 };
      try {
        for (;;) {
          last = await count(seq);
          if (last.applied === last.live) return { ...last, complete: true, waitedMs: Date.now() - started };
          const left = deadline - Date.now();
          if (left <= 0) break;
          // Sleep until a heartbeat arrives, the live set may have changed, or time is up.
          await new Promise<void>((resolve) => {
            const wake = () => {
              clearTimeout(timer);
              wakers.delete(wake);
              resolve();
            };
            const timer = setTimeout(wake, Math.min(left, liveRefreshMs));
            wakers.add(wake);
          });
        }
      } catch {
        // Redis unreachable: the change is committed; we simply cannot say who has it.
      }
      return { ...last, complete: false, waitedMs: Date.now() - started };
    },
    close() {
      stop();
      for (const wake of wakers) wake();
    },
  };
}
