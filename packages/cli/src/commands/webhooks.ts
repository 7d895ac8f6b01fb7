import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";
import { eventNames as eventNamesTable } from "@tessera/shared/feed/announcements";
import type { EventType } from "@tessera/shared/gen/tessera/v1/events_pb";
import { ListWebhookDeliveriesResponseSchema, ListWebhookEndpointsResponseSchema, WebhookDeliveryState, WebhookEndpointSchema } from "@tessera/shared/gen/tessera/v1/webhooks_pb";
import type { CliContext } from "../cli-context.js";
import { enumName, printIds, printJson, printTable, shortTime } from "../output.js";
import { parseDurationSeconds } from "../parse-duration.js";

// Event names as payloads carry them ("token.revoked") ↔ the API's enum: one table, shared with token-admin.
const eventNames: Readonly<Record<string, EventType>> = eventNamesTable;
const nameOf = new Map(Object.entries(eventNames).map(([name, type]) => [type, name]));

function collectEvent(value: string, previous: EventType[] = []): EventType[] {
  if (value === "all") return Object.values(eventNames);
  const type = eventNames[value];
  if (type === undefined) throw new InvalidArgumentError(`unknown event; one of: all, ${Object.keys(eventNames).join(", ")}`);
  return [...previous, type];
}

const states = { pending: WebhookDeliveryState.PENDING, delivered: WebhookDeliveryState.DELIVERED, dead: WebhookDeliveryState.DEAD } as const;

/** `tessera webhooks …`: endpoints that receive token events, signed by the Standard Webhooks scheme. */
export function registerWebhookCommands(program: Command, ctx: CliContext): void {
  const webhooks = program.command("webhooks").description("endpoints that receive token events (Standard Webhooks signatures)");
  webhooks
    .command("create")
    .description("register an endpoint; prints its signing secret once")
    .requiredOption("--url <url>", "where events are POSTed")
    .requiredOption("--event <name>", `an event to send (repeatable), or "all": ${Object.keys(eventNames).join(", ")}`, collectEvent)
    .option("--org <organisation-id>", "the organisation whose events it hears (default: yours)")
    .option("--instance", "hear every organisation's events (admins)", false)
    .option("--description <text>")
    .action(async (opts) => {
      const created = await ctx.webhooks().createWebhookEndpoint({
        url: opts.url, events: opts.event, description: opts.description ?? "", organisationId: opts.instance ? "*" : (opts.org ?? ""),
      });
      if (ctx.json) {
        ctx.io.stdout.write(`${JSON.stringify({ endpoint_id: created.endpoint!.id, secret: created.secret }, null, 2)}\n`);
        return;
      }
      ctx.io.stdout.write(`endpoint ${created.endpoint!.id}\nsecret   ${created.secret}\n`);
      ctx.io.stderr.write("Keep the secret now: it is not shown again. Verify webhook-signature with it (see the README).\n");
    });
  webhooks
    .command("list")
    .option("--org <organisation-id>")
    .option("-q, --quiet", "print only their ids", false)
    .action(async (opts) => {
      const found = await ctx.webhooks().listWebhookEndpoints({ organisationId: opts.org ?? "" });
      if (opts.quiet) return printIds(ctx.io.stdout, found.endpoints);
      if (ctx.json) return printJson(ctx.io.stdout, ListWebhookEndpointsResponseSchema, found);
      printTable(
        ctx.io.stdout,
        ["ID", "SCOPE", "URL", "EVENTS", "STATE", "PENDING", "DEAD"],
        found.endpoints.map((e) => [
          e.id, e.organisationId || "instance", e.url, e.events.map((t) => nameOf.get(t) ?? String(t)).join(","),
          e.enabled ? "enabled" : "disabled", String(e.pendingDeliveries), String(e.deadDeliveries),
        ]),
      );
    });
  webhooks
    .command("update <endpoint-id>")
    .option("--url <url>")
    .option("--event <name>", "replace the events with these (repeatable, or \"all\")", collectEvent)
    .option("--description <text>")
    .option("--disable", "stop sending (events meanwhile are skipped)")
    .option("--enable", "send again, from events after now")
    .action(async (id: string, opts) => {
      const updated = await ctx.webhooks().updateWebhookEndpoint({
        endpointId: id, url: opts.url, description: opts.description, events: opts.event ?? [],
        enabled: opts.disable ? false : opts.enable ? true : undefined,
      });
      printJson(ctx.io.stdout, WebhookEndpointSchema, updated.endpoint!);
    });
  webhooks
    .command("delete <endpoint-id>")
    .action(async (id: string) => {
      await ctx.webhooks().deleteWebhookEndpoint({ endpointId: id });
      ctx.io.stderr.write(`Deleted webhook endpoint ${id}.\n`);
    });
  webhooks
    .command("rotate-secret <endpoint-id>")
    .description("a new signing secret, printed once; the old one keeps signing beside it for the overlap")
    .option("--overlap <duration>", 'how long the old secret stays valid, e.g. "24h" or "0s"', parseDurationSeconds, 86_400)
    .action(async (id: string, opts) => {
      const rotated = await ctx.webhooks().rotateWebhookSecret({ endpointId: id, overlapSeconds: opts.overlap });
      ctx.io.stdout.write(`${rotated.secret}\n`);
    });
  webhooks
    .command("deliveries <endpoint-id>")
    .description("an endpoint's deliveries, newest first")
    .addOption(new Option("--state <state>").choices(Object.keys(states)))
    .option("--limit <n>", "at most this many", (v) => Number.parseInt(v, 10), 50)
    .action(async (id: string, opts) => {
      const found = await ctx.webhooks().listWebhookDeliveries({
        endpointId: id, state: opts.state ? states[opts.state as keyof typeof states] : WebhookDeliveryState.UNSPECIFIED, pageSize: Math.min(Math.max(1, opts.limit), 1000),
      });
      if (ctx.json) return printJson(ctx.io.stdout, ListWebhookDeliveriesResponseSchema, found);
      printTable(
        ctx.io.stdout,
        ["WEBHOOK-ID", "EVENT", "STATE", "ATTEMPTS", "QUEUED", "LAST ERROR"],
        found.deliveries.map((d) => [
          d.id, nameOf.get(d.event) ?? "-", enumName(WebhookDeliveryState, d.state, "WEBHOOK_DELIVERY_STATE_"), String(d.attempts), shortTime(d.createTime), d.lastError || "-",
        ]),
      );
    });
  webhooks
    .command("replay <endpoint-id> [webhook-ids...]")
    .description("send dead letters again: those named, or all of the endpoint's")
    .action(async (id: string, ids: string[]) => {
      const done = await ctx.webhooks().replayWebhookDeliveries({ endpointId: id, deliveryIds: ids });
      ctx.io.stderr.write(`Replaying ${done.replayed} dead ${done.replayed === 1 ? "delivery" : "deliveries"}.\n`);
    });
}
