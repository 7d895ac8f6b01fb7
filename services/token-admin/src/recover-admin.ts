import { runAdminRecovery } from "./recover-admin-command.js";

// `npm run recover-admin`: a new built-in admin token from the database itself,
// for when the old one is lost or expired. What it writes is for this user alone.
process.umask(0o077);
process.exitCode = await runAdminRecovery(process.env, process);
