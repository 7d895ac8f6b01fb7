import { Command, CommanderError } from "commander";
import { Code, ConnectError } from "@connectrpc/connect";
import type { CliContext } from "./cli-context.js";
import type { CliIo } from "./cli-io.js";
import { adminApi, incidentApi, leakApi, webhookApi } from "./clients.js";
import { registerAdminCommands } from "./commands/admin.js";
import { registerAuditCommand } from "./commands/audit.js";
import { registerIdentityCommands } from "./commands/identities.js";
import { registerIncidentCommands } from "./commands/incident.js";
import { registerTokenCommands } from "./commands/tokens.js";
import { registerValidateCommand } from "./commands/validate.js";
import { registerWebhookCommands } from "./commands/webhooks.js";

/**
 * Runs the `tessera` command line with `argv` (without node and the script) and
 * resolves to the exit code: 0 done, 1 refused or failed, 2 usage, 3 not valid.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = new Command("tessera")
    .description("Tessera: API access tokens. Reads the credential from TESSERA_TOKEN.")
    .option("--admin-url <url>", "token-admin address", io.env.TESSERA_ADMIN_URL ?? "http://127.0.0.1:8080")
    .option("--validator-url <url>", "token-validator gRPC address", io.env.TESSERA_VALIDATOR_URL ?? "http://127.0.0.1:9090")
    .option("--json", "print JSON", false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const ctx: CliContext = {
    io,
    get json() {
      return program.opts().json as boolean;
    },
    get validatorUrl() {
      return program.opts().validatorUrl as string;
    },
    admin: () => adminApi(program.opts().adminUrl as string, io.env.TESSERA_TOKEN),
    leaks: () => leakApi(program.opts().adminUrl as string, io.env.TESSERA_TOKEN),
    webhooks: () => webhookApi(program.opts().adminUrl as string, io.env.TESSERA_TOKEN),
    incidents: () => incidentApi(program.opts().adminUrl as string, io.env.TESSERA_TOKEN),
    fail: (code) => {
      exitCode = code;
    },
  };
  registerTokenCommands(program, ctx);
  registerIdentityCommands(program, ctx);
  registerIncidentCommands(program, ctx);
  registerAuditCommand(program, ctx);
  registerAdminCommands(program, ctx);
  registerValidateCommand(program, ctx);
  registerWebhookCommands(program, ctx);
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof ConnectError) {
      io.stderr.write(`error: ${codeName(err.code)}: ${err.rawMessage}\n`);
      if (err.code === Code.Unauthenticated && !io.env.TESSERA_TOKEN) io.stderr.write(missingTokenHint);
      return 1;
    }
    throw err;
  }
}

const missingTokenHint =
  "TESSERA_TOKEN is not set: export TESSERA_TOKEN=<token> (the admin token the first start printed, or export TESSERA_TOKEN=$(tessera sign-in --org <organisation> --user <name>))\n";

const codeNames = ["ok", "canceled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists", "permission_denied", "resource_exhausted", "failed_precondition", "aborted", "out_of_range", "unimplemented", "internal", "unavailable", "data_loss", "unauthenticated"];
const codeName = (code: number) => codeNames[code] ?? String(code);
