import { Counter, Gauge, type Registry } from "prom-client";

/** Connections per listener, for operators to see a cap being reached. */
export interface ConnectionMetrics {
  /** A callback counting one connection refused at the listener's cap. */
  refused(listener: string): () => void;
  /** Reports the listener's open connections at each scrape. */
  watch(listener: string, open: () => number): void;
}

/** tessera_connections_open and tessera_connections_refused_total, by listener, in the given registry. */
export function createConnectionMetrics(registry: Registry): ConnectionMetrics {
  const refused = new Counter({
    name: "tessera_connections_refused_total",
    help: "Connections closed on arrival because the listener already had TESSERA_MAX_CONNECTIONS open",
    labelNames: ["listener"],
    registers: [registry],
  });
  const listeners = new Map<string, () => number>();
  new Gauge({
    name: "tessera_connections_open",
    help: "Connections open now, by listener",
    labelNames: ["listener"],
    registers: [registry],
    collect() {
      for (const [listener, open] of listeners) this.set({ listener }, open());
    },
  });
  return {
    refused: (listener) => {
      refused.inc({ listener }, 0); // present at zero, so a dashboard sees the series before the first refusal
      return () => refused.inc({ listener });
    },
    watch: (listener, open) => void listeners.set(listener, open),
  };
}
