/** Whether a source may report now; if not, when to try again. */
export type ReportVerdict = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

/** Limits unauthenticated leak reports per source address. */
export interface ReportLimiter {
  take(source: string): ReportVerdict;
  close(): void;
}

export interface ReportLimits {
  /** Reports a source may make per window. */
  readonly perSource: number;
  readonly windowMs: number;
  /** Sources remembered at once: past this, new sources are refused until windows end (a flood from many addresses cannot grow memory). */
  readonly maxSources: number;
}

interface Window {
  count: number;
  endsAtMs: number;
}

/**
 * Fixed windows per source in process memory, in the sign-in limiter's style
 * (bus/attempt-limiter.ts), bounded in size. Per admin process: with several
 * replicas behind a balancer a source gets up to that many times the limit,
 * which is fine for a limit whose job is to keep one source from hammering
 * the database.
 */
export function createReportLimiter(limits: ReportLimits, now: () => number = Date.now): ReportLimiter {
  const sources = new Map<string, Window>();
  const sweep = () => {
    const at = now();
    for (const [key, window] of sources) if (window.endsAtMs <= at) sources.delete(key);
  };
  const timer = setInterval(sweep, limits.windowMs);
  timer.unref();
  return {
    take(source) {
      const at = now();
      let window = sources.get(source);
      if (window && window.endsAtMs <= at) window = undefined;
      if (!window) {
        if (sources.size >= limits.maxSources) sweep();
        if (sources.size >= limits.maxSources) return { allowed: false, retryAfterMs: limits.windowMs };
        window = { count: 0, endsAtMs: at + limits.windowMs };
        sources.set(source, window);
      }
      if (window.count >= limits.perSource) return { allowed: false, retryAfterMs: Math.max(1, window.endsAtMs - at) };
      window.count++;
      return { allowed: true };
    },
    close() {
      clearInterval(timer);
      sources.clear();
    },
  };
}
