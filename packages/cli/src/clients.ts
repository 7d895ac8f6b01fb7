import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { IncidentService } from "@tessera/shared/gen/tessera/v1/incident_pb";
import { LeakService } from "@tessera/shared/gen/tessera/v1/leaks_pb";
import { WebhookService } from "@tessera/shared/gen/tessera/v1/webhooks_pb";

export type AdminApi = Client<typeof TokenAdminService>;
export type IncidentApi = Client<typeof IncidentService>;
export type LeakApi = Client<typeof LeakService>;
export type WebhookApi = Client<typeof WebhookService>;

/**
 * An admin API client speaking Connect JSON over HTTP/1.1 — what proxies and
 * firewalls pass most readily. The token comes from TESSERA_TOKEN, never from
 * the command line, so it shows in no process list or shell history.
 */
export function adminApi(baseUrl: string, token: string | undefined): AdminApi {
  return createClient(TokenAdminService, adminTransport(baseUrl, token));
}

/** The leak-response API on the same port, with the same credential. */
export function leakApi(baseUrl: string, token: string | undefined): LeakApi {
  return createClient(LeakService, adminTransport(baseUrl, token));
}

/** The incident-response API on the same port, authenticated the same way. */
export function incidentApi(baseUrl: string, token: string | undefined): IncidentApi {
  return createClient(IncidentService, adminTransport(baseUrl, token));
}

function adminTransport(baseUrl: string, token: string | undefined) {
  const bearer: Interceptor = (next) => (req) => {
    if (token) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer] });
}

/** The webhook API on the same port, with the same credential. */
export function webhookApi(baseUrl: string, token: string | undefined): WebhookApi {
  return createClient(WebhookService, adminTransport(baseUrl, token));
}
