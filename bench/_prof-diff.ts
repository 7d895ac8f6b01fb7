import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { startBenchDeployment } from "./support/bench-deployment.js";
import { spawnPinned } from "./support/spawn-pinned.js";
const n = 300000;
const deployment = await startBenchDeployment();
const admin = createClient(TokenAdminService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${deployment.admin.port}` }));
const { tokenValue } = await admin.createToken({ name: "bench", scopes: ["orders:read"] }, { headers: { authorization: `Bearer ${deployment.admin.bootstrapped!.adminToken}` } });
const routes = JSON.stringify([{ method: "GET", prefix: "/orders", scope: "orders:read" }]);
const env = { ...deployment.env, TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0", TESSERA_ROUTES: routes };
const results: Map<string, number>[] = [];
for (const entry of (process.env.ENTRIES ?? "bench/_validator-plus-bare.ts,bench/servers/validator-server.ts").split(",")) {
  const dir = mkdtempSync(join(tmpdir(), "prof-"));
  const s = await spawnPinned(entry, env, ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--cpu-prof-interval", "200"]);
  const h = (count: number) => execFileSync("taskset", ["-c", "1", "h2load", "--h1", "-c", "32", "-m", "1", "-n", String(count), "-H", `authorization: Bearer ${tokenValue}`, "-H", "x-original-method: GET", "-H", "x-original-uri: /orders/1", `http://127.0.0.1:${s.ready.httpPort}/auth`]).toString();
  h(50000); h(n);
  await s.stop();
  const p = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), "utf8"));
  const byId = new Map<number, any>(p.nodes.map((x: any) => [x.id, x]));
  const self = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i])!; const f = node.callFrame;
    if (f.functionName === "(idle)") continue;
    const name = `${f.functionName || "(anon)"} ${f.url.replace(/^.*\/(node_modules\/|services\/|packages\/|bench\/)/, "$1")}:${f.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + p.timeDeltas[i] / (n + 50000));
  }
  results.push(self);
}
const [a, b] = results as [Map<string, number>, Map<string, number>];
const names = new Set([...a.keys(), ...b.keys()]);
const rows = [...names].map((k) => [k, a.get(k) ?? 0, b.get(k) ?? 0] as const).sort((x, y) => Math.abs(y[2] - y[1]) - Math.abs(x[2] - x[1]));
let ta = 0, tb = 0; for (const v of a.values()) ta += v; for (const v of b.values()) tb += v;
console.log(`total µs/req  A ${ta.toFixed(2)}  B ${tb.toFixed(2)}`);
for (const [k, x, y] of rows.slice(0, 45)) console.log(`${x.toFixed(3).padStart(7)} ${y.toFixed(3).padStart(7)} ${(y - x).toFixed(3).padStart(7)}  ${k}`);
await deployment.close();
