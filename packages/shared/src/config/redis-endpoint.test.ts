import { describe, expect, it } from "vitest";
import { parseRedisEndpoint } from "./redis-endpoint.js";

describe("parseRedisEndpoint", () => {
  it("keeps a redis:// or rediss:// URL for ioredis to read, noting TLS", () => {
    expect(parseRedisEndpoint("redis://:pw@cache:6379/2")).toEqual({ kind: "server", url: "redis://:pw@cache:6379/2", tls: false });
    expect(parseRedisEndpoint("rediss://cache:6380")).toMatchObject({ kind: "server", tls: true });
  });

  it("reads a Sentinel group: sentinels (port 26379 by default), master name, password, db, TLS", () => {
    expect(parseRedisEndpoint("redis+sentinel://s1:26379,s2,[::1]:26380/mymaster")).toEqual({
      kind: "sentinel",
      sentinels: [
        { host: "s1", port: 26379 },
        { host: "s2", port: 26379 },
        { host: "::1", port: 26380 },
      ],
      masterName: "mymaster",
      username: undefined,
      password: undefined,
      db: 0,
      tls: false,
    });
    expect(parseRedisEndpoint("rediss+sentinel://app:p%40ss@s1:26379/mymaster/3")).toMatchObject({ username: "app", password: "p@ss", db: 3, tls: true });
    expect(parseRedisEndpoint("redis+sentinel://:secret@s1/mymaster")).toMatchObject({ username: undefined, password: "secret" });
  });

  it("refuses what it cannot read, never echoing the URL (it may hold a password)", () => {
    for (const bad of ["http://cache:6379", "redis+sentinel://s1:26379", "redis+sentinel://s1:99999/m", "redis+sentinel://s1:26379/bad name", "redis+sentinel://:hunter2@/m", "redis+cluster://a:1/m"]) {
      const parsed = parseRedisEndpoint(bad);
      expect(parsed, bad).toHaveProperty("problem");
      expect(JSON.stringify(parsed)).not.toContain("hunter2");
    }
  });
});
