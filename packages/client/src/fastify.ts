import type { FastifyReply, FastifyRequest } from "fastify";
import { checkRequest, scopeFor, type GuardOptions } from "./check-request.js";
import type { TesseraIdentity } from "./validation.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Who the request's token speaks for; set by tesseraHook. */
    tessera?: TesseraIdentity;
  }
}

/**
 * A Fastify hook for `onRequest` or a route's `preHandler`: sets
 * `request.tessera` when the Bearer token is valid (and carries the scope),
 * else answers 401, 403 or, when the validator cannot answer or prove itself
 * current, 503 — the same answers as the validator's forward-auth.
 *
 *   app.decorateRequest("tessera", undefined);
 *   app.addHook("onRequest", tesseraHook({ validator, scope: "orders:read" }));
 */
export function tesseraHook(options: GuardOptions<FastifyRequest>): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const checked = await checkRequest(options.validator, request.raw, scopeFor(options, request));
    if ("refusal" in checked) {
      await reply.code(checked.refusal.status).headers(checked.refusal.headers).send(checked.refusal.body);
      return;
    }
    request.tessera = checked.identity;
  };
}
