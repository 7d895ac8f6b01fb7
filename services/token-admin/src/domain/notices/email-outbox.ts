import type { Kysely } from "kysely";
import type { Database } from "@tessera/shared/db/schema";
import type { Logger } from "@tessera/shared/log/logger";
import { claimEmails, markEmailFailed, markEmailSent, type OutgoingEmail } from "../../store/notice-store.js";
import { retryDelayMs } from "../webhooks/retry-schedule.js";

/** Hands one email to the mail server; throws when it is not accepted. */
export interface MailTransport {
  send(email: OutgoingEmail): Promise<void>;
  close(): void;
}

export interface OutboxSettings {
  readonly pollMs: number;
  /** Longer than one send may take, so a live sender keeps what it claimed. */
  readonly leaseMs: number;
}

const maxAttempts = 10;

/**
 * Sends queued emails. Emails are rows written with their notice, so none is
 * lost to a crash; each is claimed under a lease, so replicas never send one at
 * the same time. A sender that dies after the server accepted and before it
 * marked the row sends that one again (the only repeat possible).
 */
export function startEmailOutbox(deps: { db: Kysely<Database>; transport: MailTransport; log: Logger; onSent?: (ok: boolean) => void }, settings: OutboxSettings): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  async function drain(): Promise<void> {
    for (;;) {
      const claimed = await claimEmails(deps.db, settings.leaseMs, 20);
      if (claimed.length === 0) return;
      for (const email of claimed) {
        try {
          await deps.transport.send(email);
          await markEmailSent(deps.db, email.id);
          deps.onSent?.(true);
        } catch (err) {
          const giveUp = email.attempts >= maxAttempts;
          await markEmailFailed(deps.db, email.id, err instanceof Error ? err.message : String(err), retryDelayMs({ baseMs: 30_000, maxMs: 3_600_000 }, email.attempts), giveUp);
          deps.onSent?.(false);
          deps.log.warn({ err, attempts: email.attempts, givenUp: giveUp }, "notice email not sent");
        }
        if (stopped) return;
      }
    }
  }
  const tick = () => {
    running = drain()
      .catch((err: unknown) => deps.log.warn({ err }, "email outbox pass failed; the next one tries again"))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, settings.pollMs);
      });
  };
  timer = setTimeout(tick, 0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      deps.transport.close();
    },
  };
}
