import type { ServiceImpl } from "@connectrpc/connect";
import type { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import type { AdminDeps } from "../domain/admin-deps.js";
import { identityHandlers } from "./identity-handlers.js";
import { tokenHandlers } from "./token-handlers.js";

/** Every TokenAdminService RPC. Errors are mapped by the error interceptor, callers set by the auth interceptor. */
export function tokenAdminService(deps: AdminDeps): ServiceImpl<typeof TokenAdminService> {
  return { ...tokenHandlers(deps), ...identityHandlers(deps) };
}
