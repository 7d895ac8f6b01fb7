import type { ServiceImpl } from "@connectrpc/connect";
import type { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import type { AdminDeps } from "../domain/admin-deps.js";
import { createToken } from "../domain/create-token.js";
import { getToken } from "../domain/get-token.js";
import { listTokens } from "../domain/list-tokens.js";
import { revokeToken } from "../domain/revoke-token.js";
import { callerOf } from "./auth-interceptor.js";
import { parseId, parseWait } from "./parse.js";
import { parseCreateToken, parseListTokens, tokenToProto } from "./token-messages.js";

/** Each handler parses, calls one use case, maps the result. Errors are the interceptor's. */
export function tokenAdminService(deps: AdminDeps): ServiceImpl<typeof TokenAdminService> {
  return {
    async createToken(req, ctx) {
      const created = await createToken(deps, callerOf(ctx), parseCreateToken(req));
      return { tokenValue: created.value, token: tokenToProto(created.token) };
    },
    async getToken(req, ctx) {
      return { token: tokenToProto(await getToken(deps, callerOf(ctx), parseId("token_id", req.tokenId))) };
    },
    async listTokens(req, ctx) {
      const page = await listTokens(deps, callerOf(ctx), parseListTokens(req));
      return { tokens: page.tokens.map(tokenToProto), nextPageToken: page.nextPageToken };
    },
    async revokeToken(req, ctx) {
      const revoked = await revokeToken(deps, callerOf(ctx), parseId("token_id", req.tokenId), parseWait("await_validators", req.awaitValidators));
      return { token: tokenToProto(revoked.token), seq: revoked.seq ?? 0n, acknowledgement: revoked.acknowledgement };
    },
  };
}
