import { createLogger } from "@tessera/shared/log/logger";
import { closeOnSignals } from "@tessera/shared/runtime/shutdown";
import { startOrExit } from "@tessera/shared/runtime/start-or-exit";
import { handOverAdminToken } from "./admin-token-handover.js";
import { formatBootstrapBanner } from "./bootstrap-banner.js";
import { loadAdminConfig } from "./config.js";
import { startTokenAdmin } from "./start-token-admin.js";

// The only place token-admin reads the environment and handles signals.
// Whatever it writes (the data folder, a generated pepper) is for its own user alone.
process.umask(0o077);
const { admin, config, log } = await startOrExit("token-admin", async () => {
  const config = loadAdminConfig();
  const log = createLogger(config.logLevel, "token-admin");
  return { admin: await startTokenAdmin(config, log), config, log };
});
// The one-time token goes to a 0600 file in production, to the terminal embedded; never through the logger.
const bootstrapped = admin.bootstrapped;
if (bootstrapped) {
  const token = { adminToken: bootstrapped.adminToken, expiresAt: bootstrapped.adminTokenExpiresAt };
  handOverAdminToken(config, token, () => process.stdout.write(formatBootstrapBanner({ ...token, tls: config.tls !== undefined, adminPort: admin.port })), log);
}
closeOnSignals(log, () => admin.close());
