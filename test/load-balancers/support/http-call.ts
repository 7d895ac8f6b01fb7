import { request } from "node:http";
import { createServer, type AddressInfo } from "node:net";

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * One HTTP/1.1 request with headers given exactly as sent (a flat name/value
 * list, so a header can be repeated), on a fresh connection. Keep-alive, as a
 * proxy asks (what the validator answers off the socket): the connection is
 * closed here once the answer is read.
 */
export function httpCall(port: number, path: string, options: { method?: string; headers?: string[]; body?: string; chunked?: boolean } = {}): Promise<HttpAnswer> {
  const headers = ["Host", `127.0.0.1:${port}`, "Connection", "keep-alive", ...(options.headers ?? [])];
  // `chunked`: the caller sent Transfer-Encoding itself, so no Content-Length.
  if (options.body !== undefined && !options.chunked) headers.push("Content-Length", String(Buffer.byteLength(options.body)));
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: options.method ?? "GET", headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        res.socket?.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** A port that was free a moment ago (for servers we cannot ask to bind port 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
