// The gRPC baseline: grpc-js with the same protobuf-es codec as the validator,
// answering every ValidateToken with a pre-built VALID response. Whatever the
// validator costs beyond this is the cost of deciding.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { Freshness, TokenValidatorService, ValidateTokenResponseSchema, ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { grpcServiceDefinition } from "@tessera/shared/grpc/grpc-definition";

const answer = create(ValidateTokenResponseSchema, {
  valid: true,
  code: ValidationCode.VALID,
  tokenId: "6f1c2a9e-1d3b-4c55-9a8e-2f6b7c8d9e0f",
  ownerId: "0b7e4f21-5a6c-4d3e-8f9a-1b2c3d4e5f60",
  organisationId: "9c8b7a6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
  scopes: ["orders:read"],
  expireTime: timestampFromMs(Date.now() + 86_400_000),
  seq: 42n,
  freshness: Freshness.CURRENT,
  stalenessMs: 120,
  level: TokenLevel.USER,
  kind: TokenKind.PERSONAL,
});

const server = new Server({ "grpc.max_receive_message_length": 256 * 1024 });
server.addService(grpcServiceDefinition(TokenValidatorService), {
  validateToken: (_call: unknown, callback: (err: null, res: typeof answer) => void) => callback(null, answer),
});
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${JSON.stringify({ ready: true, grpcPort: port })}\n`);
});
