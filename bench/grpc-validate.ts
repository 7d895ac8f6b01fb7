import { create, toBinary } from "@bufbuild/protobuf";
import { ValidateTokenRequestSchema } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { grpcFrame, grpcHeaders, grpcStatusOnce, h2load, latencyPercentiles, type LoadResult } from "./support/h2load.js";
import { interleavedRatios, quantile, spread, type Spread } from "./support/stats.js";

export interface GrpcFigures {
  /** ValidateToken req/s ÷ no-op req/s at 64 in flight, per round. */
  readonly throughputRatio: Spread;
  readonly validatorRps: Spread;
  readonly baselineRps: Spread;
  /** p99 at 1 in flight ÷ the baseline's p99, per round. */
  readonly p99Ratio: Spread;
  /** Medians over rounds, µs. */
  readonly p50Us: number;
  readonly p99Us: number;
  readonly baselineP50Us: number;
  readonly baselineP99Us: number;
}

const path = "/tessera.v1.TokenValidatorService/ValidateToken";

/** A pre-encoded ValidateToken call, as h2load sends it. */
export function validateTokenBody(token: string, requiredScope: string): Buffer {
  return grpcFrame(toBinary(ValidateTokenRequestSchema, create(ValidateTokenRequestSchema, { token, requiredScope })));
}

function checked(result: LoadResult, what: string): LoadResult {
  if (result.failed > 0 || result.succeeded === 0) throw new Error(`${what}: ${result.failed} failed of ${result.succeeded + result.failed}`);
  return result;
}

/**
 * ValidateToken over the validator's Unix-domain socket against the same
 * validator over TCP loopback, 64 in flight, in interleaved rounds: a ratio > 1
 * means the socket serves more calls per second.
 */
export async function measureUnixSocketValidate(validatorPort: number, socketPath: string, body: Buffer, rounds: number, seconds: number): Promise<{ ratio: Spread; udsRps: Spread; tcpRps: Spread }> {
  const url = `http://127.0.0.1:${validatorPort}${path}`;
  const load = (baseUri: string | undefined) =>
    h2load({ url, body, headers: grpcHeaders, inFlight: 64, durationSeconds: seconds, baseUri }).then((r) => checked(r, baseUri ?? url).requestsPerSecond);
  const r = await interleavedRatios(rounds, () => load(undefined), () => load(`unix:${socketPath}`));
  return { ratio: spread(r.ratios), udsRps: spread(r.subject), tcpRps: spread(r.baseline) };
}

/**
 * ValidateToken against the no-op grpc-js baseline, same codec, same request:
 * throughput at 64 in flight and latency at 1 in flight, in interleaved rounds.
 */
export async function measureGrpcValidate(validatorPort: number, baselinePort: number, body: Buffer, rounds: number, seconds: number): Promise<GrpcFigures> {
  const validatorUrl = `http://127.0.0.1:${validatorPort}${path}`;
  const baselineUrl = `http://127.0.0.1:${baselinePort}${path}`;
  for (const url of [validatorUrl, baselineUrl]) {
    const status = await grpcStatusOnce(url, body);
    if (status !== "0") throw new Error(`${url} answered grpc-status ${status}`);
  }
  const load = (url: string, inFlight: number) => h2load({ url, body, headers: grpcHeaders, inFlight, durationSeconds: seconds }).then((r) => checked(r, url));

  const rps = { validator: [] as number[], baseline: [] as number[] };
  const throughput = await interleavedRatios(
    rounds,
    async () => (await load(baselineUrl, 64)).requestsPerSecond,
    async () => (await load(validatorUrl, 64)).requestsPerSecond,
  );
  rps.validator.push(...throughput.subject);
  rps.baseline.push(...throughput.baseline);

  const p50 = { validator: [] as number[], baseline: [] as number[] };
  const p99 = { validator: [] as number[], baseline: [] as number[] };
  const latency = await interleavedRatios(
    rounds,
    async () => {
      const { p50: a, p99: b } = latencyPercentiles(await load(baselineUrl, 1));
      p50.baseline.push(a);
      p99.baseline.push(b);
      return b;
    },
    async () => {
      const { p50: a, p99: b } = latencyPercentiles(await load(validatorUrl, 1));
      p50.validator.push(a);
      p99.validator.push(b);
      return b;
    },
  );
  return {
    throughputRatio: spread(throughput.ratios),
    validatorRps: spread(rps.validator),
    baselineRps: spread(rps.baseline),
    p99Ratio: spread(latency.ratios),
    p50Us: quantile(p50.validator, 0.5),
    p99Us: quantile(p99.validator, 0.5),
    baselineP50Us: quantile(p50.baseline, 0.5),
    baselineP99Us: quantile(p99.baseline, 0.5),
  };
}
