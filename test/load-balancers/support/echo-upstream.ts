import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** What the app behind a proxy saw of one request. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export interface EchoUpstream {
  readonly port: number;
  /** Every request that reached the app, oldest first. */
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

/** The app behind the proxies: answers 200 with the request it saw, as JSON, and remembers it. */
export async function startEchoUpstream(): Promise<EchoUpstream> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const request = { method: req.method ?? "", url: req.url ?? "", headers: req.headers };
    seen.push(request);
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(request));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
