import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
  HealthCheckResponseSchema,
  type HealthCheckResponse,
} from "@tessera/shared/gen/grpc/health/v1/health_pb";
import type { HealthState, ServingStatus } from "@tessera/shared/health/health-state";

const toProto = (status: ServingStatus | undefined): HealthCheckResponse =>
  create(HealthCheckResponseSchema, {
    status: status === undefined ? Status.SERVICE_UNKNOWN : status === "serving" ? Status.SERVING : Status.NOT_SERVING,
  });

/** grpc.health.v1 over Connect, read from the process's health state. */
export function healthService(state: HealthState): ServiceImpl<typeof Health> {
  return {
    check(req) {
      const status = state.get(req.service);
      if (status === undefined) throw new ConnectError(`unknown service ${req.service}`, Code.NotFound);
      return toProto(status);
    },
    async *watch(req, ctx) {
      // Sends the current status, then every change, until the client or the server goes away.
      const queue: (ServingStatus | undefined)[] = [state.get(req.service)];
      let wake: (() => void) | undefined;
      const stop = state.watch(req.service, (status) => {
        queue.push(status);
        wake?.();
      });
      const aborted = new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
      try {
        while (!ctx.signal.aborted) {
          while (queue.length > 0) yield toProto(queue.shift());
          await Promise.race([new Promise<void>((resolve) => (wake = resolve)), aborted]);
        }
      } finally {
        stop();
      }
    },
  };
}
