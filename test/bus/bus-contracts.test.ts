import { redisEndpointOf } from "@tessera/shared/config/redis-endpoint";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, describe, expect, it } from "vitest";
import type { FeedHeartbeat, FeedListener, ValidatorReport } from "@tessera/shared/bus/bus-messages";
import { createMemoryChangeFeed } from "@tessera/shared/bus/memory-change-feed";
import { createMemoryUsageQueue } from "@tessera/shared/bus/memory-usage-queue";
import { createMemoryValidatorRoster } from "@tessera/shared/bus/memory-validator-roster";
import { createRedisChangeFeed } from "@tessera/shared/bus/redis-change-feed";
import { openRedisLink, type RedisLink } from "@tessera/shared/bus/redis-link";
import { createRedisUsageQueue } from "@tessera/shared/bus/redis-usage-queue";
import { createRedisValidatorRoster } from "@tessera/shared/bus/redis-validator-roster";
import { createMessageSeal } from "@tessera/shared/feed/message-seal";
import { ChangeEventSchema, type ChangeEvent } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { testPepper } from "../support/admin-deps.js";
import { eventually } from "../support/clients.js";
import { connectRedis, redisUrl, uniqueRedisPrefix } from "../support/test-redis.js";

// Each bus port's contract, held by both its adapters: Redis (production) and
// in-process (embedded), as kysely's tests loop over dialects.

const links: RedisLink[] = [];
const redisLink = (prefix: string) => {
  const link = openRedisLink({ endpoint: redisEndpointOf(redisUrl), prefix });
  links.push(link);
  return link;
};
afterAll(async () => {
  await Promise.all(links.map((l) => l.close()));
});

/** A listener that records what it hears. */
function recorder() {
  const heard = { changes: [] as ChangeEvent[], heartbeats: [] as FeedHeartbeat[], rejected: 0, connected: 0 };
  const listener: FeedListener = {
    onChange: (event) => heard.changes.push(event),
    onHeartbeat: (heartbeat) => heard.heartbeats.push(heartbeat),
    onConnected: () => heard.connected++,
    onDisconnected: () => {},
    onRejected: () => heard.rejected++,
  };
  return { heard, listener };
}

const feeds = [
  { name: "in-process", make: () => ({ feed: createMemoryChangeFeed(), prefix: "" }) },
  {
    name: "redis",
    make: () => {
      const prefix = uniqueRedisPrefix();
      return { feed: createRedisChangeFeed(redisLink(prefix), createMessageSeal(testPepper, "feed")), prefix };
    },
  },
];

describe.each(feeds)("change feed ($name)", ({ make }) => {
  it("delivers changes and heartbeats, in order, to a subscriber that has connected", async () => {
    const { feed } = make();
    const { heard, listener } = recorder();
    await feed.subscribe(listener);
    await eventually(async () => heard.connected === 1, 5000);
    const event = (seq: bigint) => toBinary(ChangeEventSchema, create(ChangeEventSchema, { seq, committedAtMs: 1n }));
    await feed.publishChange(event(7n));
    await feed.publishHeartbeat({ headSeq: 7n, readAtMs: 1234 });
    await feed.publishChange(event(8n));
    await eventually(async () => heard.changes.length === 2 && heard.heartbeats.length === 1, 5000);
    expect(heard.changes.map((c) => c.seq)).toEqual([7n, 8n]);
    expect(heard.heartbeats).toEqual([{ headSeq: 7n, readAtMs: 1234 }]);
    expect(heard.rejected).toBe(0);
  });

});

describe("change feed (redis): authentication", () => {
  const make = feeds[1]!.make;
  it("refuses what was not sealed under the shared pepper: a forged record, a bare event, another pepper's seal", async () => {
    const { feed, prefix } = make();
    const { heard, listener } = recorder();
    await feed.subscribe(listener);
    await eventually(async () => heard.connected === 1, 5000);
    const forged = toBinary(ChangeEventSchema, create(ChangeEventSchema, { seq: 1n, records: [{ record: { case: "token", value: { id: "forged", state: 1 } } }] }));
    const raw = connectRedis();
    try {
      await raw.publish(`${prefix}:changes`, Buffer.from(forged));
      await raw.publish(`${prefix}:changes`, createMessageSeal(`${testPepper}-other`, "feed").seal(forged));
      await raw.publish(`${prefix}:changes`, createMessageSeal(testPepper, "roster").seal(forged));
    } finally {
      raw.disconnect();
    }
    await feed.publishHeartbeat({ headSeq: 1n, readAtMs: 1 }); // a genuine one, after them
    await eventually(async () => heard.heartbeats.length === 1, 5000);
    expect(heard.rejected).toBe(3);
    expect(heard.changes).toEqual([]);
  });
});

const report = (validatorId: string, appliedSeq: bigint): ValidatorReport => ({ validatorId, appliedSeq, freshness: "current", stalenessMs: 5, maxStalenessMs: 400 });
const rosters = [
  { name: "in-process", make: () => createMemoryValidatorRoster() },
  { name: "redis", make: () => createRedisValidatorRoster(redisLink(uniqueRedisPrefix()), createMessageSeal(testPepper, "roster")) },
];

describe.each(rosters)("validator roster ($name)", ({ make }) => {
  it("lists a validator reachable within its TTL, unreachable for its bound after, then not at all; a goodbye removes it at once", async () => {
    const roster = make();
    const watched: ValidatorReport[] = [];
    const stop = await roster.watch((r) => watched.push(r));
    await roster.report(report("lapsing", 5n), 200);
    await roster.report(report("leaving", 6n), 10_000);
    await eventually(async () => watched.length === 2, 5000);
    expect(watched.map((r) => [r.validatorId, r.appliedSeq])).toEqual([["lapsing", 5n], ["leaving", 6n]]);
    const byId = async () => new Map((await roster.list()).map((e) => [e.validatorId, e]));
    expect((await byId()).get("lapsing")).toMatchObject({ appliedSeq: 5n, reachable: true, freshness: "current", maxStalenessMs: 400 });
    await roster.leave("leaving");
    expect((await byId()).has("leaving")).toBe(false);
    // Past its 200 ms TTL: listed, unreachable, for its 400 ms bound.
    await eventually(async () => (await byId()).get("lapsing")?.reachable === false, 2000, 20);
    expect((await byId()).get("lapsing")!.heardAgoMs).toBeGreaterThanOrEqual(150);
    await eventually(async () => !(await byId()).has("lapsing"), 2000, 20);
    stop();
  });
});

const queues = [
  { name: "in-process", make: () => ({ queue: createMemoryUsageQueue(), prefix: "" }) },
  {
    name: "redis",
    make: () => {
      const prefix = uniqueRedisPrefix();
      return { queue: createRedisUsageQueue(redisLink(prefix), createMessageSeal(testPepper, "usage")), prefix };
    },
  },
];

describe.each(queues)("usage queue ($name)", ({ make }) => {
  it("hands each batch to exactly one taker, in order", async () => {
    const { queue } = make();
    for (let i = 0; i < 5; i++) await queue.push(new Uint8Array([i]));
    const [a, b] = await Promise.all([queue.take(3), queue.take(3)]);
    expect([...a!, ...b!].map((batch) => batch[0]).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(await queue.take(3)).toEqual([]);
  });

});

describe("usage queue (redis): authentication", () => {
  const make = queues[1]!.make;
  it("drops batches that were not sealed under the shared pepper", async () => {
    const { queue, prefix } = make();
    const raw = connectRedis();
    try {
      await raw.rpush(`${prefix}:usage`, Buffer.from([9, 9, 9]));
    } finally {
      raw.disconnect();
    }
    await queue.push(new Uint8Array([1]));
    expect((await queue.take(10)).map((batch) => [...batch])).toEqual([[1]]);
  });
});
