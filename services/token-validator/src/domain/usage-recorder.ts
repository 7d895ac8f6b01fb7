import type { DecisionObserver } from "./surface.js";

/** The latest use of one token seen since the last flush. */
export interface TokenUseSeen {
  readonly tokenId: string;
  lastUsedAtMs: number;
  source: string;
}

/**
 * Remembers, per token, only the latest accepted use: a flush then writes one
 * row per token however often it was used, never one write per validation.
 */
export class UsageRecorder {
  private uses = new Map<string, TokenUseSeen>();

  /** Records valid decisions only: a refused token was not used. */
  readonly observe: DecisionObserver = (decision, surface, nowMs) => {
    if (!decision.valid || !decision.token) return;
    const id = decision.token.id;
    const seen = this.uses.get(id);
    if (seen === undefined) this.uses.set(id, { tokenId: id, lastUsedAtMs: nowMs, source: surface });
    else if (seen.lastUsedAtMs < nowMs) {
      // Updated in place: a token in steady use costs no allocation per request.
      seen.lastUsedAtMs = nowMs;
      seen.source = surface;
    }
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
