import { acknowledgementToProto } from "./acknowledgement-messages.js";
import type { ServiceImpl } from "@connectrpc/connect";
import type { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import type { AdminDeps } from "../domain/admin-deps.js";
import { createToken } from "../domain/tokens/create-token.js";
import { deleteTokens } from "../domain/tokens/delete-tokens.js";
import { disableToken, disableTokens, enableToken } from "../domain/tokens/disable-token.js";
import { exchangeToken } from "../domain/tokens/exchange-token.js";
import { getToken } from "../domain/tokens/get-token.js";
import { listNamedTokens } from "../domain/tokens/list-named-tokens.js";
import { regenerateToken } from "../domain/tokens/regenerate-token.js";
import { revokeToken } from "../domain/tokens/revoke-token.js";
import { callerOf } from "./auth-interceptor.js";
import { invalidArgument } from "@tessera/shared/errors/tessera-error";
import { parseSeconds } from "./identity-messages.js";
import { parseId, parseWait } from "./parse.js";
import { parseCreateToken, parseExchange, parseListTokens, parseTokenIds, tokenToProto } from "./token-messages.js";

/** The longest quiet period a regenerate may ask for: 30 days. */
const maxQuietSeconds = 30 * 86_400;

type TokenHandlers = Pick<
  ServiceImpl<typeof TokenAdminService>,
  "createToken" | "getToken" | "listTokens" | "revokeToken" | "disableToken" | "disableTokens" | "enableToken" | "deleteTokens" | "regenerateToken" | "exchangeToken"
>;

/** The token lifecycle: each handler parses, calls one use case, maps the result. */
export function tokenHandlers(deps: AdminDeps): TokenHandlers {
  return {
    async createToken(req, ctx) {
      const created = await createToken(deps, callerOf(ctx), parseCreateToken(req));
      return { tokenValue: created.value, token: tokenToProto(created.token) };
    },
    async getToken(req, ctx) {
      return { token: tokenToProto(await getToken(deps, callerOf(ctx), parseId("token_id", req.tokenId))) };
    },
    async listTokens(req, ctx) {
      const page = await listNamedTokens(deps, callerOf(ctx), parseListTokens(req));
      return { tokens: page.items.map(tokenToProto), nextPageToken: page.nextPageToken, principalNames: Object.fromEntries(page.principalNames) };
    },
    async revokeToken(req, ctx) {
      const done = await revokeToken(deps, callerOf(ctx), parseId("token_id", req.tokenId), parseWait("await_validators", req.awaitValidators));
      return { token: tokenToProto(done.token), seq: done.seq ?? 0n, acknowledgement: acknowledgementToProto(done.acknowledgement) };
    },
    async disableToken(req, ctx) {
      const done = await disableToken(deps, callerOf(ctx), parseId("token_id", req.tokenId), parseWait("await_validators", req.awaitValidators));
      return { token: tokenToProto(done.token), seq: done.seq ?? 0n, acknowledgement: acknowledgementToProto(done.acknowledgement) };
    },
    async disableTokens(req, ctx) {
      const done = await disableTokens(deps, callerOf(ctx), parseTokenIds(req), parseWait("await_validators", req.awaitValidators));
      return { tokens: done.tokens.map(tokenToProto), seq: done.seq ?? 0n, acknowledgement: acknowledgementToProto(done.acknowledgement) };
    },
    async enableToken(req, ctx) {
      const done = await enableToken(deps, callerOf(ctx), parseId("token_id", req.tokenId));
      return { token: tokenToProto(done.token), seq: done.seq ?? 0n };
    },
    async deleteTokens(req, ctx) {
      const done = await deleteTokens(deps, callerOf(ctx), parseTokenIds(req), parseWait("await_validators", req.awaitValidators));
      return { deletedCount: done.deletedCount, seq: done.seq ?? 0n, acknowledgement: acknowledgementToProto(done.acknowledgement) };
    },
    async regenerateToken(req, ctx) {
      const grace = req.gracePeriod ? parseSeconds("grace_period", req.gracePeriod) : 0;
      const quiet = req.quietPeriod ? parseSeconds("quiet_period", req.quietPeriod) : undefined;
      if (quiet !== undefined && quiet > maxQuietSeconds) throw invalidArgument("quiet_period", `must be at most ${maxQuietSeconds} s`);
      const done = await regenerateToken(deps, callerOf(ctx), parseId("token_id", req.tokenId), grace, quiet);
      return { tokenValue: done.value, token: tokenToProto(done.token) };
    },
    async exchangeToken(req, ctx) {
      const done = await exchangeToken(deps, callerOf(ctx), parseExchange(req));
      return { tokenValue: done.value, token: tokenToProto(done.token) };
    },
  };
}
