import * as http2 from "node:http2";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenHttp, type HttpListener, type NodeHandler } from "./listen-http.js";

// The request bound of the one-port listener, with real sockets: a request
// whose body never finishes, or whose answer is never read, is cut within the
// bound plus a margin (for timers firing late on a loaded machine), counted over
// several clients at once. The phases before a request and between requests
// are tested against the whole admin in test/connections/slow-clients.test.ts.

const requestMs = 600;
const marginMs = 1000;
const clients = 5;
const limits = { maxConnections: 100, headersTimeoutMs: 60_000, requestTimeoutMs: requestMs, idleTimeoutMs: 60_000 };

// Answers after reading the whole body, as connect-node does; /big answers 64 MiB at once.
const handler: NodeHandler = (req, res) => {
  if (req.url === "/big") {
    res.end(Buffer.alloc(64 * 1024 * 1024));
    return;
  }
  req.resume();
  req.once("end", () => res.end("read it all"));
};

/** Runs `clients` at once and counts those whose measured time exceeded the bound plus the margin (or that never ended). */
async function violations(run: () => Promise<number>): Promise<{ count: number; ms: number[] }> {
  const ms = await Promise.all(Array.from({ length: clients }, run));
  return { count: ms.filter((m) => !(m <= requestMs + marginMs)).length, ms };
}

/** Milliseconds until the server closes a raw connection that sent `data`, or Infinity after 10 s. */
function closedAfter(port: number, data: string): Promise<number> {
  return new Promise((resolve) => {
    let started = 0;
    const socket = connect(port, "127.0.0.1", () => {
      started = Date.now();
      socket.write(data);
    });
    socket.on("data", () => {});
    socket.on("error", () => {});
    const giveUp = setTimeout(() => {
      socket.destroy();
      resolve(Number.POSITIVE_INFINITY);
    }, 10_000);
    socket.once("close", () => {
      clearTimeout(giveUp);
      resolve(Date.now() - started);
    });
  });
}

describe("listenHttp's request bound", () => {
  let listener: HttpListener;
  beforeAll(async () => {
    listener = await listenHttp(handler, { host: "127.0.0.1", port: 0, limits });
  });
  afterAll(() => listener?.close(0));

  it("cuts an HTTP/1.1 request whose body never finishes", async () => {
    const { count, ms } = await violations(() => closedAfter(listener.port, "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\nsome"));
    expect(count, `closed after ${ms.join(", ")} ms`).toBe(0);
  });

  it("cuts an HTTP/1.1 request whose answer the client does not read", async () => {
    // A client that reads nothing cannot see the cut either: it stops reading until the bound and the
    // margin have passed, then reads what its kernel kept. The server cut it in time if the answer then
    // ends early and at once; had it not, all 64 MiB would follow.
    const size = 64 * 1024 * 1024;
    const slowReader = () =>
      new Promise<number>((resolve) => {
        let received = 0;
        let resumedAt = 0;
        const socket = connect(listener.port, "127.0.0.1", () => socket.write("GET /big HTTP/1.1\r\nHost: t\r\n\r\n"));
        socket.pause();
        socket.on("data", (chunk: Buffer) => (received += chunk.length));
        socket.on("error", () => {});
        setTimeout(() => {
          resumedAt = Date.now();
          socket.resume();
        }, requestMs + marginMs);
        socket.once("close", () => resolve(received >= size || Date.now() - resumedAt > 500 ? Number.POSITIVE_INFINITY : requestMs));
      });
    const { count, ms } = await violations(slowReader);
    expect(count, `${ms.join(", ")}`).toBe(0);
  });

  it("cancels an HTTP/2 stream whose body never finishes, and the session goes on serving", async () => {
    const session = http2.connect(`http://127.0.0.1:${listener.port}`);
    try {
      const { count, ms } = await violations(
        () =>
          new Promise<number>((resolve) => {
            const started = Date.now();
            const stream = session.request({ ":method": "POST", ":path": "/x" });
            stream.write("some");
            stream.on("error", () => {});
            stream.on("data", () => {});
            const giveUp = setTimeout(() => stream.close(), 10_000);
            stream.once("close", () => {
              clearTimeout(giveUp);
              resolve(stream.rstCode === http2.constants.NGHTTP2_CANCEL && Date.now() - started < 10_000 ? Date.now() - started : Number.POSITIVE_INFINITY);
            });
          }),
      );
      expect(count, `cancelled after ${ms.join(", ")} ms`).toBe(0);
      const answer = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": "/x" });
        let body = "";
        stream.setEncoding("utf8");
        stream.on("data", (chunk: string) => (body += chunk));
        stream.once("end", () => resolve(body));
        stream.once("error", reject);
        stream.end("whole");
      });
      expect(answer).toBe("read it all");
    } finally {
      session.destroy();
    }
  });
});
