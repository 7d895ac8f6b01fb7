import { create } from "@bufbuild/protobuf";
import { status, type handleServerStreamingCall, type handleUnaryCall, type UntypedServiceImplementation } from "@grpc/grpc-js";
import {
  HealthCheckResponse_ServingStatus as Status,
  HealthCheckResponseSchema,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from "@tessera/shared/gen/grpc/health/v1/health_pb";
import type { HealthState, ServingStatus } from "@tessera/shared/health/health-state";

const toProto = (serving: ServingStatus | undefined): HealthCheckResponse =>
  create(HealthCheckResponseSchema, {
    status: serving === undefined ? Status.SERVICE_UNKNOWN : serving === "serving" ? Status.SERVING : Status.NOT_SERVING,
  });

/** grpc.health.v1 for grpc-js, read from the process's health state. */
export function grpcHealthService(state: HealthState): UntypedServiceImplementation {
  const check: handleUnaryCall<HealthCheckRequest, HealthCheckResponse> = (call, callback) => {
    const serving = state.get(call.request.service);
    if (serving === undefined) callback({ code: status.NOT_FOUND, details: `unknown service ${call.request.service}` });
    else callback(null, toProto(serving));
  };
  const watch: handleServerStreamingCall<HealthCheckRequest, HealthCheckResponse> = (call) => {
    call.write(toProto(state.get(call.request.service)));
    const stop = state.watch(call.request.service, (serving) => call.write(toProto(serving)));
    call.on("cancelled", stop);
    call.on("close", stop);
  };
  return { check, watch };
}
