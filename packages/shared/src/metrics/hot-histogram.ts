import type { Registry } from "prom-client";
import { labelsOf, registerHotMetric, type HotSample } from "./hot-metric.js";

/**
 * Upper bounds, in seconds, for request latencies: a decision takes
 * microseconds, an admin RPC against Postgres milliseconds.
 */
export const latencyBucketsSeconds: readonly number[] = Object.freeze([
  0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
]);

/**
 * A Prometheus histogram for hot paths: label combinations are reserved once
 * at start (slot()), observations land in a typed array with no allocation,
 * and the cumulative buckets are built only when scraped.
 */
export class HotHistogram {
  private readonly labelSets: Record<string, string>[] = [];
  /** Per slot: one count per bucket, then one for +Inf. Not cumulative. */
  private counts = new Float64Array(0);
  private sums = new Float64Array(0);
  private readonly width: number;

  constructor(
    registry: Registry,
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly buckets: readonly number[] = latencyBucketsSeconds,
  ) {
    this.width = buckets.length + 1;
    registerHotMetric(registry, this);
  }

  /** Reserves a label combination (values in labelNames order); returns the slot observe() takes. */
  slot(labelValues: readonly string[]): number {
    const slot = this.labelSets.length;
    this.labelSets.push(labelsOf(this.labelNames, labelValues));
    const counts = new Float64Array((slot + 1) * this.width);
    counts.set(this.counts);
    this.counts = counts;
    const sums = new Float64Array(slot + 1);
    sums.set(this.sums);
    this.sums = sums;
    return slot;
  }

  /** Records one observation, in seconds. */
  observe(slot: number, seconds: number): void {
    const buckets = this.buckets;
    let i = 0;
    while (i < buckets.length && seconds > buckets[i]!) i++;
    this.counts[slot * this.width + i]! += 1;
    this.sums[slot]! += seconds;
  }

  async get() {
    const values: HotSample[] = [];
    const bucketName = `${this.name}_bucket`;
    this.labelSets.forEach((labels, slot) => {
      let cumulative = 0;
      for (let i = 0; i < this.width; i++) {
        cumulative += this.counts[slot * this.width + i]!;
        const le = i < this.buckets.length ? String(this.buckets[i]) : "+Inf";
        values.push({ metricName: bucketName, labels: { ...labels, le }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels, value: this.sums[slot]! });
      values.push({ metricName: `${this.name}_count`, labels, value: cumulative });
    });
    return { name: this.name, help: this.help, type: "histogram" as const, aggregator: "sum" as const, values };
  }

  reset(): void {
    this.counts.fill(0);
    this.sums.fill(0);
  }
}
