import { Redis, type RedisOptions } from "ioredis";
import type { RedisEndpoint } from "../config/redis-endpoint.js";

/**
 * An ioredis connection to an endpoint: the URL for one server (a rediss://
 * URL speaks TLS, checked against the system's CAs or `ca`), or `sentinels`
 * and `name` for a Sentinel group, TLS then applying to sentinels and servers alike.
 */
export function connectRedis(endpoint: RedisEndpoint, ca: Buffer | undefined, options: RedisOptions): Redis {
  if (endpoint.kind === "server") return new Redis(endpoint.url, { ...(ca ? { tls: { ca } } : {}), ...options });
  const tls = endpoint.tls ? (ca ? { ca } : {}) : undefined;
  return new Redis({
    ...options,
    sentinels: endpoint.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: endpoint.masterName,
    username: endpoint.username,
    password: endpoint.password,
    db: endpoint.db,
    ...(tls ? { tls, enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
    // Ask the sentinels' +switch-master as well as reconnecting on a drop: a failover is followed at once.
    failoverDetector: true,
  });
}

/** The Redis connections one process's bus adapters share. */
export interface RedisLink {
  /** Namespaces every channel and key (TESSERA_REDIS_PREFIX). */
  readonly prefix: string;
  /** For commands and publishing. */
  readonly commands: Redis;
  /** A connection of its own for one subscription: a subscribed connection can issue no other command. */
  subscriber(purpose: string): Redis;
  close(): Promise<void>;
}

export interface RedisLinkOptions {
  /** One server or a Sentinel group (REDIS_URL, parsed by the config). */
  readonly endpoint: RedisEndpoint;
  /** PEM: the CA that signs a rediss:// server's certificate, when the system does not trust it. */
  readonly ca?: Buffer | undefined;
  readonly prefix: string;
  /** A command with no reply within this fails, so a frozen Redis cannot hold a caller for ever. Default 2,000. */
  readonly commandTimeoutMs?: number;
  /** Called when a connection reports an error; ioredis reconnects by itself. */
  readonly onError?: (err: Error) => void;
}

/** Opens the command connection now; subscribers as adapters ask for them. */
export function openRedisLink(options: RedisLinkOptions): RedisLink {
  const connections: Redis[] = [];
  const connect = (name: string) => {
    // maxRetriesPerRequest: a command issued while Redis is down fails after a bounded
    // wait instead of queueing for ever; commandTimeout does the same for a Redis that
    // accepts bytes but never answers.
    const redis = connectRedis(options.endpoint, options.ca, {
      connectionName: `${options.prefix}-${name}`,
      maxRetriesPerRequest: 2,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      // Subscriptions are made on every `ready` by their owners, who must know when they hold.
      autoResubscribe: false,
    });
    redis.on("error", (err: Error) => options.onError?.(err));
    connections.push(redis);
    return redis;
  };
  const commands = connect("commands");
  return {
    prefix: options.prefix,
    commands,
    subscriber: connect,
    async close() {
      await Promise.allSettled(connections.map((redis) => redis.quit()));
      for (const redis of connections) redis.disconnect();
    },
  };
}
