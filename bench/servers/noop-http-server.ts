// The HTTP baseline: a bare node:http server answering 200 with no body.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const server = createServer((_req, res) => {
  res.writeHead(200);
  res.end();
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ ready: true, httpPort: (server.address() as AddressInfo).port })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
