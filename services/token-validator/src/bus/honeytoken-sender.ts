import { create, toBinary } from "@bufbuild/protobuf";
import { HoneytokenUseSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import type { Logger } from "@tessera/shared/log/logger";
import { maxReportedFieldLength, type HoneytokenPresentation, type HoneytokenReporter } from "../domain/honeytoken-reporter.js";

/** Where alarms go: token-admin takes them from there (the bus's honeytoken queue). */
export interface HoneytokenSink {
  push(use: Uint8Array): Promise<void>;
}

/** Presentations held while a send is under way; past this, new ones are counted and dropped. */
const maxPending = 1000;

export interface HoneytokenSender {
  readonly report: HoneytokenReporter;
  /** Sends whatever is pending now (used at shutdown). */
  flush(): Promise<void>;
  /** Presentations dropped because the queue was full or a send failed. */
  readonly dropped: () => number;
}

const cut = (text: string) => (text.length > maxReportedFieldLength ? text.slice(0, maxReportedFieldLength) : text);

/**
 * Sends every honeytoken presentation to token-admin at once, one message
 * each, off the request path: report() only queues, and a send runs on the
 * next turn of the event loop. A failed send is retried once, then dropped and
 * counted (and logged at most every ten seconds): an alarm must never hold up
 * or fail an answer.
 */
export function createHoneytokenSender(sink: HoneytokenSink, validatorId: string, log: Logger): HoneytokenSender {
  let pending: HoneytokenPresentation[] = [];
  let scheduled = false;
  let dropped = 0;
  let lastLoggedMs = 0;
  let sending: Promise<void> = Promise.resolve();

  const send = async (presentation: HoneytokenPresentation) => {
    const use = toBinary(
      HoneytokenUseSchema,
      create(HoneytokenUseSchema, {
        tokenId: presentation.tokenId,
        validatorId,
        surface: presentation.surface,
        sourceAddress: cut(presentation.sourceAddress),
        route: cut(presentation.route),
        usedAtMs: BigInt(presentation.usedAtMs),
      }),
    );
    for (let attempt = 1; ; attempt++) {
      try {
        return await sink.push(use);
      } catch (err) {
        if (attempt < 2) continue;
        dropped++;
        if (Date.now() - lastLoggedMs > 10_000) {
          lastLoggedMs = Date.now();
          log.warn({ err, dropped }, "honeytoken alarm not sent");
        }
        return;
      }
    }
  };
  const drain = async () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    await Promise.all(batch.map(send));
  };
  return {
    report(presentation) {
      if (pending.length >= maxPending) {
        dropped++;
        return;
      }
      pending.push(presentation);
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        sending = sending.then(drain);
      });
    },
    async flush() {
      sending = sending.then(drain);
      await sending;
    },
    dropped: () => dropped,
  };
}
