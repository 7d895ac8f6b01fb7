import { createServer, connect, type AddressInfo, type Socket } from "node:net";

/** A TCP forwarder a test puts between a service and Postgres or Redis, to fail the link on demand. */
export interface TcpProxy {
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string;
  /** A server that died: every connection is reset, new ones are reset at once. */
  cut(): void;
  /** A silent network: connections stay open (new ones are accepted) but no byte goes through either way. */
  blackhole(): void;
  /**
   * A frozen peer (a server under SIGSTOP): connections stay open and new ones are
   * accepted, but nothing is read either way; bytes wait in the kernel's buffers.
   */
  freeze(): void;
  /** Ends a freeze: everything that waited is delivered, in order, and forwarding goes on. */
  thaw(): void;
  /** Forwards again. Connections opened before are reset: what was dropped in a blackhole left them unusable. */
  restore(): void;
  close(): Promise<void>;
}

interface Link {
  readonly client: Socket;
  upstream: Socket | undefined;
  /** Bytes are dropped, not forwarded. */
  silenced: boolean;
}

type Mode = "pass" | "cut" | "blackhole" | "frozen";

const ignore = () => {};

/** Listens on a free loopback port and forwards each connection to `target` ("host:port"). */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
  let mode: Mode = "pass";
  /** Connections accepted while frozen: they reach the target only on thaw. */
  let waiting: (() => void)[] = [];
  const links = new Set<Link>();

  const drop = (link: Link) => {
    links.delete(link);
    // resetAndDestroy: an RST, as from a host whose server is gone, not a polite FIN.
    if (!link.client.destroyed) link.client.resetAndDestroy();
    if (link.upstream && !link.upstream.destroyed) link.upstream.resetAndDestroy();
  };

  const server = createServer((client) => {
    client.on("error", ignore);
    if (mode === "cut") {
      client.resetAndDestroy();
      return;
    }
    const link: Link = { client, upstream: undefined, silenced: mode === "blackhole" };
    links.add(link);
    client.on("close", () => drop(link));
    // A silenced link never reaches the target: a restore resets it anyway.
    if (link.silenced) {
      client.on("data", ignore);
      return;
    }
    if (mode === "frozen") {
      client.pause();
      waiting.push(() => forward(link));
      return;
    }
    forward(link);
  });

  const forward = (link: Link) => {
    const client = link.client;
    if (client.destroyed) return;
    const upstream = connect(port, host);
    link.upstream = upstream;
    upstream.on("error", ignore);
    upstream.on("close", () => drop(link));
    // Forwarded by hand, not piped, so a blackhole can stop both directions at once.
    client.on("data", (chunk: Buffer) => {
      if (!link.silenced) upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!link.silenced) client.write(chunk);
    });
    client.resume();
  };
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const proxyPort = (server.address() as AddressInfo).port;

  return {
    port: proxyPort,
    urlFor(url) {
      const parsed = new URL(url);
      parsed.hostname = "127.0.0.1";
      parsed.port = String(proxyPort);
      return parsed.toString();
    },
    cut() {
      mode = "cut";
      for (const link of [...links]) drop(link);
    },
    blackhole() {
      mode = "blackhole";
      for (const link of links) link.silenced = true;
    },
    freeze() {
      mode = "frozen";
      for (const link of links) {
        link.client.pause();
        link.upstream?.pause();
      }
    },
    thaw() {
      mode = "pass";
      for (const link of links) {
        link.client.resume();
        link.upstream?.resume();
      }
      const pending = waiting;
      waiting = [];
      for (const open of pending) open();
    },
    restore() {
      mode = "pass";
      waiting = [];
      for (const link of [...links]) if (link.silenced) drop(link);
    },
    async close() {
      for (const link of [...links]) drop(link);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
