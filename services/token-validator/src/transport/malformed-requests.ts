import { status, type ServiceDefinition, type StatusObject, type UntypedHandleCall, type UntypedServiceImplementation } from "@grpc/grpc-js";

// grpc-js answers INTERNAL when a request decoder throws, which reads as a fault of the server.
// Bytes that are not the request message are the caller's fault: decoders are wrapped to return
// this marker instead, and handlers to answer it with INVALID_ARGUMENT before the implementation
// sees it.
const malformed = Symbol("malformed request");

const refusal = (path: string): Partial<StatusObject> => ({ code: status.INVALID_ARGUMENT, details: `request is not a valid ${path.slice(1).replace("/", ".")} message` });

type Call = Parameters<UntypedHandleCall>[0] & { request?: unknown; push?: (chunk: unknown) => boolean; emit(event: string, value: unknown): boolean };

/**
 * The definition and implementation of one service, with malformed requests
 * answered INVALID_ARGUMENT: unary and server-streaming calls before the
 * handler runs, streamed requests as the message arrives (ending the call).
 */
export function refuseMalformedRequests(
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
): { definition: ServiceDefinition; implementation: UntypedServiceImplementation } {
  const guardedDefinition: Record<string, ServiceDefinition[string]> = {};
  const guardedImplementation: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const decode = method.requestDeserialize;
    guardedDefinition[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return decode(bytes);
        } catch {
          return malformed;
        }
      },
    };
    const handler = implementation[name];
    if (handler === undefined) continue;
    const refused = refusal(method.path);
    guardedImplementation[name] = (method.requestStream
      ? (call: Call) => {
          const push = call.push!.bind(call);
          call.push = (chunk: unknown) => (chunk === malformed ? call.emit("error", refused) : push(chunk));
          (handler as (call: Call) => void)(call);
        }
      : method.responseStream
        ? (call: Call) => (call.request === malformed ? call.emit("error", refused) : (handler as (call: Call) => void)(call))
        : (call: Call, callback: (error: Partial<StatusObject>) => void) =>
            call.request === malformed ? callback(refused) : (handler as (call: Call, callback: unknown) => void)(call, callback)) as UntypedHandleCall;
  }
  return { definition: guardedDefinition as ServiceDefinition, implementation: guardedImplementation };
}
