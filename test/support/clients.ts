import { connect } from "node:net";
import { promisify } from "node:util";
import { create } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { credentials, makeGenericClientConstructor, type ChannelCredentials, type Client as GrpcClient, type ServiceError } from "@grpc/grpc-js";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import {
  TokenValidatorService,
  ValidateTokenRequestSchema,
  type ValidateTokenResponse,
} from "@tessera/shared/gen/tessera/v1/validator_pb";
import { grpcServiceDefinition } from "@tessera/shared/grpc/grpc-definition";

export type AdminClient = Client<typeof TokenAdminService>;

const bearer = (token: string | undefined): Interceptor => (next) => (req) => {
  if (token !== undefined) req.header.set("authorization", `Bearer ${token}`);
  return next(req);
};

/** A token-admin client speaking gRPC over HTTP/2 (or Connect JSON over HTTP/1.1), as `token` when given. */
export function adminClient(port: number, token?: string, protocol: "grpc" | "connect-json" = "grpc"): AdminClient {
  const baseUrl = `http://127.0.0.1:${port}`;
  const interceptors = [bearer(token)];
  const transport =
    protocol === "grpc"
      ? createGrpcTransport({ baseUrl, interceptors })
      : createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false, interceptors });
  return createClient(TokenAdminService, transport);
}

/**
 * A token-admin client (gRPC) whose connections come from `localAddress`, any
 * of 127.0.0.0/8: to the server, a client at another address.
 */
export function adminClientFrom(port: number, localAddress: string): AdminClient {
  const nodeOptions = { createConnection: () => connect({ host: "127.0.0.1", port, localAddress }) };
  return createClient(TokenAdminService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}`, nodeOptions }));
}

export interface ValidatorClient {
  validate(token: string, requiredScope?: string): Promise<ValidateTokenResponse>;
  close(): void;
}

const ValidatorStub = makeGenericClientConstructor(grpcServiceDefinition(TokenValidatorService), "TokenValidatorService");

/**
 * A grpc-js client of ValidateToken, as internal services would use it (cleartext unless given TLS credentials),
 * at a loopback port or a grpc target such as `unix:/run/tessera/validator.sock`.
 */
export function validatorClient(at: number | string, channel: ChannelCredentials = credentials.createInsecure()): ValidatorClient {
  const client = new ValidatorStub(typeof at === "number" ? `127.0.0.1:${at}` : at, channel) as unknown as GrpcClient & {
    validateToken: (req: unknown, callback: (err: ServiceError | null, res: ValidateTokenResponse) => void) => void;
  };
  const call = promisify(client.validateToken.bind(client)) as (req: unknown) => Promise<ValidateTokenResponse>;
  return {
    validate: (token, requiredScope = "") => call(create(ValidateTokenRequestSchema, { token, requiredScope })),
    close: () => client.close(),
  };
}

/** Polls `check` until it holds or `timeoutMs` passes; returns the elapsed milliseconds. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 10): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
