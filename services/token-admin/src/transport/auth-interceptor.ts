import { Code, ConnectError, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import type { AdminDeps } from "../domain/admin-deps.js";
import { authenticate } from "../domain/access/authenticate.js";
import type { Caller } from "../domain/access/caller.js";
import { callerKey, sourceKey } from "./caller-context.js";

/** RPCs that authenticate differently: SignIn with a password, ExchangeToken with any personal token. */
export const unauthenticatedRpcs = new Set<string>(["SignIn"]);
export const anyTokenRpcs = new Set<string>(["ExchangeToken"]);

const bearerPrefix = /^Bearer +/i;
/** The longest credential header we read; tokens are 44 characters. */
const maxAuthorizationLength = 512;

/**
 * The bearer token of a request, or undefined when there is none. Refuses a
 * header we cannot read unambiguously: another scheme, an oversized value, or
 * several Authorization headers (joined with ", " by Node).
 */
export function bearerToken(authorization: string | null): string | undefined {
  if (authorization === null || authorization === "") return undefined;
  if (authorization.length > maxAuthorizationLength || !bearerPrefix.test(authorization) || authorization.includes(",")) {
    throw new ConnectError("authorization must be one \"Bearer <token>\" header", Code.Unauthenticated);
  }
  return authorization.replace(bearerPrefix, "").trim();
}

/** Establishes the caller of every TokenAdminService RPC before its handler runs. */
export function authInterceptor(deps: AdminDeps): Interceptor {
  return (next) => async (req) => {
    if (unauthenticatedRpcs.has(req.method.name)) return next(req);
    const caller = await authenticate(deps, bearerToken(req.header.get("authorization")), {
      requireAdminOption: !anyTokenRpcs.has(req.method.name),
      source: req.contextValues.get(sourceKey),
      rpc: `${req.service.typeName}/${req.method.name}`,
    });
    req.contextValues.set(callerKey, caller);
    return next(req);
  };
}

/** The caller the interceptor established; a handler reached without one is a wiring bug. */
export function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(callerKey);
  if (!caller) throw new Error("no caller in context: auth interceptor not installed");
  return caller;
}
