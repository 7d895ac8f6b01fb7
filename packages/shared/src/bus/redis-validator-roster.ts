import type { MessageSeal } from "../feed/message-seal.js";
import type { RosterEntry, ValidatorReport } from "./bus-messages.js";
import type { RedisLink } from "./redis-link.js";
import { decodeReport, encodeReport, type ValidatorRosterAdapter } from "./validator-roster.js";

/**
 * The roster in Redis: one key per validator holding its sealed last report, and
 * a channel on which each report is also published the moment it is made (for
 * acknowledgements that return fast). A key lives for the report's TTL plus the
 * validator's staleness bound; Redis's own clock says which of the two phases it
 * is in, so no two machines' clocks are compared.
 */
export function createRedisValidatorRoster(link: RedisLink, seal: MessageSeal): ValidatorRosterAdapter {
  const channel = `${link.prefix}:applied`;
  const keyPrefix = `${link.prefix}:validator:`;
  let watcher: ReturnType<RedisLink["subscriber"]> | undefined;

  return {
    async report(report, ttlMs) {
      const sealed = seal.seal(encodeReport(report, ttlMs));
      await link.commands
        .multi()
        .set(keyPrefix + report.validatorId, sealed, "PX", ttlMs + report.maxStalenessMs)
        .publish(channel, sealed)
        .exec();
    },

    async leave(validatorId) {
      await link.commands.del(keyPrefix + validatorId);
    },

    async watch(listener) {
      watcher ??= link.subscriber("applied");
      const subscriber = watcher;
      const onMessage = (from: Buffer, sealed: Buffer) => {
        if (from.toString() !== channel) return;
        const payload = seal.open(sealed);
        const report = payload && decodeReport(payload);
        if (report) listener(withoutTtl(report));
      };
      subscriber.on("messageBuffer", onMessage);
      const subscribe = () => subscriber.subscribe(channel).catch(() => {});
      subscriber.on("ready", subscribe);
      await subscribe();
      return () => {
        subscriber.off("messageBuffer", onMessage);
        subscriber.off("ready", subscribe);
      };
    },

    async list() {
      const keys: string[] = [];
      let cursor = "0";
      do {
        const [next, batch] = await link.commands.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 1000);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== "0");
      if (keys.length === 0) return [];
      const pipeline = link.commands.pipeline();
      for (const key of keys) pipeline.getBuffer(key).pttl(key);
      const replies = (await pipeline.exec()) ?? [];
      const entries: RosterEntry[] = [];
      for (let i = 0; i < keys.length; i++) {
        const [, value] = replies[i * 2] ?? [];
        const [, remainingMs] = replies[i * 2 + 1] ?? [];
        const payload = Buffer.isBuffer(value) ? seal.open(value) : undefined;
        const report = payload && decodeReport(payload);
        if (!report || typeof remainingMs !== "number" || remainingMs < 0) continue;
        const { ttlMs, ...fields } = report;
        entries.push({ ...fields, reachable: remainingMs > report.maxStalenessMs, heardAgoMs: Math.max(0, ttlMs + report.maxStalenessMs - remainingMs) });
      }
      return entries;
    },
  };
}

const withoutTtl = ({ ttlMs: _ttl, ...report }: ValidatorReport & { ttlMs: number }): ValidatorReport => report;
