/** The q-quantile (0..1) of `values`, by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function spread(values: readonly number[]): Spread {
  return { median: quantile(values, 0.5), min: Math.min(...values), max: Math.max(...values) };
}

/** "0.91 (0.88–0.95)": a median ratio with its range over rounds. */
export function formatSpread(s: Spread, digits = 2): string {
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}

/**
 * Runs baseline and subject in alternating rounds (after one discarded warm-up
 * pair), so drift on a noisy machine hits both alike; returns per-round ratios
 * subject/baseline of the figure `measure` returns.
 */
export async function interleavedRatios(
  rounds: number,
  baseline: () => Promise<number>,
  subject: () => Promise<number>,
): Promise<{ ratios: number[]; baseline: number[]; subject: number[] }> {
  await baseline();
  await subject();
  const result = { ratios: [] as number[], baseline: [] as number[], subject: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    const b = await baseline();
    const s = await subject();
    result.baseline.push(b);
    result.subject.push(s);
    result.ratios.push(s / b);
  }
  return result;
}
