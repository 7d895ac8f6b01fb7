import type { IncomingMessage, ServerResponse } from "node:http";
import { checkRequest, scopeFor, type GuardOptions } from "./check-request.js";
import type { TesseraIdentity } from "./validation.js";

declare global {
  // Express's Request, augmented as its own typings invite: `req.tessera` in every handler after the middleware.
  namespace Express {
    interface Request {
      /** Who the request's token speaks for; set by requireToken. */
      tessera?: TesseraIdentity;
    }
  }
}

type Request = IncomingMessage & { tessera?: TesseraIdentity };

/**
 * Express middleware: lets a request through with `req.tessera` set when its
 * Bearer token is valid (and carries the scope), else answers 401, 403 or,
 * when the validator cannot answer or prove itself current, 503 — the same
 * answers as the validator's forward-auth. The token never reaches a handler.
 */
export function requireToken(options: GuardOptions<Request>): (req: Request, res: ServerResponse, next: (err?: unknown) => void) => void {
  return (req, res, next) => {
    checkRequest(options.validator, req, scopeFor(options, req)).then((checked) => {
      if ("refusal" in checked) {
        res.writeHead(checked.refusal.status, checked.refusal.headers).end(checked.refusal.body);
        return;
      }
      req.tessera = checked.identity;
      next();
    }, next);
  };
}
