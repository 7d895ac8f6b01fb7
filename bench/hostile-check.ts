import { readFileSync } from "node:fs";
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { CheckRequestSchema } from "@tessera/shared/gen/envoy/service/auth/v3/external_auth_pb";
import { grpcFrame, grpcHeaders, h2load, latencyPercentiles } from "./support/h2load.js";
import { interleavedRatios, quantile, spread, type Spread } from "./support/stats.js";

// What one unauthenticated client can make a validator spend: Check messages
// of tiny fields (each field costs a decoder step, a message of them costs
// milliseconds), measured as the server's own CPU time per call and as what
// a flood of them does to ValidateToken's latency.

const kib = 1024;

/** A Check for GET /orders/1 carrying the token and `bytes` more of one-letter headers (empty values). */
export function tinyHeadersCheck(token: string, bytes: number): Buffer {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  // A map entry of a 3-character key and an empty value is 9 bytes on the wire.
  for (let i = 0; i < bytes / 9; i++) headers[i.toString(36).padStart(3, "0")] = "";
  return grpcFrame(toBinary(CheckRequestSchema, create(CheckRequestSchema, { attributes: { request: { http: { method: "GET", path: "/orders/1", headers } } } })));
}

/** A Check of `bytes` of three-byte unknown fields inside its HTTP attributes, no headers at all. */
export function tinyFieldsCheck(bytes: number): Buffer {
  const http = new BinaryWriter();
  for (let i = 0; i < bytes / 3; i++) http.tag(99, WireType.Varint).uint32(0);
  const message = new BinaryWriter().tag(1, WireType.LengthDelimited).fork().tag(4, WireType.LengthDelimited).fork().tag(2, WireType.LengthDelimited).bytes(http.finish()).join().join().finish();
  return grpcFrame(message);
}

/** User plus system CPU of a process so far, in milliseconds (/proc ticks are 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The server's CPU time per Check of `body`, over an h2load run of 4 in flight. */
async function cpuPerCall(pid: number, url: string, body: Buffer, seconds: number): Promise<number> {
  const before = cpuMs(pid);
  const result = await h2load({ url, body, headers: grpcHeaders, inFlight: 4, durationSeconds: seconds });
  const calls = result.succeeded + result.failed;
  if (calls === 0) throw new Error("no Check calls completed");
  return (cpuMs(pid) - before) / calls;
}

export interface HostileCheckFigures {
  /** CPU per call of each hostile shape ÷ CPU per ordinary Check, per round. */
  readonly costRatios: Readonly<Record<string, Spread>>;
  /** Median ms of server CPU per call, by shape and for "ordinary Check". */
  readonly costMs: Readonly<Record<string, number>>;
  /**
   * ValidateToken p50 (1 in flight) while one client floods Checks of 250 KiB
   * of tiny fields ÷ p50 while it floods ordinary Checks, per round. Any flood
   * keeps the one core busy; this isolates what the message shape adds. (p99s
   * on a shared machine are mostly other processes' noise; p50 moves with the
   * length of the steps the server cannot interrupt.)
   */
  readonly floodP50Ratio: Spread;
  readonly p50Us: number;
  readonly floodP50Us: number;
}

/** Check cost by shape, and ValidateToken's latency under a flood of a hostile shape against one of ordinary Checks. */
export async function measureHostileCheck(pid: number, grpcPort: number, token: string, validateBody: Buffer, rounds: number, seconds: number): Promise<HostileCheckFigures> {
  const checkUrl = `http://127.0.0.1:${grpcPort}/envoy.service.auth.v3.Authorization/Check`;
  const validateUrl = `http://127.0.0.1:${grpcPort}/tessera.v1.TokenValidatorService/ValidateToken`;
  const ordinary = tinyHeadersCheck(token, 0);
  const shapes: Record<string, Buffer> = {
    // Just under the 256 KiB the validator read before its bounds (a larger message was refused unread).
    "250 KiB of tiny headers": tinyHeadersCheck(token, 250 * kib),
    "250 KiB of tiny unknown fields": tinyFieldsCheck(250 * kib),
    // Under the 128 KiB read now: what is left for the bounds inside the message to stop.
    "120 KiB of tiny headers": tinyHeadersCheck(token, 120 * kib),
    "120 KiB of tiny unknown fields": tinyFieldsCheck(120 * kib),
  };
  const costRatios: Record<string, Spread> = {};
  const costMs: Record<string, number> = {};
  const ordinaryMs: number[] = [];
  for (const [name, body] of Object.entries(shapes)) {
    const r = await interleavedRatios(rounds, () => cpuPerCall(pid, checkUrl, ordinary, seconds), () => cpuPerCall(pid, checkUrl, body, seconds));
    costRatios[name] = spread(r.ratios);
    costMs[name] = quantile(r.subject, 0.5);
    ordinaryMs.push(...r.baseline);
  }
  costMs["ordinary Check"] = quantile(ordinaryMs, 0.5);

  const p50 = { ordinary: [] as number[], hostile: [] as number[] };
  const validateDuring = async (flood: Buffer, into: number[]) => {
    const flooding = h2load({ url: checkUrl, body: flood, headers: grpcHeaders, inFlight: 1, durationSeconds: seconds + 1 });
    const us = latencyPercentiles(await h2load({ url: validateUrl, body: validateBody, headers: grpcHeaders, inFlight: 1, durationSeconds: seconds })).p50;
    await flooding;
    into.push(us);
    return us;
  };
  const flood = await interleavedRatios(
    rounds,
    () => validateDuring(ordinary, p50.ordinary),
    () => validateDuring(shapes["250 KiB of tiny unknown fields"]!, p50.hostile),
  );
  return { costRatios, costMs, floodP50Ratio: spread(flood.ratios), p50Us: quantile(p50.ordinary, 0.5), floodP50Us: quantile(p50.hostile, 0.5) };
}
