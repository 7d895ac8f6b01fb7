import { Webhook } from "standardwebhooks";
import type { WebhookSigner } from "../domain/webhooks/webhook-ports.js";

/**
 * Standard Webhooks signatures (the `standardwebhooks` package): one "v1,…" per
 * secret, space-separated, so a receiver holding either the old or the new
 * secret verifies during a rotation's overlap.
 */
export const signStandardWebhook: WebhookSigner = (secrets, id, at, body) =>
  secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(" ");
