// CreateToken throughput in a process of its own, so the same measurement runs
// against this checkout and against an earlier one (bench/run.ts copies this file
// into that checkout's bench folder; it uses only APIs both have). Also counts the
// statements one call sends to Postgres — BEGIN and COMMIT included, each a
// round trip — on a second fresh database.
// Run: node --import tsx bench/create-token-child.ts '<env json>' <second database url> <seconds>
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pg from "pg";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { createLogger } from "@tessera/shared/log/logger";
import { loadAdminConfig } from "@tessera/token-admin/config";
import { startTokenAdmin } from "@tessera/token-admin/start-token-admin";
import { measureCreateToken } from "./create-token.js";

let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

const env = JSON.parse(process.argv[2]!) as Record<string, string>;
const figures = await measureCreateToken(env, Number(process.argv[4] ?? 5));

const config = loadAdminConfig({ ...env, DATABASE_URL: process.argv[3]!, TESSERA_ADMIN_PORT: "0" });
const admin = await startTokenAdmin(config, createLogger("warn", "token-admin"));
const client = createClient(TokenAdminService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${admin.port}` }));
const call = () => client.createToken({ name: "bench", scopes: ["orders:read"] }, { headers: { authorization: `Bearer ${admin.bootstrapped!.adminToken}` } });
await call();
const calls = 20;
const before = statements;
for (let i = 0; i < calls; i++) await call();
const perCall = (statements - before) / calls;
await admin.close();
process.stdout.write(`${JSON.stringify({ ...figures, statementsPerCall: perCall })}\n`);
