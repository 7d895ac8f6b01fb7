import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { WebhookService } from "@tessera/shared/gen/tessera/v1/webhooks_pb";

export type AdminClient = Client<typeof TokenAdminService>;
export type WebhookClient = Client<typeof WebhookService>;

const transportFor = (interceptors: Interceptor[]) =>
  createConnectTransport({ baseUrl: location.origin, useBinaryFormat: true, interceptors });

/**
 * The console's TokenAdminService client. Every call presents the session's credential, read
 * at call time from `credential`; an Unauthenticated answer to a call that
 * presented one ends the session (`onSessionEnded`), whatever screen made it.
 */
export function createAdminClient(credential: () => string | undefined, onSessionEnded: () => void): AdminClient {
  return createClient(TokenAdminService, sessionTransport(credential, onSessionEnded));
}

/** WebhookService on the same session, with the same ending on Unauthenticated. */
export function createWebhookClient(credential: () => string | undefined, onSessionEnded: () => void): WebhookClient {
  return createClient(WebhookService, sessionTransport(credential, onSessionEnded));
}

function sessionTransport(credential: () => string | undefined, onSessionEnded: () => void) {
  const bearer: Interceptor = (next) => async (req) => {
    const token = credential();
    if (token) req.header.set("authorization", `Bearer ${token}`);
    try {
      return await next(req);
    } catch (err) {
      if (token && ConnectError.from(err).code === Code.Unauthenticated) onSessionEnded();
      throw err;
    }
  };
  return transportFor([bearer]);
}

/** A client presenting `token` for one purpose (ExchangeToken). The value lives only in this closure. */
export function clientPresenting(token: string): AdminClient {
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return createClient(TokenAdminService, transportFor([bearer]));
}

/** What the server said, for a person: its message (the server never puts a secret in one). */
export function errorMessage(err: unknown): string {
  const error = ConnectError.from(err);
  if (error.code === Code.Unavailable || error.code === Code.Unknown) return "Tessera cannot be reached. Try again in a moment.";
  return error.rawMessage;
}
