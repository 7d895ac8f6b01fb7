import { collectDefaultMetrics, Registry } from "prom-client";

/**
 * A fresh Prometheus registry with the process metrics (CPU, memory, event-loop
 * lag, GC) in it. One per service start, never prom-client's global registry:
 * the embedded mode runs two services in one process, and tests run many.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
