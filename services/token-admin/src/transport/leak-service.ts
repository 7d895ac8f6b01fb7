import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "@tessera/shared/errors/tessera-error";
import type { LeakService } from "@tessera/shared/gen/tessera/v1/leaks_pb";
import type { AdminDeps } from "../domain/admin-deps.js";
import { identifyToken } from "../domain/leaks/identify-token.js";
import { callerOf } from "./auth-interceptor.js";
import { tokenToProto } from "./token-messages.js";

/** A found value is short; anything longer is not a token and is refused before any work. */
const maxTokenValueChars = 512;

/** LeakService: identify a found token. Callers set by the auth interceptor, errors mapped by the error interceptor. */
export function leakService(deps: AdminDeps): ServiceImpl<typeof LeakService> {
  return {
    async identifyToken(req, ctx) {
      const caller = callerOf(ctx);
      const value = req.tokenValue.trim();
      if (value === "" || value.length > maxTokenValueChars) throw invalidArgument("token_value", `must be 1 to ${maxTokenValueChars} characters`);
      const { token, ownerName } = await identifyToken(deps, caller, value);
      return {
        token: tokenToProto(token),
        ownerName,
        lastUsedTime: token.lastUsedAt ? timestampFromDate(token.lastUsedAt) : undefined,
        lastUsedSource: token.lastUsedSource ?? "",
      };
    },
  };
}
