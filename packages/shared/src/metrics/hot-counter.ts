import type { Registry } from "prom-client";
import { labelsOf, registerHotMetric, type HotSample } from "./hot-metric.js";

/**
 * A Prometheus counter for hot paths: each label combination is reserved once
 * at start (slot()), then counted by its slot number with no allocation.
 */
export class HotCounter {
  private readonly labelSets: Record<string, string>[] = [];
  private counts = new Float64Array(16);

  constructor(
    registry: Registry,
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[],
  ) {
    registerHotMetric(registry, this);
  }

  /** Reserves a label combination (values in labelNames order); returns the slot inc() takes. */
  slot(labelValues: readonly string[]): number {
    const slot = this.labelSets.length;
    this.labelSets.push(labelsOf(this.labelNames, labelValues));
    if (slot >= this.counts.length) {
      const grown = new Float64Array(this.counts.length * 2);
      grown.set(this.counts);
      this.counts = grown;
    }
    return slot;
  }

  inc(slot: number, by = 1): void {
    this.counts[slot]! += by;
  }

  /** The count of one slot (tests, and metrics derived from this one). */
  value(slot: number): number {
    return this.counts[slot]!;
  }

  async get() {
    const values: HotSample[] = this.labelSets.map((labels, slot) => ({ labels, value: this.counts[slot]! }));
    return { name: this.name, help: this.help, type: "counter" as const, aggregator: "sum" as const, values };
  }

  reset(): void {
    this.counts.fill(0);
  }
}
