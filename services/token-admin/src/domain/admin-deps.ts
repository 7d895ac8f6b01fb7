import type { Kysely } from "kysely";
import type { Database } from "@tessera/shared/db/schema";
import type { Logger } from "@tessera/shared/log/logger";
import type { Digester } from "@tessera/shared/token/token-digest";
import type { TokenFormat } from "@tessera/shared/token/token-format";
import type { Passwords } from "./access/passwords.js";
import type { AttemptLimiter } from "./access/attempt-limiter.js";
import type { ChangePublisher } from "./change-publisher.js";
import type { ValidatorAcks } from "./tokens/await-validators.js";
import type { ValidatorRoster } from "./validators/validator-roster.js";

/** What every admin use case may touch, built once in main. */
export interface AdminDeps {
  readonly db: Kysely<Database>;
  /** Where committed changes are announced. */
  readonly feed: ChangePublisher;
  readonly digest: Digester;
  /** This deployment's token prefix and checksum: every value minted or parsed. */
  readonly tokenFormat: TokenFormat;
  readonly now: () => Date;
  readonly log: Logger;
  /** Validators' acknowledgements of feed positions, for calls that wait for them. */
  readonly acks: ValidatorAcks;
  /** The validators and what each has applied and how fresh it is, for the validators screen. */
  readonly roster: ValidatorRoster;
  readonly passwords: Passwords;
  /** Sign-in attempts per principal and source. */
  readonly signInLimiter: AttemptLimiter;
  /** Lifetime of a session token from SignIn. */
  readonly sessionTtlMs: number;
  /** After a regenerate with a grace period, revoke the previous value once unseen this long (unless the request says otherwise); 0: never early. Default one hour. */
  readonly rotationQuietPeriodMs?: number;
  /** Whether notices go out by email too (SMTP configured): leaks and rotations still in use queue emails only then. */
  readonly emailNotices?: boolean;
}
