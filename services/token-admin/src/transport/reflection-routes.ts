import type { ServiceImpl } from "@connectrpc/connect";
import { ServerReflection } from "@tessera/shared/gen/grpc/reflection/v1/reflection_pb";
import type { ReflectionResponder } from "@tessera/shared/reflection/reflection-responder";

/** grpc.reflection.v1 over Connect (a bidi stream: needs HTTP/2, as gRPC clients use). */
export function reflectionService(respond: ReflectionResponder): ServiceImpl<typeof ServerReflection> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) yield respond(request);
    },
  };
}
