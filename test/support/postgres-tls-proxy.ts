import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { createSecureContext, TLSSocket } from "node:tls";

/** A TLS-terminating proxy in front of a cleartext Postgres, owned by a test (the shared server is never reconfigured). */
export interface PostgresTlsProxy {
  readonly port: number;
  /** Connections that negotiated TLS and were forwarded. */
  readonly tlsSessions: () => number;
  /** Connections that tried cleartext and were refused. */
  readonly cleartextRefused: () => number;
  close(): Promise<void>;
}

/** Postgres's SSLRequest: length 8, then the code 80877103. */
const sslRequest = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/**
 * Answers a client's SSLRequest with 'S', completes a TLS handshake with the
 * given certificate, then forwards the decrypted stream to `target` — what a
 * Postgres with `ssl = on` does. A client that starts in cleartext is refused.
 */
export async function startPostgresTlsProxy(target: { host: string; port: number }, tls: { cert: string; key: string }): Promise<PostgresTlsProxy> {
  const secureContext = createSecureContext(tls);
  const open = new Set<Socket>();
  let sessions = 0;
  let refused = 0;
  const server = createServer((client) => {
    open.add(client);
    client.on("close", () => open.delete(client));
    client.on("error", () => {});
    client.once("data", (first: Buffer) => {
      if (!first.subarray(0, 8).equals(sslRequest)) {
        refused++;
        client.destroy();
        return;
      }
      client.write("S");
      const secure = new TLSSocket(client, { isServer: true, secureContext });
      secure.on("error", () => client.destroy());
      secure.once("secure", () => {
        sessions++;
        const upstream = connect(target.port, target.host);
        open.add(upstream);
        upstream.on("close", () => (open.delete(upstream), secure.destroy()));
        upstream.on("error", () => secure.destroy());
        secure.on("close", () => upstream.destroy());
        secure.pipe(upstream).pipe(secure);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    tlsSessions: () => sessions,
    cleartextRefused: () => refused,
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
