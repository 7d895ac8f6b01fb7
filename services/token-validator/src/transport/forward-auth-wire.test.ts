import { connect, type Socket } from "node:net";
import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChangeRecordSchema, TokenState } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { createLogger } from "@tessera/shared/log/logger";
import { createDigestKeyer, createDigester } from "@tessera/shared/token/token-digest";
import { defaultTokenFormat, generateToken } from "@tessera/shared/token/token-format";
import type { DecisionContext } from "../domain/decide.js";
import { Replica } from "../domain/replica.js";
import { forwardAuthAnswerer, forwardAuthOverHttp } from "./forward-auth.js";
import { forwardAuthWire } from "./forward-auth-wire.js";
import { startHttpServer, type RunningHttpServer } from "./http-server.js";
import { createRouteTable } from "./route-table.js";

// The socket reader in front of node:http, on a real listener: what it answers
// itself must be what node:http's route answers, byte for byte but the Date;
// what it does not answer, node:http must read whole, from its first byte.

const pepper = "forward-auth-wire-test-pepper-forward-auth-wire";
const names = { tokenId: "x-tessera-token-id", owner: "x-tessera-owner-id", organisation: "x-tessera-organisation-id", scopes: "x-tessera-scopes" };
const ids = { org: "0b8a1f7e-5c1d-4f5e-9a7b-1c2d3e4f5a6b", owner: "1b8a1f7e-5c1d-4f5e-9a7b-1c2d3e4f5a6b", token: "2b8a1f7e-5c1d-4f5e-9a7b-1c2d3e4f5a6b" };
const headersMs = 400;
const idleMs = 300;

interface Answer {
  readonly status: number;
  /** Header lines in order, without Date (it moves with the clock) and without Connection/Keep-Alive (they follow the request's own). */
  readonly lines: string[];
  readonly body: string;
}

/** Reads `count` answers off `socket` (each with a Content-Length); rejects if the connection ends first. */
function answers(socket: Socket, count: number): Promise<Answer[]> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const parsed: Answer[] = [];
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString("latin1");
      for (;;) {
        const blank = buffered.indexOf("\r\n\r\n");
        if (blank === -1) break;
        const [statusLine, ...lines] = buffered.slice(0, blank).split("\r\n");
        const length = Number(lines.find((line) => line.toLowerCase().startsWith("content-length:"))?.split(":")[1] ?? 0);
        if (buffered.length < blank + 4 + length) break;
        parsed.push({
          status: Number(statusLine!.split(" ")[1]),
          lines: lines.filter((line) => !/^(date|connection|keep-alive):/i.test(line)),
          body: buffered.slice(blank + 4, blank + 4 + length),
        });
        buffered = buffered.slice(blank + 4 + length);
      }
      if (parsed.length >= count) {
        socket.off("data", onData);
        resolve(parsed);
      }
    };
    socket.on("data", onData);
    socket.once("close", () => reject(new Error(`closed after ${parsed.length} of ${count} answers`)));
  });
}

const opened = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });

const closedWithin = (socket: Socket) =>
  new Promise<number>((resolve) => {
    const started = Date.now();
    socket.once("close", () => resolve(Date.now() - started));
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("forward-auth read off the socket", () => {
  const value = generateToken();
  const auth = (extra = "", target = "/auth", credential = `Authorization: Bearer ${value}\r\n`) =>
    `GET ${target} HTTP/1.1\r\nHost: validator\r\n${credential}X-Original-Method: GET\r\nX-Original-URI: /orders/1\r\n${extra}\r\n`;
  let server: RunningHttpServer;
  /** Requests node:http's handler saw. */
  const byNode: string[] = [];
  /** The use origin's address of every decision. */
  const addresses: string[] = [];

  beforeAll(async () => {
    const replica = new Replica();
    const digest = createDigester(pepper);
    replica.applyEvent(1n, [
      create(ChangeRecordSchema, { record: { case: "organisation", value: { id: ids.org, apiTokensEnabled: true } } }),
      create(ChangeRecordSchema, { record: { case: "principal", value: { id: ids.owner, organisationId: ids.org, permissions: ["orders:read"] } } }),
      create(ChangeRecordSchema, {
        record: { case: "token", value: { id: ids.token, digest: digest(value), ownerId: ids.owner, organisationId: ids.org, scopes: ["orders:read"], state: TokenState.ACTIVE, kind: TokenKind.PERSONAL, level: TokenLevel.USER } },
      }),
    ]);
    const ctx: DecisionContext = { replica, digestKey: createDigestKeyer(pepper), freshness: () => ({ state: "current", stalenessMs: 0, detail: "", loaded: true }), failOpen: false, tokenFormat: defaultTokenFormat };
    const answer = forwardAuthAnswerer(ctx, (_decision, _surface, _now, origin) => addresses.push(origin.address), { tokenHeader: "authorization", identityHeaders: names, routes: createRouteTable([{ method: "GET", prefix: "/orders", scope: "orders:read", caseSensitive: true }]) }, { latency() {}, refused() {} });
    const overHttp = forwardAuthOverHttp(answer);
    const log = createLogger("silent", "test");
    const limits = { maxConnections: 100, headersTimeoutMs: headersMs, requestTimeoutMs: 5000, idleTimeoutMs: idleMs };
    server = await startHttpServer({ host: "127.0.0.1", port: 0, limits, frontEnd: forwardAuthWire(answer, { headersTimeoutMs: headersMs, idleTimeoutMs: idleMs, log }) }, (req, res) => {
      byNode.push(`${req.method} ${req.url}`);
      if (req.url?.startsWith("/auth")) return overHttp(req, res, req.url);
      res.writeHead(200, { "content-length": 2 });
      res.end("ok");
    });
  });

  afterAll(async () => {
    await server?.close(0);
  });

  it("answers plain /auth requests itself, pipelined, exactly as node:http's route does (but the Date)", async () => {
    const requests = [auth(), auth("", "/auth", ""), auth("", "/auth?scope=orders:write"), auth("", "/auth", "Authorization: Bearer not-a-token\r\n")];
    byNode.length = 0;
    addresses.length = 0;
    const socket = await opened(server.port);
    socket.write(requests.join(""));
    const fromWire = await answers(socket, requests.length);
    socket.destroy();
    expect(byNode).toEqual([]);
    // Decided requests (the missing credential is refused before any decision) name the peer as their origin.
    expect(addresses).toEqual(["127.0.0.1", "127.0.0.1", "127.0.0.1"]);
    expect(fromWire.map((a) => a.status)).toEqual([200, 401, 403, 401]);
    expect(fromWire[0]!.lines).toEqual([`x-tessera-token-id: ${ids.token}`, `x-tessera-owner-id: ${ids.owner}`, `x-tessera-organisation-id: ${ids.org}`, "x-tessera-scopes: orders:read", "content-length: 0"]);

    // The same requests, each made node:http's (a Content-Length: 0 is not the reader's), answered alike.
    const fromNode: Answer[] = [];
    for (const request of requests) {
      const other = await opened(server.port);
      other.write(request.replace("Host: validator\r\n", "Host: validator\r\nContent-Length: 0\r\n"));
      fromNode.push(...(await answers(other, 1)));
      other.destroy();
    }
    expect(byNode).toHaveLength(requests.length);
    expect(fromWire).toEqual(fromNode);
  });

  it("hands node:http the rest of a connection at the first request it does not answer, that request's bytes first", async () => {
    byNode.length = 0;
    const socket = await opened(server.port);
    socket.write(auth() + auth() + "GET /elsewhere HTTP/1.1\r\nHost: v\r\n\r\n" + auth());
    const got = await answers(socket, 4);
    socket.destroy();
    expect(got.map((a) => [a.status, a.body])).toEqual([[200, ""], [200, ""], [200, "ok"], [200, ""]]);
    expect(byNode).toEqual(["GET /elsewhere", "GET /auth"]);
  });

  it("hands node:http a head split across reads, which it reads whole", async () => {
    byNode.length = 0;
    const socket = await opened(server.port);
    const request = auth();
    socket.write(request.slice(0, 25));
    await sleep(50);
    socket.write(request.slice(25));
    const [got] = await answers(socket, 1);
    socket.destroy();
    expect(got!.status).toBe(200);
    expect(byNode).toEqual(["GET /auth"]);
  });

  it("answers a request sent with the end of the client's stream, then ends the connection", async () => {
    const socket = await opened(server.port);
    const closed = closedWithin(socket);
    const got = answers(socket, 1);
    socket.end(auth());
    expect((await got)[0]!.status).toBe(200);
    expect(await closed).toBeLessThan(1000);
  });

  it("closes a connection that sends nothing within the headers bound, and one idle after an answer within the idle bound (counted over trials)", async () => {
    const sweepSlackMs = 1000; // the sweep runs every quarter of the shorter bound (75 ms), plus a busy machine (as slow-clients allows)
    const silent = await Promise.all(Array.from({ length: 5 }, async () => closedWithin(await opened(server.port))));
    // Too early is a fault too; the client starts its clock a little after the server (the connect callback).
    expect(silent.filter((ms) => ms < headersMs / 2 || ms > headersMs + sweepSlackMs), `closed after ${silent.join(", ")} ms`).toEqual([]);

    const idle = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const socket = await opened(server.port);
        socket.write(auth());
        await answers(socket, 1);
        return closedWithin(socket);
      }),
    );
    const idleBoundMs = idleMs + 1000; // as node:http: a second past the Keep-Alive timeout it advertises
    expect(idle.filter((ms) => ms < idleBoundMs / 2 || ms > idleBoundMs + sweepSlackMs), `closed after ${idle.join(", ")} ms`).toEqual([]);
  });
});
