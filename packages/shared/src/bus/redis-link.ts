import { Redis, type RedisOptions } from "ioredis";

/**
 * TLS options for a connection to REDIS_URL: with a rediss:// URL, ioredis
 * speaks TLS and checks the server's certificate against the system's CAs, or
 * against `ca` (TESSERA_REDIS_CA_FILE) when given. A password comes in the URL.
 */
export function redisTlsOptions(ca: Buffer | undefined): Pick<RedisOptions, "tls"> {
  return ca ? { tls: { ca } } : {};
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
  readonly url: string;
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
    const redis = new Redis(options.url, {
      ...redisTlsOptions(options.ca),
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
