import type { Kysely } from "kysely";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Database } from "@tessera/shared/db/schema";
import type { DeliveryOutcome } from "../domain/webhooks/webhook-dispatcher.js";
import { queueStats } from "../store/webhook-store.js";

/** Webhook deliveries by outcome, and each endpoint's queue depth and oldest age, read from the store at scrape time. */
export function createWebhookMetrics(registry: Registry, db: Kysely<Database>): (outcome: DeliveryOutcome, count: number) => void {
  const deliveries = new Counter({
    name: "tessera_webhook_deliveries_total",
    help: "Webhook delivery attempts by outcome: delivered, failed (to be retried), dead (dead-lettered).",
    labelNames: ["outcome"],
    registers: [registry],
  });
  for (const outcome of ["delivered", "failed", "dead"]) deliveries.inc({ outcome }, 0);
  // One query serves both gauges; a scrape that cannot reach the store leaves them as they were.
  let reading: Promise<void> | undefined;
  const refresh = () => {
    reading ??= queueStats(db)
      .then((stats) => {
        depth.reset();
        age.reset();
        for (const s of stats) {
          depth.set({ endpoint: s.endpointId }, s.depth);
          age.set({ endpoint: s.endpointId }, s.oldestAgeSeconds);
        }
      })
      .catch(() => {})
      .finally(() => (reading = undefined));
    return reading;
  };
  const depth = new Gauge({ name: "tessera_webhook_queue_depth", help: "Deliveries waiting, per endpoint.", labelNames: ["endpoint"], registers: [registry], collect: refresh });
  const age = new Gauge({ name: "tessera_webhook_queue_oldest_age_seconds", help: "Age of the oldest waiting delivery, per endpoint.", labelNames: ["endpoint"], registers: [registry], collect: refresh });
  return (outcome, count) => deliveries.inc({ outcome }, count);
}
