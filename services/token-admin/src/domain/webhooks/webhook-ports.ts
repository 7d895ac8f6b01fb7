/** Keeps webhook signing secrets sealed at rest. */
export interface SecretBox {
  seal(secret: string): Buffer;
  open(sealed: Uint8Array): string;
}

/** What one attempt to deliver came to. */
export type SendOutcome =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly status?: number | undefined; readonly error: string };

/** Posts a signed webhook, bounded in time and in what it reads back; never follows a redirect. */
export interface WebhookSender {
  send(url: string, headers: Readonly<Record<string, string>>, body: string): Promise<SendOutcome>;
}

/** Checks an endpoint URL as it is registered: throws invalid_argument naming why it is refused. */
export type EndpointUrlCheck = (url: string) => Promise<void>;

/** Signs a payload by the Standard Webhooks scheme with each secret given: the webhook-signature header. */
export type WebhookSigner = (secrets: readonly string[], id: string, at: Date, body: string) => string;
