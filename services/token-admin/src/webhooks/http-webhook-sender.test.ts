import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpWebhookSender } from "./http-webhook-sender.js";

describe("the webhook sender", () => {
  let server: Server;
  let port = 0;
  let connections = 0;
  let answer: (res: import("node:http").ServerResponse) => void = (res) => res.writeHead(204).end();

  beforeAll(async () => {
    server = createServer((_req, res) => answer(res));
    server.on("connection", () => connections++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const options = { timeoutMs: 1000, maxResponseBytes: 1024, allowPrivate: true };

  it("never connects to loopback unless allowed: literal addresses and names that resolve to it", async () => {
    const guarded = createHttpWebhookSender({ ...options, allowPrivate: false });
    const before = connections;
    for (const host of ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"]) {
      const outcome = await guarded.send(`http://${host}:${port}/`, {}, "{}");
      expect(outcome.ok, host).toBe(false);
    }
    expect(connections).toBe(before);
    expect((await createHttpWebhookSender(options).send(`http://localhost:${port}/`, {}, "{}")).ok).toBe(true);
  });

  it("bounds the time an answer may take and how much of it is read", async () => {
    answer = () => {}; // never answers
    const slow = await createHttpWebhookSender({ ...options, timeoutMs: 200 }).send(`http://127.0.0.1:${port}/`, {}, "{}");
    expect(slow).toMatchObject({ ok: false, error: expect.stringContaining("no answer within 200 ms") });
    // An endless body: the status decides, the rest is not read.
    answer = (res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 120);
      const pump = () => { while (res.write(chunk)); };
      res.on("drain", pump);
      pump();
    };
    expect(await createHttpWebhookSender(options).send(`http://127.0.0.1:${port}/`, {}, "{}")).toEqual({ ok: true, status: 200 });
    answer = (res) => res.writeHead(204).end();
  });

  it("treats a redirect as a failure and does not follow it", async () => {
    answer = (res) => res.writeHead(302, { location: `http://127.0.0.1:${port}/elsewhere` }).end();
    const before = connections;
    expect(await createHttpWebhookSender(options).send(`http://127.0.0.1:${port}/`, {}, "{}")).toMatchObject({ ok: false, status: 302 });
    expect(connections).toBe(before + 1);
    answer = (res) => res.writeHead(204).end();
  });
});
