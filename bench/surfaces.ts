import { create, toBinary } from "@bufbuild/protobuf";
import { CheckRequestSchema } from "@tessera/shared/gen/envoy/service/auth/v3/external_auth_pb";
import { grpcFrame, grpcHeaders, grpcStatusOnce, h2load, type LoadResult } from "./support/h2load.js";
import { interleavedRatios, spread, type Spread } from "./support/stats.js";

/** An Envoy CheckRequest for GET /orders/1 with the token, as Envoy sends it, framed for h2load. */
export function checkRequestBody(token: string): Buffer {
  const request = create(CheckRequestSchema, {
    attributes: {
      request: { http: { method: "GET", path: "/orders/1", host: "shop.internal", scheme: "http", headers: { authorization: `Bearer ${token}`, "user-agent": "curl/8" } } },
    },
  });
  return grpcFrame(toBinary(CheckRequestSchema, request));
}

function checked(result: LoadResult, what: string): LoadResult {
  if (result.failed > 0 || result.succeeded === 0) throw new Error(`${what}: ${result.failed} failed of ${result.succeeded + result.failed}`);
  return result;
}

export interface Ratio {
  readonly ratio: Spread;
  readonly subjectRps: Spread;
  readonly baselineRps: Spread;
}

/** ext_authz Check throughput over ValidateToken's, same validator, same token and scope, 64 in flight. */
export async function measureExtAuthz(validatorPort: number, validateBody: Buffer, checkBody: Buffer, rounds: number, seconds: number): Promise<Ratio> {
  const base = `http://127.0.0.1:${validatorPort}`;
  const validateUrl = `${base}/tessera.v1.TokenValidatorService/ValidateToken`;
  const checkUrl = `${base}/envoy.service.auth.v3.Authorization/Check`;
  const status = await grpcStatusOnce(checkUrl, checkBody);
  if (status !== "0") throw new Error(`Check answered grpc-status ${status}`);
  const load = async (url: string, body: Buffer) => checked(await h2load({ url, body, headers: grpcHeaders, inFlight: 64, durationSeconds: seconds }), url).requestsPerSecond;
  const r = await interleavedRatios(rounds, () => load(validateUrl, validateBody), () => load(checkUrl, checkBody));
  return { ratio: spread(r.ratios), subjectRps: spread(r.subject), baselineRps: spread(r.baseline) };
}

/**
 * Forward-auth (as nginx auth_request calls it) over a bare node:http server
 * answering 200, both over HTTP/1.1 keep-alive with 32 connections.
 */
export async function measureForwardAuth(validatorHttpPort: number, bareHttpPort: number, token: string, rounds: number, seconds: number): Promise<Ratio> {
  const headers = [`authorization: Bearer ${token}`, "x-original-method: GET", "x-original-uri: /orders/1"];
  const load = async (url: string) => {
    const result = checked(await h2load({ url, headers, inFlight: 1, connections: 32, durationSeconds: seconds, http1: true }), url);
    return result.requestsPerSecond;
  };
  const r = await interleavedRatios(
    rounds,
    () => load(`http://127.0.0.1:${bareHttpPort}/auth`),
    () => load(`http://127.0.0.1:${validatorHttpPort}/auth`),
  );
  return { ratio: spread(r.ratios), subjectRps: spread(r.subject), baselineRps: spread(r.baseline) };
}
