import { redisEndpointOf } from "@tessera/shared/config/redis-endpoint";
import { afterAll, describe, expect, it } from "vitest";
import { createMemoryHoneytokenAlarms } from "@tessera/shared/bus/memory-honeytoken-alarms";
import { openRedisLink, type RedisLink } from "@tessera/shared/bus/redis-link";
import { createRedisHoneytokenAlarms } from "@tessera/shared/bus/redis-honeytoken-alarms";
import { createMessageSeal } from "@tessera/shared/feed/message-seal";
import { testPepper } from "../support/admin-deps.js";
import { connectRedis, redisUrl, uniqueRedisPrefix } from "../support/test-redis.js";

// The honeytoken alarm queue's contract, held by both adapters (bus-contracts.test.ts does the same for the others).

const links: RedisLink[] = [];
afterAll(async () => {
  await Promise.all(links.map((l) => l.close()));
});

const adapters = [
  { name: "in-process", make: (maxQueued?: number) => ({ alarms: createMemoryHoneytokenAlarms(maxQueued), prefix: "" }) },
  {
    name: "redis",
    make: (maxQueued?: number) => {
      const prefix = uniqueRedisPrefix();
      const link = openRedisLink({ endpoint: redisEndpointOf(redisUrl), prefix });
      links.push(link);
      return { alarms: createRedisHoneytokenAlarms(link, createMessageSeal(testPepper, "honeytoken"), maxQueued), prefix };
    },
  },
];

describe.each(adapters)("honeytoken alarms ($name)", ({ make }) => {
  it("hands each alarm to exactly one taker, oldest first", async () => {
    const { alarms } = make();
    for (let i = 0; i < 5; i++) await alarms.push(new Uint8Array([i]));
    const [a, b] = await Promise.all([alarms.take(3), alarms.take(3)]);
    expect([...a!, ...b!].map((use) => use[0]).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(await alarms.take(3)).toEqual([]);
  });

  it("keeps only the newest alarms when a flood passes its bound", async () => {
    const { alarms } = make(3);
    for (let i = 0; i < 10; i++) await alarms.push(new Uint8Array([i]));
    expect((await alarms.take(100)).map((use) => use[0])).toEqual([7, 8, 9]);
  });
});

describe("honeytoken alarms (redis): authentication", () => {
  it("drops alarms not sealed under the shared pepper for this purpose (a bare one, a usage-sealed one)", async () => {
    const { alarms, prefix } = adapters[1]!.make();
    const raw = connectRedis();
    try {
      await raw.rpush(`${prefix}:honeytoken-alarms`, Buffer.from([9, 9, 9]));
      await raw.rpush(`${prefix}:honeytoken-alarms`, createMessageSeal(testPepper, "usage").seal(new Uint8Array([8])));
    } finally {
      raw.disconnect();
    }
    await alarms.push(new Uint8Array([1]));
    expect((await alarms.take(10)).map((use) => [...use])).toEqual([[1]]);
  });
});
