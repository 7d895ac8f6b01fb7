import type { Bus } from "../bus/open-bus.js";
import type { DatabaseHandle } from "../db/database.js";
import type { Tracing } from "../tracing/tracing.js";

/**
 * What the embedded single process opens once and hands to both services.
 * A service given these does not close them; their opener does.
 */
export interface SharedResources {
  readonly database: DatabaseHandle;
  readonly bus: Bus;
  readonly pepper: string;
  /** Set when traces are exported; the database's queries are traced through it. */
  readonly tracing?: Tracing | undefined;
}
