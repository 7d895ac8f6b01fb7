import type { Kysely } from "kysely";
import type { Bus } from "@tessera/shared/bus/bus";
import type { Database } from "@tessera/shared/db/schema";
import type { Logger } from "@tessera/shared/log/logger";
import type { Digester } from "@tessera/shared/token/token-digest";
import type { ValidatorAcks } from "../bus/validator-acks.js";
import type { Passwords } from "./access/passwords.js";
import type { AttemptLimiter } from "./access/attempt-limiter.js";
import type { ValidatorRoster } from "./validators/list-validators.js";

/** What every admin use case may touch, built once in main. */
export interface AdminDeps {
  readonly db: Kysely<Database>;
  readonly bus: Bus;
  readonly digest: Digester;
  readonly now: () => Date;
  readonly log: Logger;
  /** Validators' acknowledgements of feed positions, for calls that wait for them. */
  readonly acks: ValidatorAcks;
  /** The live validators and what each has applied, for the validators screen. */
  readonly validators: ValidatorRoster;
  readonly passwords: Passwords;
  /** Sign-in attempts per principal and source. */
  readonly signInLimiter: AttemptLimiter;
  /** Lifetime of a session token from SignIn. */
  readonly sessionTtlMs: number;
}
