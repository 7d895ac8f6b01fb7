import { fromBinary, toBinary, type DescMessage, type DescService, type MessageShape } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

type AnyMethod = MethodDefinition<MessageShape<DescMessage>, MessageShape<DescMessage>>;

/**
 * A grpc-js service definition from a protobuf-es descriptor: the same paths
 * and wire format as any gRPC peer, with protobuf-es doing the (de)serialising.
 * Servers pass it to addService; clients to makeGenericClientConstructor.
 */
export function grpcServiceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, AnyMethod> = {};
  for (const method of service.methods) {
    const input = method.input;
    const output = method.output;
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.localName,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: (message) => Buffer.from(toBinary(input, message)),
      requestDeserialize: (bytes) => fromBinary(input, bytes),
      responseSerialize: (message) => Buffer.from(toBinary(output, message)),
      responseDeserialize: (bytes) => fromBinary(output, bytes),
    };
  }
  return definition as ServiceDefinition;
}
