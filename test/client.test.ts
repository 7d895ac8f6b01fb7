import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createTcpServer, connect, type AddressInfo, type Server as TcpServer, type Socket } from "node:net";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createValidatorClient, type ValidatorClient } from "@tessera/client";
import { requireToken } from "@tessera/client/express";
import { tesseraHook } from "@tessera/client/fastify";
import { eventually } from "./support/clients.js";
import { startDeployment, type Deployment } from "./support/deployment.js";

/** A TCP forwarder that counts the connections it accepts. */
async function countingProxy(targetPort: number): Promise<{ port: number; connections: () => number; close(): void }> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    accepted++;
    const upstream = connect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => accepted,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** A peer that accepts connections and never says a word: a hung validator. */
async function silentPeer(): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((socket) => sockets.add(socket.on("error", () => {})));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

const listenOn = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

describe("@tessera/client against a real validator", () => {
  let d: Deployment;
  let validator: ValidatorClient;
  let readToken: string;
  let writeToken: string;
  let revokedToken: string;

  beforeAll(async () => {
    d = await startDeployment();
    validator = createValidatorClient({ address: `127.0.0.1:${d.validator.grpcPort}`, timeoutMs: 2000 });
    readToken = (await d.adminApi.createToken({ name: "reader", scopes: ["orders:read"] })).tokenValue;
    writeToken = (await d.adminApi.createToken({ name: "writer", scopes: ["orders:write"] })).tokenValue;
    const revoked = await d.adminApi.createToken({ name: "revoked", scopes: ["orders:read"] });
    await d.adminApi.revokeToken({ tokenId: revoked.token!.id });
    revokedToken = revoked.tokenValue;
    await eventually(async () => (await validator.validateToken(revokedToken)).code === "revoked" && (await validator.validateToken(writeToken)).valid, 5000);
  });
  afterAll(async () => {
    validator?.close();
    await d?.close();
  });

  it("answers in plain words, with the identity of a valid token", async () => {
    const ok = await validator.validateToken(readToken, { scope: "orders:read" });
    expect(ok).toMatchObject({ valid: true, code: "valid", freshness: "current" });
    expect(ok.identity).toMatchObject({ level: "user", scopes: ["orders:read"], admin: false, expiresAt: undefined });
    expect(ok.identity!.tokenId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await validator.validateToken(readToken, { scope: "orders:write" })).toMatchObject({ valid: false, code: "insufficient_scope", identity: undefined });
    expect((await validator.validateToken(revokedToken)).code).toBe("revoked");
    expect((await validator.validateToken("tsr_pat_garbage")).code).toBe("malformed");
  });

  it("reuses one connection for every call", async () => {
    const proxy = await countingProxy(d.validator.grpcPort);
    const viaProxy = createValidatorClient({ address: `127.0.0.1:${proxy.port}` });
    try {
      for (let i = 0; i < 20; i++) await viaProxy.validateToken(readToken);
      await Promise.all(Array.from({ length: 50 }, () => viaProxy.validateToken(readToken, { scope: "orders:read" })));
      expect(proxy.connections()).toBe(1);
    } finally {
      viaProxy.close();
      proxy.close();
    }
  });

  it("gives up at its deadline when the validator hangs (counted over 10 calls)", async () => {
    const peer = await silentPeer();
    const hung = createValidatorClient({ address: `127.0.0.1:${peer.port}`, timeoutMs: 100 });
    try {
      const marginMs = 400; // scheduling on a busy two-core machine
      const late: number[] = [];
      for (let i = 0; i < 10; i++) {
        const started = Date.now();
        await expect(hung.validateToken(readToken)).rejects.toMatchObject({ name: "ValidatorCallError", code: "deadline_exceeded" });
        if (Date.now() - started > 100 + marginMs) late.push(Date.now() - started);
      }
      expect(late).toEqual([]);
    } finally {
      hung.close();
      peer.close();
    }
  });

  describe.each(["express", "fastify"] as const)("%s middleware", (framework) => {
    let baseUrl: string;
    let downUrl: string;
    const closers: (() => Promise<void> | void)[] = [];

    beforeAll(async () => {
      // A second app whose validator is gone: it must refuse, not let through.
      const down = createValidatorClient({ address: "127.0.0.1:1", timeoutMs: 200 });
      closers.push(() => down.close());
      if (framework === "express") {
        const app = (v: ValidatorClient) =>
          express().get("/orders", requireToken({ validator: v, scope: "orders:read" }), (req, res) => {
            res.json({ identity: req.tessera, authorization: req.headers.authorization });
          });
        const server = createHttpServer(app(validator));
        const downServer = createHttpServer(app(down));
        baseUrl = await listenOn(server);
        downUrl = await listenOn(downServer);
        closers.push(() => void server.close(), () => void downServer.close());
      } else {
        const app = async (v: ValidatorClient): Promise<FastifyInstance> => {
          const fastify = Fastify();
          fastify.decorateRequest("tessera", undefined);
          fastify.get("/orders", { preHandler: tesseraHook({ validator: v, scope: (request) => (request.method === "GET" ? "orders:read" : "orders:write") }) }, async (request) => ({ identity: request.tessera }));
          await fastify.listen({ port: 0, host: "127.0.0.1" });
          closers.push(() => fastify.close());
          return fastify;
        };
        const url = (f: FastifyInstance) => `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
        baseUrl = url(await app(validator));
        downUrl = url(await app(down));
      }
    });
    afterAll(async () => {
      for (const close of closers) await close();
    });

    const get = (url: string, headers: Record<string, string> = {}) => fetch(`${url}/orders`, { headers });

    it("lets a valid token through with the identity on the request", async () => {
      const res = await get(baseUrl, { authorization: `Bearer ${readToken}` });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { identity: { scopes: string[]; organisationId: string } };
      expect(body.identity.scopes).toEqual(["orders:read"]);
      expect(body.identity.organisationId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("refuses with 401 or 403 as the validator's forward-auth does", async () => {
      const none = await get(baseUrl);
      expect([none.status, none.headers.get("www-authenticate"), await none.json()]).toEqual([401, "Bearer", { code: "missing_token" }]);
      const basic = await get(baseUrl, { authorization: "Basic dXNlcjpwYXNz" });
      expect(basic.status).toBe(401);
      const revoked = await get(baseUrl, { authorization: `Bearer ${revokedToken}` });
      expect([revoked.status, revoked.headers.get("www-authenticate"), await revoked.json()]).toEqual([401, 'Bearer error="invalid_token"', { code: "revoked" }]);
      const wrongScope = await get(baseUrl, { authorization: `Bearer ${writeToken}` });
      expect([wrongScope.status, wrongScope.headers.get("www-authenticate"), await wrongScope.json()]).toEqual([
        403,
        'Bearer error="insufficient_scope", scope="orders:read"',
        { code: "insufficient_scope" },
      ]);
    });

    it("fails closed with 503 when the validator cannot be asked", async () => {
      const res = await get(downUrl, { authorization: `Bearer ${readToken}` });
      expect([res.status, res.headers.get("retry-after"), await res.json()]).toEqual([503, "1", { code: "unavailable" }]);
    });
  });
});
