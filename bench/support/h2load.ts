import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { quantile } from "./stats.js";

const run = promisify(execFile);

/** The core the load generator runs on; servers get the other one. */
export const loadCore = 1;
export const serverCore = 0;

/** A gRPC message as it travels: uncompressed flag, big-endian length, bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(message.length, 1);
  Buffer.from(message).copy(frame, 5);
  return frame;
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Per-request latencies in microseconds (from --log-file). */
  readonly latenciesUs: readonly number[];
}

export interface LoadSpec {
  readonly url: string;
  /** Request body (e.g. a gRPC frame); none for GET. */
  readonly body?: Uint8Array;
  readonly headers: readonly string[];
  /** Streams in flight per connection. */
  readonly inFlight: number;
  readonly connections?: number;
  readonly durationSeconds: number;
  /** HTTP/1.1 instead of HTTP/2 prior knowledge. */
  readonly http1?: boolean;
  /** Connect here instead of the URL's host and port, e.g. `unix:/path/to.sock` (the URL still gives the path). */
  readonly baseUri?: string;
}

/** Runs h2load pinned to the load core and parses throughput and per-request latencies. */
export async function h2load(spec: LoadSpec): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-h2load-"));
  try {
    const log = join(dir, "requests.log");
    const args = ["-c", String(loadCore), "h2load", "-c", String(spec.connections ?? 1), "-m", String(spec.inFlight), "-D", String(spec.durationSeconds), "--log-file", log];
    if (spec.body) {
      const body = join(dir, "body");
      writeFileSync(body, spec.body);
      args.push("-d", body);
    }
    for (const header of spec.headers) args.push("-H", header);
    if (spec.http1) args.push("--h1");
    if (spec.baseUri) args.push("-B", spec.baseUri);
    args.push(spec.url);
    const { stdout } = await run("taskset", args, { maxBuffer: 16 * 1024 * 1024 });
    const rate = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(stdout);
    const counts = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/.exec(stdout);
    if (!rate || !counts) throw new Error(`unexpected h2load output:\n${stdout}`);
    const latenciesUs = readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => line.split("\t"))
      .filter((cols) => cols[1] !== "-1")
      .map((cols) => Number(cols[2]));
    return { requestsPerSecond: Number(rate[1]), succeeded: Number(counts[1]), failed: Number(counts[2]), latenciesUs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** p50 and p99 of a run's latencies, in microseconds. */
export function latencyPercentiles(result: LoadResult): { p50: number; p99: number } {
  return { p50: quantile(result.latenciesUs, 0.5), p99: quantile(result.latenciesUs, 0.99) };
}

/** The gRPC headers h2load must send for a unary call. */
export const grpcHeaders = ["content-type: application/grpc", "te: trailers"];

/** Calls once with nghttp and returns the grpc-status trailer: h2load cannot see trailers. */
export async function grpcStatusOnce(url: string, body: Uint8Array): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-nghttp-"));
  try {
    const file = join(dir, "body");
    writeFileSync(file, body);
    const { stdout } = await run("nghttp", ["-v", "-d", file, ...grpcHeaders.flatMap((h) => ["-H", h]), url]);
    return /grpc-status: (\d+)/.exec(stdout)?.[1] ?? "missing";
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
