import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Client, credentials as grpcCredentials, Metadata, status, type ChannelCredentials, type ServiceError } from "@grpc/grpc-js";
import { TokenValidatorService, ValidateTokenRequestSchema, ValidateTokenResponseSchema, type ValidateTokenRequest } from "./gen/tessera/v1/validator_pb.js";
import { validationFromResponse, type Validation } from "./validation.js";

export interface ValidatorClientOptions {
  /** A validator's gRPC address, "host:port": "127.0.0.1:9090" for a sidecar, "token-validator:9090" for a pool. */
  readonly address: string;
  /** How long one call may take before it fails with `deadline_exceeded`; default 250 ms. */
  readonly timeoutMs?: number;
  /** Default: plaintext, as a sidecar on loopback or a validator inside the cluster network speaks. */
  readonly credentials?: ChannelCredentials;
}

export interface ValidateOptions {
  /** The scope the token must carry; empty or absent: any valid token. */
  readonly scope?: string;
  /** Overrides the client's timeout for this call. */
  readonly timeoutMs?: number;
  /** W3C trace context to send along (`traceparent`, `tracestate`), so the check joins the caller's trace. */
  readonly traceContext?: { readonly traceparent?: string; readonly tracestate?: string };
}

/** Why a validator could not be asked: its gRPC status ("unavailable", "deadline_exceeded", …). */
export class ValidatorCallError extends Error {
  override readonly name = "ValidatorCallError";
  constructor(readonly code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A connection to one validator, reused by every call. */
export interface ValidatorClient {
  /** Resolves with the validator's answer (valid or why not); rejects with ValidatorCallError when it cannot be asked. */
  validateToken(token: string, options?: ValidateOptions): Promise<Validation>;
  /** Closes the connection; calls after this fail. */
  close(): void;
}

const method = TokenValidatorService.method.validateToken;
const path = `/${TokenValidatorService.typeName}/${method.name}`;
const serialize = (request: ValidateTokenRequest) => Buffer.from(toBinary(ValidateTokenRequestSchema, request));
const deserialize = (bytes: Buffer) => fromBinary(ValidateTokenResponseSchema, bytes);
const statusNames = Object.fromEntries(Object.entries(status).map(([name, code]) => [code, name.toLowerCase()])) as Record<number, string>;

/**
 * A ValidateToken client over grpc-js: one channel (one HTTP/2 connection,
 * reconnected as needed) for every call, a deadline on each. Create it once,
 * at start, and share it.
 */
export function createValidatorClient(options: ValidatorClientOptions): ValidatorClient {
  const timeoutMs = options.timeoutMs ?? 250;
  const client = new Client(options.address, options.credentials ?? grpcCredentials.createInsecure(), {
    // Pings keep an idle connection known-good; the validator allows one every 10 s without calls.
    "grpc.keepalive_time_ms": 30_000,
    "grpc.keepalive_timeout_ms": 5_000,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.max_receive_message_length": 64 * 1024,
  });
  return {
    validateToken(token, call = {}) {
      const request = create(ValidateTokenRequestSchema, { token, requiredScope: call.scope ?? "" });
      const metadata = new Metadata();
      if (call.traceContext?.traceparent) metadata.set("traceparent", call.traceContext.traceparent);
      if (call.traceContext?.tracestate) metadata.set("tracestate", call.traceContext.tracestate);
      const deadline = Date.now() + (call.timeoutMs ?? timeoutMs);
      return new Promise<Validation>((resolve, reject) => {
        client.makeUnaryRequest(path, serialize, deserialize, request, metadata, { deadline }, (err: ServiceError | null, response) => {
          if (err || !response) {
            const code = statusNames[err?.code ?? status.UNKNOWN] ?? "unknown";
            reject(new ValidatorCallError(code, `validator ${options.address}: ${code}: ${err?.details ?? "no answer"}`, { cause: err }));
          } else resolve(validationFromResponse(response));
        });
      });
    },
    close: () => client.close(),
  };
}
