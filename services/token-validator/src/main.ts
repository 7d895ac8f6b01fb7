import { createLogger } from "@tessera/shared/log/logger";
import { closeOnSignals } from "@tessera/shared/runtime/shutdown";
import { loadValidatorConfig } from "./config.js";
import { startTokenValidator } from "./start-token-validator.js";

// The only place token-validator reads the environment and handles signals.
const config = loadValidatorConfig();
const log = createLogger(config.logLevel, "token-validator");
if (!config.databaseUrl) {
  log.fatal("DATABASE_URL is required: a standalone validator reads the same Postgres as token-admin (use `npm start` for the embedded mode)");
  process.exit(2);
}
const validator = await startTokenValidator(config, log);
closeOnSignals(log, () => validator.close());
