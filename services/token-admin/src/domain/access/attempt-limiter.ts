/** One sign-in attempt: where it came from and whom it names, as opaque keys. */
export interface Attempt {
  readonly source: string;
  readonly principal: string;
}

/** Whether an attempt may check its password; if not, when to try again. */
export type AttemptVerdict = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

/**
 * Limits sign-in attempts; shared between admin processes when Redis is there.
 *
 * A source pays for every attempt it makes, up to its limit in a window; past
 * it, it is refused before anything else is counted, so a blocked source adds
 * nothing to any principal's count. A principal is slowed, never locked: after
 * its free failures each further attempt waits a delay that doubles with every
 * failure, up to a ceiling, and attempts inside the delay are refused without
 * counting. An attempt is counted before its password is checked, so
 * concurrent guesses cannot all pass a check made before any of them failed.
 */
export interface AttemptLimiter {
  begin(attempt: Attempt): Promise<AttemptVerdict>;
  /** The password was right: the principal starts afresh and the source gets the attempt back. */
  succeeded(attempt: Attempt): Promise<void>;
  /** The password was never checked (the hashing pool was busy, say): the attempt is given back to both, delay included. */
  abandoned(attempt: Attempt): Promise<void>;
}
