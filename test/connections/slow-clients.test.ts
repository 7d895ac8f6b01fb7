import * as http2 from "node:http2";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import type { RunningValidator } from "@tessera/token-validator/start-token-validator";
import { adminClient, eventually } from "../support/clients.js";
import { deploymentEnv, startAdmin, startValidator } from "../support/in-process.js";
import { boundViolations, slowClients } from "../support/slow-client.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { uniqueRedisPrefix } from "../support/test-redis.js";

// Every listener sheds clients that hold a connection and do nothing with it.
// Bounds are set small here (they are settings) and each kind of slow client is
// run several times at once; a client counts as a violation if the server has
// not closed its connection within the bound plus a margin. The margin covers
// timers firing late on a loaded two-core machine; it is far below any
// "never" (the clients give up after bound + margin + 2 s).

const clients = 5;
const marginMs = 1000;
const headersMs = 500;
const idleMs = 800;
const requestMs = 1200;
const limits = {
  TESSERA_HEADERS_TIMEOUT_MS: String(headersMs),
  TESSERA_IDLE_TIMEOUT_MS: String(idleMs),
  TESSERA_REQUEST_TIMEOUT_MS: String(requestMs),
};

/** How long a client waits for the server to close before it gives up and counts a violation. */
const giveUpMs = 10_000;

/** Milliseconds from the end of one real HTTP/2 request until the server closed the (then idle) session; Infinity if it did not. */
function idleHttp2Session(port: number, headers: http2.OutgoingHttpHeaders, body?: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    let answeredAt = 0;
    const giveUp = setTimeout(() => {
      resolve(Number.POSITIVE_INFINITY);
      session.destroy();
    }, giveUpMs);
    session.once("close", () => {
      clearTimeout(giveUp);
      if (answeredAt === 0) reject(new Error("closed before answering"));
      else resolve(Date.now() - answeredAt);
    });
    const stream = session.request(headers);
    stream.on("data", () => {});
    stream.on("error", reject);
    stream.once("close", () => (answeredAt = Date.now()));
    stream.end(body);
  });
}

/**
 * Milliseconds from the end of one real HTTP/1.1 keep-alive request until the
 * server closed the (then idle) socket; Infinity if it did not. A raw socket, not
 * node:http's Agent, which closes early by itself when the server's Keep-Alive
 * hint rounds to 0 s.
 */
function idleHttp1KeepAlive(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let received = "";
    let answeredAt = 0;
    const giveUp = setTimeout(() => {
      resolve(Number.POSITIVE_INFINITY);
      socket.destroy();
    }, giveUpMs);
    const socket = connect(port, "127.0.0.1", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: tessera\r\n\r\n`));
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      received += chunk;
      const headEnd = received.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(received);
      const complete = length ? received.length >= headEnd + 4 + Number(length[1]) : received.endsWith("\r\n0\r\n\r\n"); // or the last chunk
      if (answeredAt === 0 && headEnd !== -1 && complete) answeredAt = Date.now();
    });
    socket.on("error", () => {});
    socket.once("close", () => {
      clearTimeout(giveUp);
      if (answeredAt === 0) reject(new Error(`closed before answering: ${received}`));
      else resolve(Date.now() - answeredAt);
    });
  });
}

/** Runs `clients` at once of an idle-after-a-request client and counts those not closed within the bound plus the margin. */
async function idleViolations(open: () => Promise<number>, boundMs: number): Promise<{ violations: number; closedAfterMs: number[] }> {
  const closedAfterMs = await Promise.all(Array.from({ length: clients }, open));
  return { violations: closedAfterMs.filter((ms) => ms > boundMs + marginMs).length, closedAfterMs };
}

/** A gRPC unary call frame of an empty message (every field default). */
const emptyGrpcMessage = new Uint8Array([0, 0, 0, 0, 0]);
const grpcHeaders = (path: string) => ({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });

describe("slow and idle clients", () => {
  let database: TestDatabase;
  let admin: RunningAdmin;
  let validator: RunningValidator;
  let introspector: string;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const env = { ...deploymentEnv(database, uniqueRedisPrefix()), ...limits };
    admin = await startAdmin({ ...env, TESSERA_REQUEST_TIMEOUT_MS: "35000" }); // it must outlast a 30 s wait for validators
    validator = await startValidator(env);
    // /introspect reads a body only from a caller allowed to introspect.
    const created = await adminClient(admin.port, admin.bootstrapped!.adminToken).createToken({ name: "introspector", scopes: ["tessera:introspect"] });
    introspector = created.tokenValue;
    await eventually(async () => validator.follower.replica.findToken(created.token!.id) !== undefined, 5000);
  });
  afterAll(async () => {
    await validator?.close();
    await admin?.close();
    await database?.drop();
  });

  describe("on the admin port (protocol sniff, then HTTP/1.1 or HTTP/2)", () => {
    // Until a request's headers are in, the headers bound holds; once the HTTP/2 preface is in, the session is idle.
    const bounds: Record<keyof typeof slowClients, number> = {
      "sends nothing": headersMs,
      "sends one byte": headersMs,
      "sends half an HTTP/1.1 request": headersMs,
      "sends only the HTTP/2 preface": idleMs,
    };
    for (const [kind, behave] of Object.entries(slowClients)) {
      it(`closes a client that ${kind} within its bound`, async () => {
        const bound = bounds[kind as keyof typeof slowClients];
        const { violations, closedAfterMs } = await boundViolations(admin.port, behave, clients, bound, marginMs);
        expect(violations, `bound ${bound} ms + ${marginMs} ms; closed after ${closedAfterMs.join(", ")} ms`).toBe(0);
      });
    }

    it("sends GOAWAY to an HTTP/2 session idle after a call, and closes it, within the idle bound", async () => {
      const { violations, closedAfterMs } = await idleViolations(() => idleHttp2Session(admin.port, { ":path": "/metrics" }), idleMs);
      expect(violations, `closed after ${closedAfterMs.join(", ")} ms`).toBe(0);
    });

    it("closes an HTTP/1.1 keep-alive connection idle after a call within the idle bound", async () => {
      const { violations, closedAfterMs } = await idleViolations(() => idleHttp1KeepAlive(admin.port, "/metrics"), idleMs);
      expect(violations, `closed after ${closedAfterMs.join(", ")} ms`).toBe(0);
    });
  });

  describe("on the validator's gRPC port", () => {
    // grpc-js opens a session as a connection arrives: every slow client is an idle session. Its idle
    // check reschedules itself for a whole period when its timer fires a millisecond early, so the
    // bound it keeps is twice the setting.
    const grpcIdleBoundMs = 2 * idleMs;
    for (const [kind, behave] of Object.entries(slowClients)) {
      it(`closes a client that ${kind} within the idle bound`, async () => {
        const { violations, closedAfterMs } = await boundViolations(validator.grpcPort, behave, clients, grpcIdleBoundMs, marginMs);
        expect(violations, `closed after ${closedAfterMs.join(", ")} ms`).toBe(0);
      });
    }

    it("sends GOAWAY to a session idle after a call, and closes it, within the idle bound", async () => {
      const open = () => idleHttp2Session(validator.grpcPort, grpcHeaders("/grpc.health.v1.Health/Check"), emptyGrpcMessage);
      const { violations, closedAfterMs } = await idleViolations(open, grpcIdleBoundMs);
      expect(violations, `closed after ${closedAfterMs.join(", ")} ms`).toBe(0);
    });
  });

  describe("on the validator's HTTP port", () => {
    const bounds: Partial<Record<keyof typeof slowClients, number>> = {
      "sends nothing": headersMs,
      "sends one byte": headersMs,
      "sends half an HTTP/1.1 request": headersMs,
    };
    for (const [kind, bound] of Object.entries(bounds)) {
      it(`closes a client that ${kind} within the headers bound`, async () => {
        const { violations, closedAfterMs } = await boundViolations(validator.httpPort, slowClients[kind as keyof typeof slowClients], clients, bound, marginMs);
        expect(violations, `closed after ${closedAfterMs.join(", ")} ms`).toBe(0);
      });
    }

    it("closes a request whose body never finishes within the request bound", async () => {
      const slowBody = (socket: Socket) =>
        socket.write(`POST /introspect HTTP/1.1\r\nHost: v\r\nAuthorization: Bearer ${introspector}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ntoken=`);
      const { violations, closedAfterMs } = await boundViolations(validator.httpPort, slowBody, clients, requestMs, marginMs);
      expect(violations, `closed after ${closedAfterMs.join(", ")} ms`).toBe(0);
    });

    it("closes a keep-alive connection idle after a call within the idle bound", async () => {
      // Node closes a second later than the Keep-Alive timeout it advertises, so that a client
      // reusing the connection at the last moment is not reset.
      const { violations, closedAfterMs } = await idleViolations(() => idleHttp1KeepAlive(validator.httpPort, "/ready"), idleMs + 1000);
      expect(violations, `closed after ${closedAfterMs.join(", ")} ms`).toBe(0);
    });

    // A plain /auth request is answered off the socket (forward-auth-wire.ts), which keeps this bound itself.
    it("closes a keep-alive connection idle after a forward-auth answer within the idle bound", async () => {
      const { violations, closedAfterMs } = await idleViolations(() => idleHttp1KeepAlive(validator.httpPort, "/auth"), idleMs + 1000);
      expect(violations, `closed after ${closedAfterMs.join(", ")} ms`).toBe(0);
    });
  });
});
