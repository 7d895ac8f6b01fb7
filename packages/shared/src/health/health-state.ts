export type ServingStatus = "serving" | "not_serving";

/**
 * The serving status of each service a process offers, as grpc.health.v1 reports
 * it. The empty name is the process as a whole. Both servers' health endpoints
 * read from here; readiness is decided by whoever calls set().
 */
export interface HealthState {
  /** Undefined for a service this process does not offer. */
  get(service: string): ServingStatus | undefined;
  set(service: string, status: ServingStatus): void;
  /** Every service at once: used when shutting down. */
  setAll(status: ServingStatus): void;
  /** Calls `listener` on every change of `service`; returns the unsubscribe function. */
  watch(service: string, listener: (status: ServingStatus | undefined) => void): () => void;
}

export function createHealthState(services: readonly string[], initial: ServingStatus = "not_serving"): HealthState {
  const statuses = new Map<string, ServingStatus>([["", initial], ...services.map((s) => [s, initial] as const)]);
  const listeners = new Map<string, Set<(status: ServingStatus | undefined) => void>>();
  const notify = (service: string) => {
    for (const listener of listeners.get(service) ?? []) listener(statuses.get(service));
  };
  return {
    get: (service) => statuses.get(service),
    set(service, status) {
      if (statuses.get(service) === status) return;
      statuses.set(service, status);
      notify(service);
    },
    setAll(status) {
      for (const service of statuses.keys()) this.set(service, status);
    },
    watch(service, listener) {
      const set = listeners.get(service) ?? new Set();
      listeners.set(service, set);
      set.add(listener);
      return () => set.delete(listener);
    },
  };
}
