import type { AdminApi, IncidentApi, LeakApi, WebhookApi } from "./clients.js";
import type { CliIo } from "./cli-io.js";

/** What every command needs, resolved from the global options once they are parsed. */
export interface CliContext {
  readonly io: CliIo;
  /** Print JSON instead of tables. */
  readonly json: boolean;
  /** The admin API as TESSERA_TOKEN (or anonymously, for sign-in). */
  admin(): AdminApi;
  /** The leak-response API, as TESSERA_TOKEN. */
  leaks(): LeakApi;
  /** The webhook API as TESSERA_TOKEN. */
  webhooks(): WebhookApi;
  /** The incident-response API as TESSERA_TOKEN. */
  incidents(): IncidentApi;
  /** The validator's gRPC base URL. */
  readonly validatorUrl: string;
  /** Ends the command with this exit code. */
  fail(code: number): void;
}
