import { createLogger } from "@tessera/shared/log/logger";
import { closeOnSignals } from "@tessera/shared/runtime/shutdown";
import { formatBootstrapBanner } from "./bootstrap-banner.js";
import { loadAdminConfig } from "./config.js";
import { startTokenAdmin } from "./start-token-admin.js";

// The only place token-admin reads the environment and handles signals.
const config = loadAdminConfig();
const log = createLogger(config.logLevel, "token-admin");
const admin = await startTokenAdmin(config, log);
// The one-time token goes to stdout for the operator, never through the logger.
if (admin.bootstrapped) process.stdout.write(formatBootstrapBanner({ adminToken: admin.bootstrapped.adminToken, adminPort: admin.port }));
closeOnSignals(log, () => admin.close());
