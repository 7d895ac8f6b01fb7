import { createLogger } from "@tessera/shared/log/logger";
import { closeOnSignals } from "@tessera/shared/runtime/shutdown";
import { startOrExit } from "@tessera/shared/runtime/start-or-exit";
import { StartupError } from "@tessera/shared/runtime/startup-error";
import { loadValidatorConfig } from "./config.js";
import { startTokenValidator } from "./start-token-validator.js";
import { routeGrpcLogs } from "./transport/grpc-logging.js";

// The only place token-validator reads the environment and handles signals.
// Whatever it writes (a generated pepper, say) is for its own user alone.
process.umask(0o077);
const { validator, log } = await startOrExit("token-validator", async () => {
  const config = loadValidatorConfig();
  if (!config.databaseUrl) {
    throw new StartupError("DATABASE_URL is required: a standalone validator reads the same Postgres as token-admin (use `npm start` for the embedded mode)");
  }
  const log = createLogger(config.logLevel, "token-validator");
  routeGrpcLogs(log);
  return { validator: await startTokenValidator(config, log), log };
});
closeOnSignals(log, () => validator.close());
