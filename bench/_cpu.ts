// scratch: CPU µs per forward-auth request, server pinned to core 0, h2load on core 1
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { startBenchDeployment } from "./support/bench-deployment.js";
import { spawnPinned } from "./support/spawn-pinned.js";

const cpuTicks = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" "); return Number(f[11]) + Number(f[12]); };
const n = Number(process.env.N ?? 300000);
const deployment = await startBenchDeployment();
const admin = createClient(TokenAdminService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${deployment.admin.port}` }));
const { tokenValue } = await admin.createToken({ name: "bench", scopes: ["orders:read"] }, { headers: { authorization: `Bearer ${deployment.admin.bootstrapped!.adminToken}` } });
const routes = JSON.stringify([{ method: "GET", prefix: "/orders", scope: "orders:read" }]);
const env = { ...deployment.env, TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0", TESSERA_ROUTES: routes };
const entries = (process.env.ENTRIES ?? "bench/servers/noop-http-server.ts,bench/servers/validator-server.ts").split(",");
const best = new Map<string, number>();
for (let round = 0; round < Number(process.env.ROUNDS ?? 2); round++) for (const entry of entries) {
  const s = await spawnPinned(entry, env);
  const port = s.ready.httpPort as number;
  const h = (count: number) => execFileSync("taskset", ["-c", "1", "h2load", "--h1", "-c", "32", "-m", "1", "-n", String(count), "-H", `authorization: Bearer ${tokenValue}`, "-H", "x-original-method: GET", "-H", "x-original-uri: /orders/1", `http://127.0.0.1:${port}/auth`]).toString();
  h(50000); // warm
  const t0 = cpuTicks(s.child.pid!); const w0 = performance.now();
  const out = h(n);
  const t1 = cpuTicks(s.child.pid!); const w1 = performance.now();
  const ok = /(\d+) succeeded/.exec(out)?.[1];
  process.stdout.write(`${entry.padEnd(45)} ${(((t1 - t0) * 10000) / n).toFixed(1)} µs CPU/req  ${(n / ((w1 - w0) / 1000)).toFixed(0)} req/s  ok=${ok}\n`);
  best.set(entry, Math.min(best.get(entry) ?? Infinity, ((t1 - t0) * 10000) / n));
  await s.stop();
}
for (const [e, v] of best) process.stdout.write(`BEST ${e.padEnd(45)} ${v.toFixed(1)}\n`);
await deployment.close();
