import type * as http from "node:http";
import type * as http2 from "node:http2";
import type { Logger } from "@tessera/shared/log/logger";
import { snapshotAuthHeader, type SnapshotAuth } from "@tessera/shared/snapshot/snapshot-auth";
import { encodeSealFrame, sealFrameBytes, snapshotTokensHeader } from "@tessera/shared/snapshot/snapshot-stream";
import type { SnapshotCache } from "../domain/feed/snapshot-cache.js";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
/** The parts of a node:http or node:http2 response (connect-node's view of one) a streamed answer needs. */
interface Response {
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: Uint8Array): boolean;
  end(chunk?: Uint8Array | string): unknown;
  on(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
  destroy(): unknown;
}

export const snapshotPath = "/v1/snapshot";

export interface SnapshotEndpoint {
  /** Answers the request if it is for the snapshot endpoint; false if it is not. */
  serve(req: Request, res: Response): boolean;
}

const refuse = (res: Response, status: number, message: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "text/plain", "cache-control": "no-store", ...headers });
  res.end(`${message}\n`);
};

/** Resolves once the response can take more (or is gone): writing never runs ahead of a slow reader. */
const drained = (res: Response) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });

/**
 * `GET /v1/snapshot`: the cached snapshot (snapshot-stream.ts), for validators
 * starting or reloading. Only a request signed under the pepper (the
 * x-tessera-snapshot-auth header) is answered (else 401): the body holds every
 * live token's digest. The body is sealed for that request's nonce, so a
 * validator loads only what token-admin sent it. 503 when no snapshot can be read.
 */
export function snapshotEndpoint(cache: SnapshotCache, auth: SnapshotAuth, log: Logger, now: () => number = Date.now): SnapshotEndpoint {
  const handle = async (req: Request, res: Response, nonce: Buffer) => {
    const snapshot = await cache.get();
    if (res.destroyed) return;
    res.writeHead(200, {
      "content-type": "application/vnd.tessera.snapshot",
      "content-length": String(snapshot.bytes + sealFrameBytes),
      "cache-control": "no-store",
      "x-tessera-snapshot-seq": String(snapshot.headSeq),
      [snapshotTokensHeader]: String(snapshot.tokens),
    });
    for (const part of snapshot.parts) {
      if (res.destroyed) return;
      if (!res.write(part)) await drained(res);
    }
    res.end(encodeSealFrame(auth.sealBody(nonce, snapshot.sha256)));
  };

  return {
    serve(req, res) {
      if ((req.url ?? "").split("?")[0] !== snapshotPath) return false;
      if (req.method !== "GET") {
        refuse(res, 405, "use GET", { allow: "GET" });
        return true;
      }
      const header = req.headers[snapshotAuthHeader];
      const nonce = auth.checkRequest(typeof header === "string" ? header : undefined, now());
      if (!nonce) {
        refuse(res, 401, "a snapshot is for validators: sign the request with the pepper");
        return true;
      }
      handle(req, res, nonce).catch((err: unknown) => {
        log.error({ err: (err as Error).message }, "snapshot not served");
        if (!res.headersSent) refuse(res, 503, "no snapshot can be read now");
        else res.destroy();
      });
      return true;
    },
  };
}
