import { create, createRegistry, toBinary, type DescFile, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import {
  ServerReflectionResponseSchema,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
} from "../gen/grpc/reflection/v1/reflection_pb.js";

/** Answers one server-reflection request. */
export type ReflectionResponder = (request: ServerReflectionRequest) => ServerReflectionResponse;

type ResponseInit = MessageInitShape<typeof ServerReflectionResponseSchema>["messageResponse"];

const notFound = 5;
const unimplemented = 12;

/** A file and everything it imports, each once, dependencies first. */
function withDependencies(files: readonly DescFile[]): DescFile[] {
  const seen = new Map<string, DescFile>();
  const visit = (file: DescFile) => {
    if (seen.has(file.name)) return;
    for (const dep of file.dependencies) visit(dep);
    seen.set(file.name, file);
  };
  files.forEach(visit);
  return [...seen.values()];
}

/**
 * gRPC server reflection over the generated descriptors of the services a
 * server offers, so `buf curl` and grpcurl need no schema file. The same
 * responder serves the connect-node and the grpc-js servers.
 */
export function createReflectionResponder(services: readonly DescService[]): ReflectionResponder {
  const files = withDependencies(services.map((s) => s.file));
  const registry = createRegistry(...files);
  const byName = new Map(files.map((f) => [`${f.name}.proto`, f]));
  const serialized = new Map(files.map((f) => [f, toBinary(FileDescriptorProtoSchema, f.proto)]));
  const serviceNames = services.map((s) => ({ name: s.typeName }));

  const fileResponse = (file: DescFile): ResponseInit => ({
    case: "fileDescriptorResponse",
    value: { fileDescriptorProto: withDependencies([file]).map((f) => serialized.get(f)!) },
  });
  const error = (errorCode: number, errorMessage: string): ResponseInit => ({
    case: "errorResponse",
    value: { errorCode, errorMessage },
  });

  const fileContainingSymbol = (symbol: string) => {
    // A method is named <service>.<method>; look up its service.
    const desc = registry.get(symbol) ?? registry.get(symbol.slice(0, Math.max(0, symbol.lastIndexOf("."))));
    return desc ? fileResponse(desc.file) : error(notFound, `symbol not found: ${symbol}`);
  };

  return (request) => {
    const message = request.messageRequest;
    let messageResponse: ResponseInit;
    switch (message.case) {
      case "listServices":
        messageResponse = { case: "listServicesResponse", value: { service: serviceNames } };
        break;
      case "fileByFilename": {
        const file = byName.get(message.value);
        messageResponse = file ? fileResponse(file) : error(notFound, `file not found: ${message.value}`);
        break;
      }
      case "fileContainingSymbol":
        messageResponse = fileContainingSymbol(message.value);
        break;
      default:
        messageResponse = error(unimplemented, "not supported");
    }
    return create(ServerReflectionResponseSchema, { validHost: request.host, originalRequest: request, messageResponse });
  };
}
