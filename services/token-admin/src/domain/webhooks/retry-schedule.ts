export interface RetrySchedule {
  /** The wait before the second attempt; it doubles with each further failure. */
  readonly baseMs: number;
  /** No wait is longer than this. */
  readonly maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": half the doubled wait for sure, the
 * other half at random, so endpoints that failed together do not retry together
 * while each wait still grows. `attempts` counts the failures so far (≥ 1).
 */
export function retryDelayMs(schedule: RetrySchedule, attempts: number, random: () => number = Math.random): number {
  const exponential = Math.min(schedule.maxMs, schedule.baseMs * 2 ** Math.min(attempts - 1, 40));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
