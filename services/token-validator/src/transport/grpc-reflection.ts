import type { handleBidiStreamingCall, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { ServerReflectionRequest, ServerReflectionResponse } from "@tessera/shared/gen/grpc/reflection/v1/reflection_pb";
import type { ReflectionResponder } from "@tessera/shared/reflection/reflection-responder";

/** grpc.reflection.v1 for grpc-js, answered by the shared responder. */
export function grpcReflectionService(respond: ReflectionResponder): UntypedServiceImplementation {
  const serverReflectionInfo: handleBidiStreamingCall<ServerReflectionRequest, ServerReflectionResponse> = (call) => {
    call.on("data", (request: ServerReflectionRequest) => call.write(respond(request)));
    call.on("end", () => call.end());
  };
  return { serverReflectionInfo };
}
