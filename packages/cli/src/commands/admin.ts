import type { Command } from "commander";
import type { CliContext } from "../cli-context.js";

/** `tessera admin recover`: the built-in admin's local recovery, from the database itself. */
export function registerAdminCommands(program: Command, ctx: CliContext): void {
  const admin = program.command("admin").description("the built-in admin, from the database itself (run where token-admin runs, with its environment)");
  admin
    .command("recover")
    .description("mint a new built-in admin token when it is lost or expired; every earlier one is revoked (audited)")
    .action(async () => {
      // Loaded only here: the rest of the CLI speaks to the API and needs no database driver.
      const { runAdminRecovery } = await import("@tessera/token-admin/recover-admin-command");
      ctx.fail(await runAdminRecovery(ctx.io.env, ctx.io));
    });
}
