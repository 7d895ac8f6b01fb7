import { fromBinary } from "@bufbuild/protobuf";
import { HoneytokenUseSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import type { Logger } from "@tessera/shared/log/logger";
import type { AdminDeps } from "../domain/admin-deps.js";
import { displayAddress, displayRoute } from "./reported-origin.js";
import { recordHoneytokenUses, type HoneytokenUseReport } from "../domain/leaks/record-honeytoken-uses.js";

/** Where validators' alarms wait (the bus's honeytoken queue). */
export interface HoneytokenAlarmSource {
  take(max: number): Promise<Uint8Array[]>;
}

/** Alarms recorded per transaction: bounds one write, and a flood drains at ~this many per interval. */
const maxPerTake = 200;

export interface HoneytokenAlarmReceiver {
  /** Takes and records whatever is queued now (tests, shutdown). */
  drain(): Promise<void>;
  stop(): void;
}

function reportOf(bytes: Uint8Array): HoneytokenUseReport | undefined {
  try {
    const use = fromBinary(HoneytokenUseSchema, bytes);
    // The address and route are what the presenter (or its proxy) sent: trimmed and checked as use sources are.
    return {
      tokenId: use.tokenId, surface: use.surface, sourceAddress: displayAddress(use.surface, use.sourceAddress), route: displayRoute(use.route),
      usedAt: new Date(Number(use.usedAtMs)), validatorId: use.validatorId,
    };
  } catch {
    return undefined; // sealed but unreadable: a newer validator's format; nothing to record
  }
}

/**
 * Polls the honeytoken queue every `intervalMs` (short: an alarm should reach
 * the audit log within seconds) and records what it takes. Several admins may
 * poll: each alarm is taken by one. An alarm taken but not recorded (the
 * database is down) is lost, and logged.
 */
export function startHoneytokenAlarmReceiver(source: HoneytokenAlarmSource, deps: Pick<AdminDeps, "db" | "feed" | "now" | "log">, intervalMs: number, log: Logger): HoneytokenAlarmReceiver {
  let running: Promise<void> = Promise.resolve();
  const once = async () => {
    for (;;) {
      const taken = await source.take(maxPerTake);
      if (taken.length === 0) return;
      const reports = taken.flatMap((bytes) => reportOf(bytes) ?? []);
      await recordHoneytokenUses(deps, reports).catch((err: unknown) => log.error({ err, alarms: reports.length }, "honeytoken alarms not recorded"));
      if (taken.length < maxPerTake) return;
    }
  };
  const drain = () => {
    running = running.then(once).catch((err: unknown) => log.warn({ err }, "honeytoken alarms not taken"));
    return running;
  };
  let busy = false;
  // A tick while the last one still runs (a slow database) is skipped, so ticks never pile up.
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void drain().finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return { drain, stop: () => clearInterval(timer) };
}
