import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { WebhookService } from "@tessera/shared/gen/tessera/v1/webhooks_pb";

export type WebhookClient = Client<typeof WebhookService>;

/** A WebhookService client over gRPC as `token`. */
export function webhookClient(port: number, token: string): WebhookClient {
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return createClient(WebhookService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}`, interceptors: [bearer] }));
}
