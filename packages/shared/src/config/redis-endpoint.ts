import { z } from "zod";

/**
 * Where the bus's Redis is, parsed once from REDIS_URL:
 *
 * - `redis://[:password@]host:port[/db]` (`rediss://` for TLS): one server, as ioredis reads the URL;
 * - `redis+sentinel://[:password@]host:port[,host:port…]/master-name[/db]` (`rediss+sentinel://`
 *   for TLS to the sentinels and the servers): a Sentinel group. ioredis asks the sentinels for the
 *   master of `master-name`, and again whenever its connection drops, so a failover costs a reconnect.
 *   The password is the Redis servers' (`requirepass`); sentinels are reached without one.
 */
export type RedisEndpoint =
  | { readonly kind: "server"; readonly url: string; readonly tls: boolean }
  | {
      readonly kind: "sentinel";
      readonly sentinels: readonly { readonly host: string; readonly port: number }[];
      readonly masterName: string;
      readonly username: string | undefined;
      readonly password: string | undefined;
      readonly db: number;
      readonly tls: boolean;
    };

const sentinelScheme = /^(rediss?)\+sentinel:\/\/(?:([^@/]*)@)?([^/]+)\/([^/?#]+)(?:\/(\d{1,2}))?\/?$/;
const hostPort = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;
const masterName = /^[A-Za-z0-9._-]{1,100}$/;
/** Sentinel's own default port. */
const defaultSentinelPort = 26379;

/**
 * REDIS_URL as a RedisEndpoint, or a problem worth telling the operator (never
 * the URL itself: it may hold a password).
 */
export function parseRedisEndpoint(url: string): RedisEndpoint | { readonly problem: string } {
  if (/^rediss?:\/\//.test(url)) return { kind: "server", url, tls: url.startsWith("rediss://") };
  const match = sentinelScheme.exec(url);
  if (!match) {
    return { problem: "must be redis://host:port, rediss://host:port, or redis+sentinel://host:port[,host:port…]/master-name (rediss+sentinel:// for TLS)" };
  }
  const [, scheme, userInfo, hosts, name, db] = match;
  if (!masterName.test(decodeURIComponent(name!))) return { problem: "the Sentinel master name must be letters, digits, '.', '_' or '-'" };
  const sentinels = [];
  for (const entry of hosts!.split(",")) {
    const parts = hostPort.exec(entry);
    const port = parts?.[2] === undefined ? defaultSentinelPort : Number(parts[2]);
    if (!parts || port < 1 || port > 65535) return { problem: "each sentinel must be host:port, separated by commas" };
    sentinels.push({ host: parts[1]!.replace(/^\[|\]$/g, ""), port });
  }
  let username: string | undefined;
  let password: string | undefined;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(":");
    username = colon === -1 ? undefined : decodeURIComponent(userInfo.slice(0, colon)) || undefined;
    password = decodeURIComponent(colon === -1 ? userInfo : userInfo.slice(colon + 1)) || undefined;
  }
  return { kind: "sentinel", sentinels, masterName: decodeURIComponent(name!), username, password, db: db === undefined ? 0 : Number(db), tls: scheme === "rediss" };
}

/** REDIS_URL in a config schema: a RedisEndpoint, or an issue that names the form expected. */
export const redisEndpointSchema = z.string().transform((url, ctx): RedisEndpoint => {
  const parsed = parseRedisEndpoint(url);
  if ("problem" in parsed) {
    ctx.issues.push({ code: "custom", message: parsed.problem, input: undefined });
    return z.NEVER;
  }
  return parsed;
});

/** A RedisEndpoint from a URL known to be good (tests, benchmarks); throws on a bad one. */
export function redisEndpointOf(url: string): RedisEndpoint {
  const parsed = parseRedisEndpoint(url);
  if ("problem" in parsed) throw new Error(`REDIS_URL ${parsed.problem}`);
  return parsed;
}
