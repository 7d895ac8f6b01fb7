import { promisify } from "node:util";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { credentials, makeGenericClientConstructor, type Client, type ServiceError } from "@grpc/grpc-js";
import { Authorization, CheckRequestSchema, type CheckRequest, type CheckResponse } from "@tessera/shared/gen/envoy/service/auth/v3/external_auth_pb";
import { grpcServiceDefinition } from "@tessera/shared/grpc/grpc-definition";

export interface ExtAuthzClient {
  check(request: MessageInitShape<typeof CheckRequestSchema> | CheckRequest): Promise<CheckResponse>;
  close(): void;
}

// Built from Envoy's message definitions only (proto/envoy/…): what Envoy itself sends and reads.
const AuthorizationStub = makeGenericClientConstructor(grpcServiceDefinition(Authorization), "Authorization");

/** A gRPC client of envoy.service.auth.v3.Authorization/Check, as Envoy's ext_authz filter calls it. */
export function extAuthzClient(port: number): ExtAuthzClient {
  const client = new AuthorizationStub(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as Client & {
    check: (req: CheckRequest, callback: (err: ServiceError | null, res: CheckResponse) => void) => void;
  };
  const call = promisify(client.check.bind(client)) as (req: CheckRequest) => Promise<CheckResponse>;
  return {
    check: (request) => call(create(CheckRequestSchema, request)),
    close: () => client.close(),
  };
}

/** A CheckRequest as Envoy's HTTP filter builds it for one client request. */
export function httpCheck(method: string, path: string, headers: Record<string, string>, contextExtensions: Record<string, string> = {}): MessageInitShape<typeof CheckRequestSchema> {
  return {
    attributes: {
      request: { http: { id: "17108429870437712383", method, path, host: "shop.example", scheme: "http", protocol: "HTTP/1.1", headers: { ":authority": "shop.example", ":method": method, ":path": path, ...headers } } },
      contextExtensions,
    },
  };
}
