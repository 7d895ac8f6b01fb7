import type { Metric, Registry } from "prom-client";

/** One sample as prom-client's text exposition reads it. */
export interface HotSample {
  readonly metricName?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** What prom-client's registry asks of a metric at scrape time. */
export interface HotMetric {
  readonly name: string;
  get(): Promise<{ name: string; help: string; type: "counter" | "histogram"; aggregator: "sum"; values: HotSample[] }>;
  reset(): void;
}

/**
 * Adds a hot-path metric to a registry. prom-client's own metrics hash their
 * label values on every update; ours update an array slot and only build
 * samples when scraped. The registry reads no more than name, get() and
 * reset(), which is what the cast stands for.
 */
export function registerHotMetric(registry: Registry, metric: HotMetric): void {
  registry.registerMetric(metric as unknown as Metric);
}

/** Label values by name, checked against the metric's label names. */
export function labelsOf(labelNames: readonly string[], values: readonly string[]): Record<string, string> {
  if (values.length !== labelNames.length) throw new Error(`expected ${labelNames.length} label values, got ${values.length}`);
  return Object.fromEntries(labelNames.map((name, i) => [name, values[i]!]));
}
