import type { DecisionObserver, Surface } from "./surface.js";

/** One place a token was presented from since the last flush. */
export interface SourceSeen {
  readonly surface: Surface;
  /** As the surface gave it (a gRPC peer keeps its port; the admin side trims). */
  readonly address: string;
  /** As received, query included; the admin side trims. */
  readonly route: string;
  /** The value presented was the one a RegenerateToken replaced. */
  readonly previousValue: boolean;
  firstSeenMs: number;
  lastSeenMs: number;
  count: number;
}

/** The latest use of one token seen since the last flush, and where it came from. */
export interface TokenUseSeen {
  readonly tokenId: string;
  lastUsedAtMs: number;
  source: Surface;
  /** At most the recorder's bound, the least recently seen replaced first. */
  readonly sources: SourceSeen[];
}

/** Default for how many distinct sources are kept per token between flushes (TESSERA_USAGE_SOURCES_PER_TOKEN). */
export const defaultSourcesPerToken = 10;

/**
 * Remembers, per token, the latest accepted use and the distinct places it
 * came from: a flush then writes one row per token however often it was used,
 * never one write per validation. A repeated source is counted in place; only
 * a new one allocates, and each token holds at most `maxSources`.
 */
export class UsageRecorder {
  private uses = new Map<string, TokenUseSeen>();

  constructor(private readonly maxSources = defaultSourcesPerToken) {}

  /** Records valid decisions only: a refused token was not used. */
  readonly observe: DecisionObserver = (decision, surface, nowMs, origin) => {
    if (!decision.valid || !decision.token) return;
    const id = decision.token.id;
    let seen = this.uses.get(id);
    if (!seen) {
      seen = { tokenId: id, lastUsedAtMs: nowMs, source: surface, sources: [] };
      this.uses.set(id, seen);
    } else if (seen.lastUsedAtMs < nowMs) {
      seen.lastUsedAtMs = nowMs;
      seen.source = surface;
    }
    const address = origin.address;
    const route = origin.route;
    const previousValue = decision.previousValue;
    const sources = seen.sources;
    let oldest = 0;
    for (let i = 0; i < sources.length; i++) {
      const source = sources[i]!;
      if (source.surface === surface && source.previousValue === previousValue && source.address === address && source.route === route) {
        source.count++;
        if (source.lastSeenMs < nowMs) source.lastSeenMs = nowMs;
        return;
      }
      if (source.lastSeenMs < sources[oldest]!.lastSeenMs) oldest = i;
    }
    const fresh: SourceSeen = { surface, address, route, previousValue, firstSeenMs: nowMs, lastSeenMs: nowMs, count: 1 };
    if (sources.length < this.maxSources) sources.push(fresh);
    else sources[oldest] = fresh;
  };

  /** Hands over everything seen since the last call and starts afresh. */
  drain(): TokenUseSeen[] {
    const drained = [...this.uses.values()];
    this.uses = new Map();
    return drained;
  }

  get pending(): number {
    return this.uses.size;
  }
}
