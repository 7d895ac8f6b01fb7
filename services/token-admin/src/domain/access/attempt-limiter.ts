/**
 * Counts sign-in attempts per key over a window; shared between admin processes
 * when Redis is there. An attempt is counted before the password is checked, so
 * concurrent guesses cannot all pass a check made before any of them failed.
 */
export interface AttemptLimiter {
  /** Counts an attempt against every key; false when any key is past its limit. */
  begin(keys: readonly string[]): Promise<boolean>;
  /** After a success: clears `clearKey`'s count and gives back the attempt counted against `returnKeys`. */
  succeeded(clearKey: string, returnKeys: readonly string[]): Promise<void>;
}
