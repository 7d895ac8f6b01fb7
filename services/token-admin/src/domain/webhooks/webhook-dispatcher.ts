import { fromBinary } from "@bufbuild/protobuf";
import type { Kysely } from "kysely";
import type { Database, WebhookEndpointRow } from "@tessera/shared/db/schema";
import { toBigInt } from "@tessera/shared/db/database";
import { ChangeEventSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import type { Logger } from "@tessera/shared/log/logger";
import {
  claimEndpoint, enqueueDeliveries, findDueHead, lockLeasedEndpoint, markDelivered, markFailed, readChangesAfter, releaseLease, renewLease, type NewDelivery,
} from "../../store/webhook-store.js";
import { retryDelayMs, type RetrySchedule } from "./retry-schedule.js";
import type { SecretBox, WebhookSender, WebhookSigner } from "./webhook-ports.js";
import { deliveryWebhookId, webhookPayload, wantedEvent } from "./webhook-payload.js";

export type DeliveryOutcome = "delivered" | "failed" | "dead";

export interface DispatcherSettings {
  /** How often an idle dispatcher looks for work. */
  readonly pollMs: number;
  /** Endpoints served at once by this process: a slow one holds one slot, never the others. */
  readonly concurrency: number;
  /** How long a claimed endpoint stays this process's without renewal; longer than one attempt. */
  readonly leaseMs: number;
  /** How long a delivery is retried after it was queued before it becomes a dead letter. */
  readonly retryForMs: number;
  readonly backoff: RetrySchedule;
  /** change_log rows read per fan-out. */
  readonly batch: number;
}

export interface DispatcherDeps {
  readonly db: Kysely<Database>;
  readonly sender: WebhookSender;
  readonly sign: WebhookSigner;
  readonly secrets: SecretBox;
  readonly log: Logger;
  /** Told of each attempt's outcome (metrics). */
  readonly onOutcome?: (outcome: DeliveryOutcome, count: number) => void;
}

export interface WebhookDispatcher {
  /** Stops claiming; resolves once the endpoints in hand are released. */
  stop(): Promise<void>;
}

/**
 * The webhook follower of change_log. Each endpoint has a durable cursor; a
 * replica serves an endpoint only under its lease, so replicas share endpoints
 * and never serve one twice at once. Serving is: fan the changes past the cursor
 * out into delivery rows (cursor and rows in one transaction), then send the
 * queue head by head, in feed order, until the queue is empty or the head must
 * wait for a retry. Nothing here runs inside a lifecycle write.
 */
export function startWebhookDispatcher(deps: DispatcherDeps, settings: DispatcherSettings, owner: string): WebhookDispatcher {
  let stopped = false;
  let wake: (() => void) | undefined;
  const inFlight = new Set<Promise<void>>();

  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(() => (wake = undefined, resolve()), ms);
    wake = () => (clearTimeout(timer), wake = undefined, resolve());
  });

  async function fanOut(endpoint: WebhookEndpointRow): Promise<boolean> {
    return deps.db.transaction().execute(async (trx) => {
      const locked = await lockLeasedEndpoint(trx, endpoint.id, owner);
      if (!locked) return false;
      const cursor = toBigInt(locked.cursor_seq);
      const changes = await readChangesAfter(trx, cursor, settings.batch);
      if (changes.length === 0) return false;
      const deliveries: NewDelivery[] = [];
      for (const change of changes) {
        const event = fromBinary(ChangeEventSchema, change.event);
        event.announcements.forEach((announcement, position) => {
          const name = wantedEvent(announcement, locked);
          if (name) deliveries.push({ seq: change.seq, position, eventType: name, payload: webhookPayload(name, announcement, change.seq, position, event.committedAtMs) });
        });
      }
      await enqueueDeliveries(trx, endpoint.id, deliveries, changes[changes.length - 1]!.seq);
      return changes.length === settings.batch;
    });
  }

  function secretsOf(endpoint: WebhookEndpointRow): string[] {
    const secrets = [deps.secrets.open(endpoint.secret)];
    if (endpoint.previous_secret && endpoint.previous_secret_expires_at && endpoint.previous_secret_expires_at.getTime() > Date.now()) {
      secrets.push(deps.secrets.open(endpoint.previous_secret));
    }
    return secrets;
  }

  /** Sends the queue head until it is empty or must wait; false when the lease was lost. */
  async function deliverQueue(endpoint: WebhookEndpointRow): Promise<boolean> {
    const secrets = secretsOf(endpoint);
    while (!stopped) {
      if (!(await renewLease(deps.db, endpoint.id, owner, settings.leaseMs))) return false;
      const head = await findDueHead(deps.db, endpoint.id);
      if (!head) return true;
      const id = deliveryWebhookId(head);
      const at = new Date();
      const headers = { "webhook-id": id, "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": deps.sign(secrets, id, at, head.payload) };
      const outcome = await deps.sender.send(endpoint.url, headers, head.payload);
      if (outcome.ok) {
        await markDelivered(deps.db, head.id);
        deps.onOutcome?.("delivered", 1);
        continue;
      }
      const dead = await markFailed(deps.db, head, outcome.error, retryDelayMs(settings.backoff, head.attempts + 1), settings.retryForMs);
      if (dead > 0) {
        deps.log.warn({ endpoint: endpoint.id, webhookId: id, deadLetters: dead, error: outcome.error }, "webhook deliveries dead-lettered");
        deps.onOutcome?.("dead", dead);
        continue;
      }
      deps.onOutcome?.("failed", 1);
      return true;
    }
    return true;
  }

  async function serve(endpoint: WebhookEndpointRow): Promise<void> {
    try {
      // Bounded rounds, so one busy endpoint hands its slot back now and then.
      for (let round = 0; round < 10 && !stopped; round++) {
        const more = await fanOut(endpoint);
        if (!(await deliverQueue(endpoint))) return;
        if (!more) break;
      }
    } catch (err) {
      deps.log.warn({ err, endpoint: endpoint.id }, "webhook endpoint round failed; retried on a later poll");
    } finally {
      await releaseLease(deps.db, endpoint.id, owner).catch(() => {});
    }
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      try {
        while (!stopped && inFlight.size < settings.concurrency) {
          const endpoint = await claimEndpoint(deps.db, owner, settings.leaseMs);
          if (!endpoint) break;
          const task: Promise<void> = serve(endpoint).finally(() => {
            inFlight.delete(task);
            wake?.();
          });
          inFlight.add(task);
        }
      } catch (err) {
        deps.log.warn({ err }, "webhook dispatcher could not claim work; trying again");
      }
      // Nothing more to claim, or every slot busy: the next poll, or sooner when a slot frees.
      if (!stopped) await sleep(settings.pollMs);
    }
  }

  const running = loop();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await running;
      await Promise.allSettled([...inFlight]);
    },
  };
}
