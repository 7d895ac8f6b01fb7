import type { Surface } from "./surface.js";

/** One presentation of a honeytoken to a validator surface. */
export interface HoneytokenPresentation {
  readonly tokenId: string;
  readonly surface: Surface;
  /** The presenting client's address as the surface saw it ("" when it cannot tell). */
  readonly sourceAddress: string;
  /** The method and path asked about, or the surface's own route. */
  readonly route: string;
  readonly usedAtMs: number;
}

/**
 * Told of every honeytoken presentation, after the surface has answered: must
 * only queue in memory (the sending happens elsewhere), so presenting a
 * honeytoken costs the presenter no more time than an unknown value.
 */
export type HoneytokenReporter = (presentation: HoneytokenPresentation) => void;

/** Bounds what a report may carry: an address and a route are short; anything longer is cut. */
export const maxReportedFieldLength = 256;
