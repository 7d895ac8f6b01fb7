import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { WebhookService } from "@tessera/shared/gen/tessera/v1/webhooks_pb";

export type AdminApi = Client<typeof TokenAdminService>;
export type WebhookApi = Client<typeof WebhookService>;

/**
 * An admin API client speaking Connect JSON over HTTP/1.1 — what proxies and
 * firewalls pass most readily. The token comes from TESSERA_TOKEN, never from
 * the command line, so it shows in no process list or shell history.
 */
export function adminApi(baseUrl: string, token: string | undefined): AdminApi {
  const bearer: Interceptor = (next) => (req) => {
    if (token) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return createClient(TokenAdminService, createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer] }));
}

/** The webhook API on the same address and credential as the admin API. */
export function webhookApi(baseUrl: string, token: string | undefined): WebhookApi {
  const bearer: Interceptor = (next) => (req) => {
    if (token) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return createClient(WebhookService, createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer] }));
}
