import { InvalidArgumentError, type Command } from "commander";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { RevokeIssuedBeforeResponseSchema, type RevokeIssuedBeforeRequest } from "@tessera/shared/gen/tessera/v1/incident_pb";
import type { CliContext } from "../cli-context.js";
import { confirmByTyping } from "../confirm.js";
import { printJson } from "../output.js";
import { durationOf } from "../parse-duration.js";

/** An ISO instant ("2026-12-01T09:30:00Z") as a Timestamp init. */
function instantOf(value: string) {
  const at = Date.parse(value);
  if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) throw new InvalidArgumentError('expected an ISO instant such as "2026-12-01T09:30:00Z"');
  return timestampFromMs(at);
}

/** `tessera incident …`: incident response. */
export function registerIncidentCommands(program: Command, ctx: CliContext): void {
  const incident = program.command("incident").description("incident response: stop many tokens in one change");

  incident
    .command("revoke-issued-before")
    .description("refuse every token of a principal, group or organisation created before an instant (default: now)")
    .option("--principal <principal-id>", "the tokens of this principal")
    .option("--group <group-id>", "the tokens of this group's principals (group-level tokens included)")
    .option("--org <organisation-id>", "every token of this organisation")
    .option("--before <instant>", 'an ISO instant, e.g. "2026-12-01T09:30:00Z" (default: now)', instantOf)
    .option("--reason <text>", "why, for the audit log")
    .option("--wait <duration>", "wait until every live validator refuses them (e.g. 5s)", durationOf)
    .option("-y, --yes", "do not ask for confirmation", false)
    .action(async (opts) => {
      const targets = [
        opts.principal && ({ case: "principalId", value: opts.principal } as const),
        opts.group && ({ case: "groupId", value: opts.group } as const),
        opts.org && ({ case: "organisationId", value: opts.org } as const),
      ].filter((t): t is Exclude<RevokeIssuedBeforeRequest["target"], { case: undefined }> => Boolean(t));
      if (targets.length !== 1) {
        ctx.io.stderr.write("error: name exactly one of --principal, --group or --org\n");
        return ctx.fail(2);
      }
      const target = targets[0]!;
      const kind = target.case === "principalId" ? "principal" : target.case === "groupId" ? "group" : "organisation";
      if (!opts.yes && !(await confirmByTyping(ctx.io, `Refuse every token of ${kind} ${target.value} issued before ${opts.before ? timestampDate(opts.before).toISOString() : "now"}?`, "revoke"))) {
        ctx.io.stderr.write("Not confirmed; nothing changed.\n");
        return ctx.fail(1);
      }
      const done = await ctx.incidents().revokeIssuedBefore({ target, issuedBefore: opts.before, reason: opts.reason ?? "", awaitValidators: opts.wait });
      if (ctx.json) return printJson(ctx.io.stdout, RevokeIssuedBeforeResponseSchema, done);
      const ack = done.acknowledgement;
      const cutoff = done.tokensNotBefore ? timestampDate(done.tokensNotBefore).toISOString() : "-";
      ctx.io.stdout.write(
        `Tokens of ${kind} ${target.value} created before ${cutoff} are refused (feed position ${done.seq})` +
          `${ack ? `; ${ack.applied} of ${ack.live} validators applied it${ack.complete ? "" : " (wait timed out)"}` : ""}.\n`,
      );
    });
}
