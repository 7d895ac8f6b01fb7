import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { Health } from "@tessera/shared/gen/grpc/health/v1/health_pb";
import { ServerReflection } from "@tessera/shared/gen/grpc/reflection/v1/reflection_pb";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { IncidentService } from "@tessera/shared/gen/tessera/v1/incident_pb";
import type { HealthState } from "@tessera/shared/health/health-state";
import { createReflectionResponder } from "@tessera/shared/reflection/reflection-responder";
import type { AdminDeps } from "../domain/admin-deps.js";
import { authInterceptor } from "./auth-interceptor.js";
import { errorInterceptor } from "./error-interceptor.js";
import { healthService } from "./health-routes.js";
import { incidentService } from "./incident-handlers.js";
import { reflectionService } from "./reflection-routes.js";
import { tokenAdminService } from "./token-admin-service.js";

/** Every service token-admin offers. Health and reflection need no credentials. `outer` (metrics, tracing) wrap every admin RPC, first outermost. */
export function adminRoutes(deps: AdminDeps, health: HealthState, outer: readonly Interceptor[] = []): (router: ConnectRouter) => void {
  const reflection = createReflectionResponder([TokenAdminService, IncidentService, Health, ServerReflection]);
  return (router) => {
    // The error interceptor is outermost, so authentication failures are mapped too.
    router.service(TokenAdminService, tokenAdminService(deps), {
      interceptors: [...outer, errorInterceptor(deps.log), authInterceptor(deps)],
    });
    router.service(IncidentService, incidentService(deps), {
      interceptors: [...outer, errorInterceptor(deps.log), authInterceptor(deps)],
    });
    router.service(Health, healthService(health));
    router.service(ServerReflection, reflectionService(reflection));
  };
}
