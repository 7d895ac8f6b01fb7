import type { Command } from "commander";
import { Option } from "commander";
import { GetCallerResponseSchema, ListGroupsResponseSchema, ListPrincipalsResponseSchema } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { GroupSchema, OrganisationSchema, PrincipalKind, PrincipalSchema, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { OrganisationSettingsSchema } from "@tessera/shared/gen/tessera/v1/admin_pb";
import type { CliContext } from "../cli-context.js";
import { enumName, printIds, printJson, printTable } from "../output.js";
import { durationOf } from "../parse-duration.js";
import { noPasswordMessage, readPassword } from "../password-input.js";

const roles = { admin: Role.ADMIN, org_admin: Role.ORG_ADMIN, group_admin: Role.GROUP_ADMIN, member: Role.MEMBER } as const;
const kinds = { human: PrincipalKind.HUMAN, technical: PrincipalKind.TECHNICAL } as const;
const collect = (value: string, previous: string[] = []) => [...previous, value];
const onOff = (value: string) => value === "on";

/** The organisation-policy flags shared by `orgs create` and `orgs update`. */
function withSettingsOptions(command: Command): Command {
  return command
    .addOption(new Option("--tokens <on|off>", "the API-token feature flag").choices(["on", "off"]))
    .option("--time-zone <zone>", "IANA zone for calendar-date expiries, e.g. Europe/Berlin")
    .option("--default-expiry <none|today|duration>", 'expiry of tokens created without one: "none", "today" or e.g. "30d"')
    .option("--max-lifetime <duration|none>", 'cap on any token\'s lifetime, or "none"')
    .addOption(new Option("--no-expiry-allowed <on|off>", "whether tokens may never expire").choices(["on", "off"]))
    .addOption(new Option("--technical-only <on|off>", "tokens only for technical users").choices(["on", "off"]))
    .option("--catalog <scope>", "a scope of the catalog (repeatable; replaces the catalog)", collect)
    .option("--max-inactivity <duration|off>", 'revoke tokens unused this long (e.g. "90d"), or "off"');
}

function settingsFrom(opts: Record<string, string | string[] | undefined>): MessageInitShape<typeof OrganisationSettingsSchema> {
  const settings: MessageInitShape<typeof OrganisationSettingsSchema> = {};
  if (opts.tokens) settings.apiTokensEnabled = onOff(opts.tokens as string);
  if (opts.timeZone) settings.timeZone = opts.timeZone as string;
  const expiry = opts.defaultExpiry as string | undefined;
  if (expiry === "none") settings.defaultExpiry = { kind: { case: "none", value: true } };
  else if (expiry === "today") settings.defaultExpiry = { kind: { case: "endOfToday", value: true } };
  else if (expiry) settings.defaultExpiry = { kind: { case: "after", value: durationOf(expiry) } };
  const lifetime = opts.maxLifetime as string | undefined;
  if (lifetime) settings.maxLifetime = lifetime === "none" ? { seconds: 0n, nanos: 0 } : durationOf(lifetime);
  if (opts.noExpiryAllowed) settings.allowNoExpiry = onOff(opts.noExpiryAllowed as string);
  if (opts.technicalOnly) settings.technicalUsersOnly = onOff(opts.technicalOnly as string);
  if (opts.catalog) settings.scopeCatalog = { scopes: opts.catalog as string[] };
  const inactivity = opts.maxInactivity as string | undefined;
  if (inactivity) settings.maxInactivity = inactivity === "off" ? { seconds: 0n, nanos: 0 } : durationOf(inactivity);
  return settings;
}

function refuseWithoutPassword(ctx: CliContext): void {
  ctx.io.stderr.write(noPasswordMessage);
  ctx.fail(2);
}

/** `tessera whoami`, `sign-in`, `orgs`, `groups`, `principals`. */
export function registerIdentityCommands(program: Command, ctx: CliContext): void {
  program
    .command("whoami")
    .description("who TESSERA_TOKEN belongs to")
    .action(async () => {
      const me = await ctx.admin().getCaller({});
      if (ctx.json) return printJson(ctx.io.stdout, GetCallerResponseSchema, me);
      const p = me.principal!;
      ctx.io.stdout.write(`${p.name} (${enumName(Role, p.role, "ROLE_")}) in organisation ${p.organisationId}; permissions: ${p.permissions.join(", ") || "none"}\n`);
    });

  program
    .command("sign-in")
    .description("sign in with a password; prints a session token for TESSERA_TOKEN")
    .requiredOption("--org <name>", "the organisation's name")
    .requiredOption("--user <name>", "your user name")
    .action(async (opts) => {
      const password = await readPassword(ctx.io, "current");
      if (password === undefined) return refuseWithoutPassword(ctx);
      const signedIn = await ctx.admin().signIn({ organisation: opts.org, userName: opts.user, password });
      ctx.io.stderr.write(`Signed in as ${signedIn.principal!.name}. Use the session with: export TESSERA_TOKEN=<the line below>\n`);
      ctx.io.stdout.write(`${signedIn.sessionToken}\n`);
    });

  const orgs = program.command("orgs").description("organisations and their token policy");
  orgs
    .command("show [organisation-id]")
    .description("an organisation and its policy (default: yours)")
    .action(async (id?: string) => printJson(ctx.io.stdout, OrganisationSchema, (await ctx.admin().getOrganisation({ organisationId: id ?? "" })).organisation!));
  orgs
    .command("list")
    .action(async () => {
      const { organisations } = await ctx.admin().listOrganisations({ pageSize: 500 });
      printTable(ctx.io.stdout, ["ID", "NAME", "TOKENS", "TIME ZONE"], organisations.map((o) => [o.id, o.name, o.apiTokensEnabled ? "on" : "off", o.timeZone]));
    });
  withSettingsOptions(orgs.command("create <name>").description("create an organisation (built-in admin only)")).action(async (name: string, opts) => {
    printJson(ctx.io.stdout, OrganisationSchema, (await ctx.admin().createOrganisation({ name, settings: settingsFrom(opts) })).organisation!);
  });
  withSettingsOptions(orgs.command("update [organisation-id]").description("change an organisation's policy (default: yours)"))
    .option("--rename <name>")
    .action(async (id: string | undefined, opts) => {
      const api = ctx.admin();
      const organisationId = id ?? (await api.getOrganisation({})).organisation!.id;
      const done = await api.updateOrganisation({ organisationId, name: opts.rename, settings: settingsFrom(opts) });
      printJson(ctx.io.stdout, OrganisationSchema, done.organisation!);
    });

  const groups = program.command("groups").description("groups within an organisation");
  groups
    .command("list")
    .option("--org <organisation-id>")
    .action(async (opts) => {
      const found = await ctx.admin().listGroups({ organisationId: opts.org ?? "", pageSize: 500 });
      if (ctx.json) return printJson(ctx.io.stdout, ListGroupsResponseSchema, found);
      printTable(ctx.io.stdout, ["ID", "NAME"], found.groups.map((g) => [g.id, g.name]));
    });
  groups
    .command("create <name>")
    .option("--org <organisation-id>")
    .action(async (name: string, opts) => printJson(ctx.io.stdout, GroupSchema, (await ctx.admin().createGroup({ name, organisationId: opts.org ?? "" })).group!));

  const principals = program.command("principals").description("people and technical users");
  principals
    .command("list")
    .option("--org <organisation-id>")
    .option("--group <group-id>")
    .option("-q, --quiet", "print only their ids", false)
    .action(async (opts) => {
      const found = await ctx.admin().listPrincipals({ organisationId: opts.org ?? "", groupId: opts.group ?? "", pageSize: 500 });
      if (opts.quiet) return printIds(ctx.io.stdout, found.principals);
      if (ctx.json) return printJson(ctx.io.stdout, ListPrincipalsResponseSchema, found);
      printTable(
        ctx.io.stdout,
        ["ID", "NAME", "KIND", "ROLE", "PERMISSIONS", "STATE"],
        found.principals.map((p) => [p.id, p.name, enumName(PrincipalKind, p.kind, "PRINCIPAL_KIND_"), enumName(Role, p.role, "ROLE_"), p.permissions.join(",") || "-", p.disabled ? "disabled" : "active"]),
      );
    });
  principals
    .command("create <name>")
    .addOption(new Option("--kind <kind>").choices(Object.keys(kinds)).makeOptionMandatory())
    .addOption(new Option("--role <role>").choices(Object.keys(roles)).default("member"))
    .option("--org <organisation-id>")
    .option("--group <group-id>")
    .option("--permission <scope>", "a scope it holds (repeatable)", collect, [])
    .option("--password", "give it a sign-in password (people only): TESSERA_PASSWORD, typed at the terminal, or piped on stdin", false)
    .option("--email <address>", "where expiry and revocation notices go")
    .option("-q, --quiet", "print only its id", false)
    .action(async (name: string, opts) => {
      const password = opts.password ? await readPassword(ctx.io, "new") : "";
      if (password === undefined) return refuseWithoutPassword(ctx);
      const created = await ctx.admin().createPrincipal({
        name,
        kind: kinds[opts.kind as keyof typeof kinds],
        role: roles[opts.role as keyof typeof roles],
        organisationId: opts.org ?? "",
        groupId: opts.group ?? "",
        permissions: opts.permission,
        password,
        email: opts.email ?? "",
      });
      if (opts.quiet) return printIds(ctx.io.stdout, [created.principal!]);
      printJson(ctx.io.stdout, PrincipalSchema, created.principal!);
    });
  principals
    .command("set-password <principal-id>")
    .description("set or change a person's sign-in password (TESSERA_PASSWORD, typed, or piped); ends their other sessions")
    .option("--remove", "remove the password instead: no more sign-in", false)
    .action(async (id: string, opts) => {
      const password = opts.remove ? "" : await readPassword(ctx.io, "new");
      if (password === undefined) return refuseWithoutPassword(ctx);
      const done = await ctx.admin().updatePrincipal({ principalId: id, password });
      ctx.io.stderr.write(`${opts.remove ? "Removed the password of" : "Set a new password for"} ${done.principal!.name} (${id}).\n`);
    });
  principals
    .command("update <principal-id>")
    .addOption(new Option("--role <role>").choices(Object.keys(roles)))
    .option("--permission <scope>", "replace its permissions with these (repeatable)", collect)
    .option("--disable", "stop the principal and all its tokens at once")
    .option("--enable")
    .option("--email <address>", 'where notices go ("" removes it)')
    .action(async (id: string, opts) => {
      const done = await ctx.admin().updatePrincipal({
        principalId: id,
        role: opts.role ? roles[opts.role as keyof typeof roles] : undefined,
        permissions: opts.permission ? { scopes: opts.permission } : undefined,
        disabled: opts.disable ? true : opts.enable ? false : undefined,
        email: opts.email,
      });
      printJson(ctx.io.stdout, PrincipalSchema, done.principal!);
    });
}
