import type { Bus, ChangeListener, ValidatorHeartbeat } from "./bus.js";

/**
 * The bus for the embedded single process: same contract as Redis, no network.
 * Deliveries are asynchronous, as they would be over a socket.
 */
export function createMemoryBus(now: () => number = Date.now): Bus {
  const changeListeners = new Set<ChangeListener>();
  const appliedListeners = new Set<(heartbeat: ValidatorHeartbeat) => void>();
  const heartbeats = new Map<string, { appliedSeq: bigint; expiresAtMs: number }>();
  let usage: Uint8Array[] = [];

  return {
    async publishChange(bytes) {
      queueMicrotask(() => {
        for (const listener of changeListeners) listener.onEvent(bytes);
      });
    },
    async subscribeChanges(listener) {
      changeListeners.add(listener);
      queueMicrotask(() => listener.onConnected());
    },
    async reportApplied(heartbeat, ttlMs) {
      heartbeats.set(heartbeat.validatorId, { appliedSeq: heartbeat.appliedSeq, expiresAtMs: now() + ttlMs });
      for (const listener of appliedListeners) listener(heartbeat);
    },
    async forgetValidator(validatorId) {
      heartbeats.delete(validatorId);
    },
    async watchApplied(listener) {
      appliedListeners.add(listener);
      return () => appliedListeners.delete(listener);
    },
    async liveValidators() {
      const live: ValidatorHeartbeat[] = [];
      for (const [validatorId, { appliedSeq, expiresAtMs }] of heartbeats) {
        if (expiresAtMs > now()) live.push({ validatorId, appliedSeq });
        else heartbeats.delete(validatorId);
      }
      return live;
    },
    async pushUsage(bytes) {
      usage.push(bytes);
    },
    async takeUsage(max) {
      const taken = usage.slice(0, max);
      usage = usage.slice(max);
      return taken;
    },
    async close() {
      changeListeners.clear();
      appliedListeners.clear();
    },
  };
}
