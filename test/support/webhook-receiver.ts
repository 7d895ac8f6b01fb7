import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Webhook } from "standardwebhooks";

/** One request as the receiver saw it, after verifying its signature as a user's code would. */
export interface ReceivedWebhook {
  readonly id: string;
  readonly type: string;
  readonly feedSeq: number;
  readonly data: Record<string, unknown>;
  readonly body: string;
}

export type ReceiverMode = "ok" | "fail" | "hang" | "redirect";

/**
 * A real HTTP endpoint that verifies every request with the `standardwebhooks`
 * package and records what verified. It can be stopped (connections cut) and
 * started again on the same port, answer 500s, hang, or redirect.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Requests whose signature did not verify. */
  rejected = 0;
  /** Requests that arrived at all (including those not answered 2xx). */
  requests = 0;
  mode: ReceiverMode = "ok";
  /** Milliseconds to wait before answering (a slow receiver). */
  delayMs = 0;
  redirectTo = "";
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  secret = "";

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Closes the listener and cuts every connection, mid-request or not. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Distinct webhook-ids in order of first arrival. */
  uniqueIds(): string[] {
    return [...new Set(this.received.map((r) => r.id))];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    if (this.mode === "hang") return; // never answers
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.mode === "redirect") {
      res.writeHead(307, { location: this.redirectTo }).end();
      return;
    }
    if (this.mode === "fail") {
      res.writeHead(500).end("down for maintenance");
      return;
    }
    let payload: { type: string; data: Record<string, unknown> };
    try {
      // What a receiver writes: verify against the raw body and the three headers, or refuse.
      payload = new Webhook(this.secret).verify(body, {
        "webhook-id": String(req.headers["webhook-id"]),
        "webhook-timestamp": String(req.headers["webhook-timestamp"]),
        "webhook-signature": String(req.headers["webhook-signature"]),
      }) as typeof payload;
    } catch {
      this.rejected++;
      res.writeHead(400).end();
      return;
    }
    if (res.destroyed) return;
    this.received.push({ id: String(req.headers["webhook-id"]), type: payload.type, feedSeq: Number(payload.data.feed_seq), data: payload.data, body });
    res.writeHead(204).end();
  }
}
