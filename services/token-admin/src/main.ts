import { createLogger } from "@tessera/shared/log/logger";
import { closeOnSignals } from "@tessera/shared/runtime/shutdown";
import { startOrExit } from "@tessera/shared/runtime/start-or-exit";
import { formatBootstrapBanner } from "./bootstrap-banner.js";
import { loadAdminConfig } from "./config.js";
import { startTokenAdmin } from "./start-token-admin.js";

// The only place token-admin reads the environment and handles signals.
// Whatever it writes (the data folder, a generated pepper) is for its own user alone.
process.umask(0o077);
const { admin, log } = await startOrExit("token-admin", async () => {
  const config = loadAdminConfig();
  const log = createLogger(config.logLevel, "token-admin");
  return { admin: await startTokenAdmin(config, log), log };
});
// The one-time token goes to stdout for the operator, never through the logger.
if (admin.bootstrapped) process.stdout.write(formatBootstrapBanner({ adminToken: admin.bootstrapped.adminToken, adminPort: admin.port }));
closeOnSignals(log, () => admin.close());
