import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { extname, join, relative, sep } from "node:path";
import { gzipSync } from "node:zlib";

/** What the console's files are answered with, whoever asks. */
export const consoleHeaders: Readonly<Record<string, string>> = {
  // No inline script or style, nothing from elsewhere; the API is on this origin.
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/** Vite names every built asset after its content hash, so it never changes under its name. */
const immutable = "public, max-age=31536000, immutable";

interface ConsoleFile {
  readonly body: Buffer;
  /** Set when compressing saves bytes. */
  readonly gzipped: Buffer | undefined;
  readonly headers: Readonly<Record<string, string>>;
}

/** The parts of a node:http or node:http2 request (or connect-node's view of one) serving a file needs. */
interface Request {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

interface Response {
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(): unknown;
  end(body: Uint8Array): unknown;
}

/** The console's built files, held in memory; `serve` answers the requests that are for one of them. */
export interface ConsoleFiles {
  /** How many files are served: 0 when the console was not built. */
  readonly count: number;
  /** Answers a GET or HEAD for a console file and returns true; returns false (touching nothing) for anything else. */
  serve(req: Request, res: Response): boolean;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/**
 * Reads every file of the built console in `dir` once, at start. Only those
 * paths are ever answered — a lookup in a map, never a path joined from the
 * request — so no URL can reach another file. A missing folder serves nothing.
 */
export function loadConsoleFiles(dir: string): ConsoleFiles {
  const files = new Map<string, ConsoleFile>();
  for (const path of existsSync(dir) ? listFiles(dir) : []) {
    const type = contentTypes[extname(path)];
    if (!type) continue;
    const urlPath = `/${relative(dir, path).split(sep).join("/")}`;
    const body = readFileSync(path);
    const gzipped = gzipSync(body, { level: 9 });
    const hashed = urlPath.startsWith("/assets/");
    files.set(urlPath, {
      body,
      gzipped: gzipped.length < body.length ? gzipped : undefined,
      headers: {
        ...consoleHeaders,
        "content-type": type,
        etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
        // index.html names the current assets: always revalidate it.
        "cache-control": hashed ? immutable : "no-cache",
        vary: "accept-encoding",
      },
    });
  }
  const index = files.get("/index.html");
  if (index) files.set("/", index);

  return {
    count: files.size,
    serve(req, res) {
      if (req.method !== "GET" && req.method !== "HEAD") return false;
      const path = (req.url ?? "").split("?")[0]!;
      const file = files.get(path);
      if (!file) return false;
      if (req.headers["if-none-match"] === file.headers.etag) {
        res.writeHead(304, file.headers);
        res.end();
        return true;
      }
      const gzip = file.gzipped !== undefined && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
      const body = gzip ? file.gzipped! : file.body;
      res.writeHead(200, { ...file.headers, "content-length": String(body.length), ...(gzip ? { "content-encoding": "gzip" } : {}) });
      if (req.method === "HEAD") res.end();
      else res.end(body);
      return true;
    },
  };
}
