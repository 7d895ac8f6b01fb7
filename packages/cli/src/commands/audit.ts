import type { Command } from "commander";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ListAuditEventsResponseSchema } from "@tessera/shared/gen/tessera/v1/admin_pb";
import type { CliContext } from "../cli-context.js";
import { printJson, printTable, shortTime } from "../output.js";
import { parseDurationSeconds } from "../parse-duration.js";

/** `tessera audit`: who did what, when, from where. */
export function registerAuditCommand(program: Command, ctx: CliContext): void {
  program
    .command("audit")
    .description("the audit log, newest first")
    .option("--token <token-id>")
    .option("--actor <principal-id>")
    .option("--action <action>", 'e.g. "token.revoke"')
    .option("--since <duration>", "only the last … (e.g. 24h)", parseDurationSeconds)
    .option("--limit <n>", "at most this many", (v) => Number.parseInt(v, 10), 50)
    .action(async (opts) => {
      const found = await ctx.admin().listAuditEvents({
        tokenId: opts.token ?? "",
        actorId: opts.actor ?? "",
        action: opts.action ?? "",
        startTime: opts.since ? timestampFromMs(Date.now() - opts.since * 1000) : undefined,
        pageSize: Math.min(Math.max(1, opts.limit), 500),
      });
      if (ctx.json) return printJson(ctx.io.stdout, ListAuditEventsResponseSchema, found);
      printTable(
        ctx.io.stdout,
        ["TIME", "ACTION", "ACTOR", "TOKEN", "PRINCIPAL", "FROM"],
        found.events.map((e) => [shortTime(e.time), e.action, e.actorId || "-", e.tokenId || "-", e.principalId || "-", e.source]),
      );
    });
}
