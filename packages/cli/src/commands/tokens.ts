import type { Command } from "commander";
import { Option } from "commander";
import {
  CreateTokenResponseSchema,
  ExchangeTokenResponseSchema,
  ListTokensResponseSchema,
  RegenerateTokenResponseSchema,
} from "@tessera/shared/gen/tessera/v1/admin_pb";
import { TokenLevel, TokenSchema, TokenStatus, type Token } from "@tessera/shared/gen/tessera/v1/token_pb";
import type { CliContext } from "../cli-context.js";
import { confirmByTyping } from "../confirm.js";
import { enumName, printIds, printJson, printTable, shortTime } from "../output.js";
import { durationOf, parseExpiry } from "../parse-duration.js";
import { IdentifyTokenResponseSchema } from "@tessera/shared/gen/tessera/v1/leaks_pb";

/** A found token's value: TESSERA_FOUND_TOKEN, else the first line of stdin — never argv, so it shows in no process list or history. */
async function readFoundToken(ctx: CliContext): Promise<string> {
  const fromEnv = ctx.io.env.TESSERA_FOUND_TOKEN;
  if (fromEnv) return fromEnv.trim();
  let text = "";
  for await (const chunk of ctx.io.stdin) {
    text += String(chunk);
    if (text.includes("\n") || text.length > 4096) break;
  }
  return text.split("\n")[0]!.trim();
}

const levels = { user: TokenLevel.USER, group: TokenLevel.GROUP, org: TokenLevel.ORG } as const;
const statuses = { active: TokenStatus.ACTIVE, disabled: TokenStatus.DISABLED, revoked: TokenStatus.REVOKED, expired: TokenStatus.EXPIRED } as const;
const collect = (value: string, previous: string[] = []) => [...previous, value];

function printTokens(ctx: CliContext, tokens: readonly Token[]): void {
  printTable(
    ctx.io.stdout,
    ["ID", "NAME", "HINT", "STATUS", "LEVEL", "SCOPES", "EXPIRES", "LAST USED"],
    tokens.map((t) => [
      t.id,
      t.name,
      t.displayHint,
      enumName(TokenStatus, t.status, "TOKEN_STATUS_"),
      enumName(TokenLevel, t.level, "TOKEN_LEVEL_"),
      t.scopes.join(",") || "-",
      shortTime(t.expireTime),
      shortTime(t.lastUsedTime),
    ]),
  );
}

/** Shows a token's value, which exists nowhere else: on stdout alone, so `$(...)` captures it. */
function printValue(ctx: CliContext, what: string, token: Token, value: string): void {
  ctx.io.stderr.write(`${what} "${token.name}" (${token.id}). Copy the value now — it is not shown again:\n`);
  ctx.io.stdout.write(`${value}\n`);
}

/** `tessera tokens …`: the token lifecycle. */
export function registerTokenCommands(program: Command, ctx: CliContext): void {
  const tokens = program.command("tokens").description("create, list and manage tokens");

  tokens
    .command("create")
    .description("create a token; prints its value once")
    .requiredOption("--name <name>", "what the token is for")
    .option("--scope <scope>", "a scope the token carries (repeatable)", collect, [])
    .option("--owner <principal-id>", "owner of a user-level token (default: you)")
    .option("--expires <when>", '"45m", "8h", "30d", "2026-12-31" (end of that day), an ISO instant, or "never"', parseExpiry)
    .addOption(new Option("--level <level>", "user, group or org").choices(Object.keys(levels)).default("user"))
    .option("--group <group-id>", "the group of a group-level token")
    .option("--org <organisation-id>", "the organisation of an org-level token")
    .option("--admin", "the token may call the admin API with its owner's role", false)
    .option("--honeytoken", "a decoy: refused everywhere as unknown, every use reported (audit: token.honeytoken_used)", false)
    .action(async (opts) => {
      const created = await ctx.admin().createToken({
        name: opts.name,
        scopes: opts.scope,
        ownerId: opts.owner ?? "",
        expiry: opts.expires,
        level: levels[opts.level as keyof typeof levels],
        groupId: opts.group ?? "",
        organisationId: opts.org ?? "",
        admin: opts.admin,
        honeytoken: opts.honeytoken,
      });
      if (ctx.json) printJson(ctx.io.stdout, CreateTokenResponseSchema, created);
      else printValue(ctx, "Created token", created.token!, created.tokenValue);
    });

  tokens
    .command("list")
    .description("list the tokens you may see, newest first")
    .addOption(new Option("--status <status>").choices(Object.keys(statuses)))
    .option("--owner <principal-id>")
    .option("--name <text>", "part of the name")
    .option("--limit <n>", "at most this many", (v) => Number.parseInt(v, 10), 50)
    .option("-q, --quiet", "print only their ids, one a line", false)
    .option("--honeytokens", "list honeytokens (only them: they are listed apart)", false)
    .action(async (opts) => {
      const page = await ctx.admin().listTokens({
        honeytokens: opts.honeytokens,
        status: opts.status ? statuses[opts.status as keyof typeof statuses] : undefined,
        ownerId: opts.owner ?? "",
        nameContains: opts.name ?? "",
        pageSize: Math.min(Math.max(1, opts.limit), 500),
      });
      if (opts.quiet) printIds(ctx.io.stdout, page.tokens);
      else if (ctx.json) printJson(ctx.io.stdout, ListTokensResponseSchema, page);
      else printTokens(ctx, page.tokens);
    });

  tokens
    .command("identify")
    .description("say whose a found token is, its status and last use, without revoking it (value from TESSERA_FOUND_TOKEN or stdin)")
    .action(async () => {
      const value = await readFoundToken(ctx);
      if (!value) {
        ctx.io.stderr.write("error: no token value: set TESSERA_FOUND_TOKEN or pipe it on stdin (never on the command line)\n");
        return ctx.fail(2);
      }
      const found = await ctx.leaks().identifyToken({ tokenValue: value });
      if (ctx.json) return printJson(ctx.io.stdout, IdentifyTokenResponseSchema, found);
      const t = found.token!;
      printTable(
        ctx.io.stdout,
        ["ID", "NAME", "HINT", "OWNER", "STATUS", "LAST USED", "FROM"],
        [[t.id, t.name, t.displayHint, found.ownerName || t.ownerId, enumName(TokenStatus, t.status, "TOKEN_STATUS_"), shortTime(found.lastUsedTime), found.lastUsedSource || "-"]],
      );
    });

  tokens
    .command("show <token-id>")
    .alias("get")
    .description("show one token's record (never its value)")
    .action(async (id: string) => {
      const { token } = await ctx.admin().getToken({ tokenId: id });
      printJson(ctx.io.stdout, TokenSchema, token!);
    });

  /** Looks the token up and asks for its name to be typed, unless --yes. */
  const confirmed = async (id: string, verb: string, yes: boolean) => {
    if (yes) return true;
    const { token } = await ctx.admin().getToken({ tokenId: id });
    const ok = await confirmByTyping(ctx.io, `${verb} token "${token!.name}" (${token!.displayHint})?`, token!.name);
    if (!ok) ctx.io.stderr.write("Not confirmed; nothing changed.\n");
    return ok;
  };

  tokens
    .command("revoke <token-id>")
    .description("revoke a token for good (asks you to type its name first)")
    .option("-y, --yes", "do not ask for confirmation", false)
    .option("--wait <duration>", "wait until every live validator refuses it (e.g. 5s)", durationOf)
    .action(async (id: string, opts) => {
      if (!(await confirmed(id, "Revoke", opts.yes))) return ctx.fail(1);
      const done = await ctx.admin().revokeToken({ tokenId: id, awaitValidators: opts.wait });
      const ack = done.acknowledgement;
      ctx.io.stdout.write(`Revoked ${id} at feed position ${done.seq}${ack ? `; ${ack.applied} of ${ack.live} validators applied it${ack.complete ? "" : " (wait timed out)"}` : ""}.\n`);
    });

  tokens
    .command("disable <token-id>")
    .description("suspend a token until enabled again")
    .option("--wait <duration>", "wait until every live validator refuses it", durationOf)
    .action(async (id: string, opts) => {
      const done = await ctx.admin().disableToken({ tokenId: id, awaitValidators: opts.wait });
      ctx.io.stdout.write(`Disabled ${id} at feed position ${done.seq}.\n`);
    });

  tokens
    .command("enable <token-id>")
    .description("lift a suspension")
    .action(async (id: string) => {
      const done = await ctx.admin().enableToken({ tokenId: id });
      ctx.io.stdout.write(`Enabled ${id} at feed position ${done.seq}.\n`);
    });

  tokens
    .command("delete <token-ids...>")
    .description("delete up to 100 tokens at once, all or nothing (asks first)")
    .option("-y, --yes", "do not ask for confirmation", false)
    .action(async (ids: string[], opts) => {
      const expected = `delete ${ids.length}`;
      if (!opts.yes && !(await confirmByTyping(ctx.io, `Delete ${ids.length} token(s) for good?`, expected))) {
        ctx.io.stderr.write("Not confirmed; nothing changed.\n");
        return ctx.fail(1);
      }
      const done = await ctx.admin().deleteTokens({ tokenIds: ids });
      ctx.io.stdout.write(`Deleted ${done.deletedCount} token(s).\n`);
    });

  tokens
    .command("regenerate <token-id>")
    .description("a new value for the same token; prints it once")
    .option("--grace <duration>", "keep the old value working this long (e.g. 1h)", durationOf)
    .option("--quiet <duration>", "with --grace: revoke the old value early once unused this long (0s: never; default: the server's)", durationOf)
    .action(async (id: string, opts) => {
      const done = await ctx.admin().regenerateToken({ tokenId: id, gracePeriod: opts.grace, quietPeriod: opts.quiet });
      if (ctx.json) printJson(ctx.io.stdout, RegenerateTokenResponseSchema, done);
      else printValue(ctx, "Regenerated token", done.token!, done.tokenValue);
    });

  tokens
    .command("exchange")
    .description("exchange the token in TESSERA_TOKEN for a short-lived bearer token")
    .option("--ttl <duration>", "its lifetime (e.g. 15m)", durationOf)
    .option("--scope <scope>", "narrow to this scope (repeatable)", collect, [])
    .action(async (opts) => {
      const done = await ctx.admin().exchangeToken({ ttl: opts.ttl, scopes: opts.scope });
      if (ctx.json) printJson(ctx.io.stdout, ExchangeTokenResponseSchema, done);
      else printValue(ctx, "Exchanged for bearer token", done.token!, done.tokenValue);
    });
}
