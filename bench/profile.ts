// Profiles token-validator under load on one surface and prints where the time goes:
//   npm run build && tsx bench/profile.ts grpc|forward-auth [seconds]
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { validateTokenBody } from "./grpc-validate.js";
import { startBenchDeployment } from "./support/bench-deployment.js";
import { grpcHeaders, h2load } from "./support/h2load.js";
import { topSelfTime } from "./support/profile-summary.js";
import { spawnPinned } from "./support/spawn-pinned.js";

const surface = process.argv[2] === "forward-auth" ? "forward-auth" : "grpc";
const seconds = Number(process.argv[3] ?? 5);
const deployment = await startBenchDeployment();
const admin = createClient(TokenAdminService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${deployment.admin.port}` }));
const { tokenValue } = await admin.createToken({ name: "bench", scopes: ["orders:read"] }, { headers: { authorization: `Bearer ${deployment.admin.bootstrapped!.adminToken}` } });
const profileDir = mkdtempSync(join(tmpdir(), "tessera-profile-"));
const routes = JSON.stringify([{ method: "GET", prefix: "/orders", scope: "orders:read" }]);
const env = { ...deployment.env, TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0", TESSERA_ROUTES: routes };
const validator = await spawnPinned("bench/servers/validator-server.ts", env, ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]);
const result =
  surface === "grpc"
    ? await h2load({ url: `http://127.0.0.1:${validator.ready.grpcPort}/tessera.v1.TokenValidatorService/ValidateToken`, body: validateTokenBody(tokenValue, "orders:read"), headers: grpcHeaders, inFlight: 64, durationSeconds: seconds })
    : await h2load({ url: `http://127.0.0.1:${validator.ready.httpPort}/auth`, headers: [`authorization: Bearer ${tokenValue}`, "x-original-method: GET", "x-original-uri: /orders/1"], inFlight: 1, connections: 32, durationSeconds: seconds, http1: true });
process.stdout.write(`${surface}: ${result.requestsPerSecond} req/s, ${result.failed} failed\n`);
await validator.stop();
await deployment.close();
const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"))!;
for (const { name, share } of topSelfTime(join(profileDir, file), 30)) process.stdout.write(`${(share * 100).toFixed(1).padStart(5)}%  ${name}\n`);
