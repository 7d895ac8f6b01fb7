import { invalidArgument } from "@tessera/shared/errors/tessera-error";
import type { EndpointUrlCheck } from "../domain/webhooks/webhook-ports.js";
import { isPublicAddress, resolveAll } from "./address-policy.js";

const maxUrlLength = 2048;

/**
 * An endpoint URL is http(s), carries no credentials, and resolves only to
 * addresses webhooks may reach (global unicast unless `allowPrivate`). Checked
 * again on every delivery, on the addresses actually connected to.
 */
export function createEndpointUrlCheck(allowPrivate: boolean): EndpointUrlCheck {
  return async (value) => {
    if (value.length === 0 || value.length > maxUrlLength) throw invalidArgument("url", `must be 1..${maxUrlLength} characters`);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw invalidArgument("url", "must be an absolute http:// or https:// URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw invalidArgument("url", "must be an http:// or https:// URL");
    if (url.username || url.password) throw invalidArgument("url", "must not carry credentials: verify the webhook-signature instead");
    if (url.hash) throw invalidArgument("url", "must not have a #fragment");
    let addresses: string[];
    try {
      addresses = await resolveAll(url.hostname);
    } catch {
      throw invalidArgument("url", `host ${url.hostname} does not resolve`);
    }
    if (!allowPrivate && (addresses.length === 0 || !addresses.every(isPublicAddress))) {
      throw invalidArgument("url", `host ${url.hostname} resolves to a loopback, link-local, private or reserved address; the operator can allow those with TESSERA_WEBHOOK_ALLOW_PRIVATE=true`);
    }
  };
}
