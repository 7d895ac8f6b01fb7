import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import * as http from "node:http";
import * as https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import type { SendOutcome, WebhookSender } from "../domain/webhooks/webhook-ports.js";
import { isPublicAddress } from "./address-policy.js";

export interface HttpSenderOptions {
  /** The whole attempt, connect to answer: past it the attempt fails. */
  readonly timeoutMs: number;
  /** Read at most this much of an answer; its body is never needed. */
  readonly maxResponseBytes: number;
  /** Reach loopback, private and link-local addresses too (the operator's choice; tests). */
  readonly allowPrivate: boolean;
}

const refused = (host: string) => Object.assign(new Error(`${host} resolves to no address webhooks may reach`), { code: "EADDRNOTALLOWED" });

/**
 * Resolves as Node would, then keeps only addresses a webhook may reach: the
 * check happens on the very addresses the socket connects to, so a name that
 * resolves differently between registration and delivery (DNS rebinding) gains nothing.
 */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, found) => {
      if (err) return callback(err, "", 4);
      const allowed = (found as unknown as LookupAddress[]).filter((entry) => allowPrivate || isPublicAddress(entry.address));
      if (allowed.length === 0) return callback(refused(hostname), "", 4);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

function outcomeOf(status: number): SendOutcome {
  if (status >= 200 && status < 300) return { ok: true, status };
  if (status >= 300 && status < 400) return { ok: false, status, error: `HTTP ${status}: redirects are not followed` };
  return { ok: false, status, error: `HTTP ${status}` };
}

/** POSTs over Node's http/https with no connection reuse, no redirects, a deadline and a cap on what is read. */
export function createHttpWebhookSender(options: HttpSenderOptions): WebhookSender {
  const lookup = guardedLookup(options.allowPrivate);
  return {
    send(url, headers, body) {
      return new Promise<SendOutcome>((resolve) => {
        let settled = false;
        let deadline: NodeJS.Timeout | undefined;
        const settle = (outcome: SendOutcome) => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          resolve(outcome);
        };
        const target = new URL(url);
        const host = target.hostname.replace(/^\[|\]$/g, "");
        // A literal address never goes through lookup: checked here instead.
        if (isIP(host) && !options.allowPrivate && !isPublicAddress(host)) return settle({ ok: false, error: `${host} is not an address webhooks may reach` });
        const client = target.protocol === "https:" ? https : http;
        const request = client.request(target, {
          method: "POST",
          agent: false,
          lookup,
          headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body), "user-agent": "tessera-webhooks/1" },
        });
        deadline = setTimeout(() => {
          request.destroy(new Error(`no answer within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
        request.on("response", (response: http.IncomingMessage) => {
          const outcome = outcomeOf(response.statusCode ?? 0);
          let read = 0;
          response.on("data", (chunk: Buffer) => {
            read += chunk.length;
            if (read > options.maxResponseBytes) response.destroy();
          });
          response.on("error", () => {});
          response.on("close", () => {
            request.destroy();
            settle(outcome);
          });
        });
        request.on("error", (err: NodeJS.ErrnoException) => settle({ ok: false, error: err.code === "EADDRNOTALLOWED" ? err.message : `${err.code ?? "error"}: ${err.message}`.slice(0, 300) }));
        request.end(body);
      });
    },
  };
}
