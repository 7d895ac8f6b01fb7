import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import type { RunningValidator } from "@tessera/token-validator/start-token-validator";
import { adminClient, validatorClient } from "../support/clients.js";
import { deploymentEnv, startAdmin, startValidator } from "../support/in-process.js";
import { http2Preface } from "../support/slow-client.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { uniqueRedisPrefix } from "../support/test-redis.js";
import { httpCall } from "../load-balancers/support/http-call.js";

// With a small cap, connections that do nothing fill every slot: new connections
// are refused at once, calls on connections already open keep working, and once
// the idle ones are dropped (their bound is a setting) new connections work again.

const cap = 4;
const headersMs = 1500;
const idleMs = 1500;
const env = { TESSERA_MAX_CONNECTIONS: String(cap), TESSERA_HEADERS_TIMEOUT_MS: String(headersMs), TESSERA_IDLE_TIMEOUT_MS: String(idleMs) };

/** A connection that sends `first` (or nothing) and then nothing more; resolves once connected, with when the server closed it. */
function idleConnection(port: number, first?: Uint8Array): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      if (first) socket.write(first);
      resolve({ socket, closed });
    });
    const closed = new Promise<void>((done) => socket.once("close", () => done()));
    socket.on("data", () => {});
    socket.on("error", () => {});
  });
}

/** Opens a connection and sends `request`: "refused" if the server closes it without a byte of answer, "answered" otherwise. */
function attempt(port: number, request: Uint8Array): Promise<"refused" | "answered" | "ignored"> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    const settle = (outcome: "refused" | "answered" | "ignored") => {
      clearTimeout(giveUp);
      socket.destroy();
      resolve(outcome);
    };
    const giveUp = setTimeout(() => settle("ignored"), 3000);
    socket.once("data", () => settle("answered"));
    socket.once("close", () => settle("refused"));
    socket.on("error", () => {});
  });
}

const http1Get = (path: string) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: tessera\r\nConnection: close\r\n\r\n`);

describe("a listener at its connection cap", () => {
  let database: TestDatabase;
  let admin: RunningAdmin;
  let validator: RunningValidator;
  let token: string;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const shared = { ...deploymentEnv(database, uniqueRedisPrefix()), ...env };
    admin = await startAdmin(shared);
    validator = await startValidator(shared);
    token = admin.bootstrapped!.adminToken;
  });
  afterAll(async () => {
    await validator?.close();
    await admin?.close();
    await database?.drop();
  });

  it("admin port: refuses excess connections while calls on open ones succeed, and takes new ones once idle ones are dropped", async () => {
    const client = adminClient(admin.port, token);
    await client.getCaller({}); // one connection, kept by the client
    const idle = await Promise.all(Array.from({ length: cap - 1 }, (_, i) => idleConnection(admin.port, i === 0 ? http2Preface : undefined)));
    const excess = await Promise.all(Array.from({ length: 3 }, () => attempt(admin.port, http1Get("/metrics"))));
    expect(excess).toEqual(["refused", "refused", "refused"]);
    for (let i = 0; i < 3; i++) expect((await client.getCaller({})).principal).toBeDefined();
    await Promise.all(idle.map((connection) => connection.closed));
    expect((await adminClient(admin.port, token).getCaller({})).principal).toBeDefined();
    const metrics = await httpCall(admin.port, "/metrics");
    expect(metrics.body).toContain('tessera_connections_refused_total{listener="admin"} 3');
  });

  it("validator gRPC port: the same", async () => {
    const client = validatorClient(validator.grpcPort);
    try {
      await client.validate(token);
      const idle = await Promise.all(Array.from({ length: cap - 1 }, () => idleConnection(validator.grpcPort)));
      const excess = await Promise.all(Array.from({ length: 3 }, () => attempt(validator.grpcPort, http2Preface)));
      expect(excess).toEqual(["refused", "refused", "refused"]);
      for (let i = 0; i < 3; i++) expect((await client.validate(token)).tokenId).not.toBe("");
      await Promise.all(idle.map((connection) => connection.closed));
      const fresh = validatorClient(validator.grpcPort);
      expect((await fresh.validate(token)).tokenId).not.toBe("");
      fresh.close();
    } finally {
      client.close();
    }
  });

  it("validator HTTP port: refuses excess connections, and takes new ones once idle ones are dropped", async () => {
    const idle = await Promise.all(Array.from({ length: cap }, () => idleConnection(validator.httpPort)));
    const excess = await Promise.all(Array.from({ length: 3 }, () => attempt(validator.httpPort, http1Get("/ready"))));
    expect(excess).toEqual(["refused", "refused", "refused"]);
    await Promise.all(idle.map((connection) => connection.closed));
    expect((await httpCall(validator.httpPort, "/ready")).status).toBe(200);
    expect((await httpCall(validator.httpPort, "/metrics")).body).toContain('tessera_connections_refused_total{listener="http"} 3');
  });
});
