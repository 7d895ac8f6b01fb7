import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
const h = ["x-tessera-token-id", "0b8a1f7e-5c1d-4f5e-9a7b-1c2d3e4f5a6b", "x-tessera-owner", "1b8a1f7e-5c1d-4f5e-9a7b-1c2d3e4f5a6b", "x-tessera-organisation", "2b8a1f7e-5c1d-4f5e-9a7b-1c2d3e4f5a6b", "x-tessera-scopes", "orders:read", "content-length", "0"];
const server = createServer((req, res) => { void req.rawHeaders; res.writeHead(200, h); res.end(); });
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ ready: true, httpPort: (server.address() as AddressInfo).port })}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
