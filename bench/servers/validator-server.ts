// token-validator as the benchmark runs it: the real service, started from
// source under the same loader as the baselines, configured by the environment.
import { createLogger } from "@tessera/shared/log/logger";
import { loadValidatorConfig } from "../../services/token-validator/src/config.js";
import { startTokenValidator } from "../../services/token-validator/src/start-token-validator.js";

const config = loadValidatorConfig();
const validator = await startTokenValidator(config, createLogger("warn", "token-validator"));
process.stdout.write(`${JSON.stringify({ ready: true, grpcPort: validator.grpcPort, httpPort: validator.httpPort })}\n`);
process.on("SIGTERM", () => void validator.close().then(() => process.exit(0)));
