import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { Health } from "@tessera/shared/gen/grpc/health/v1/health_pb";
import { ServerReflection } from "@tessera/shared/gen/grpc/reflection/v1/reflection_pb";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { LeakService } from "@tessera/shared/gen/tessera/v1/leaks_pb";
import { WebhookService } from "@tessera/shared/gen/tessera/v1/webhooks_pb";
import { IncidentService } from "@tessera/shared/gen/tessera/v1/incident_pb";
import type { HealthState } from "@tessera/shared/health/health-state";
import { createReflectionResponder } from "@tessera/shared/reflection/reflection-responder";
import type { AdminDeps } from "../domain/admin-deps.js";
import type { WebhookDeps } from "../domain/webhooks/webhook-endpoint.js";
import { authInterceptor } from "./auth-interceptor.js";
import { errorInterceptor } from "./error-interceptor.js";
import { healthService } from "./health-routes.js";
import { incidentService } from "./incident-handlers.js";
import { leakService } from "./leak-service.js";
import { reflectionService } from "./reflection-routes.js";
import { tokenAdminService } from "./token-admin-service.js";
import { webhookService } from "./webhook-handlers.js";

/** Every service token-admin offers. Health and reflection need no credentials. `outer` (metrics, tracing) wrap every admin RPC, first outermost. */
export function adminRoutes(deps: AdminDeps, health: HealthState, outer: readonly Interceptor[] = [], webhooks?: WebhookDeps): (router: ConnectRouter) => void {
  const reflection = createReflectionResponder([TokenAdminService, IncidentService, LeakService, ...(webhooks ? [WebhookService] : []), Health, ServerReflection]);
  return (router) => {
    // The error interceptor is outermost, so authentication failures are mapped too.
    const interceptors = [...outer, errorInterceptor(deps.log), authInterceptor(deps)];
    router.service(TokenAdminService, tokenAdminService(deps), { interceptors });
    // Authenticated and authorised exactly as TokenAdminService.
    router.service(IncidentService, incidentService(deps), { interceptors });
    router.service(LeakService, leakService(deps), { interceptors });
    if (webhooks) router.service(WebhookService, webhookService(webhooks), { interceptors });
    router.service(Health, healthService(health));
    router.service(ServerReflection, reflectionService(reflection));
  };
}
