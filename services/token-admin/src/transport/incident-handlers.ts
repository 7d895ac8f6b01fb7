import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { invalidArgument } from "@tessera/shared/errors/tessera-error";
import type { IncidentService, RevokeIssuedBeforeRequest } from "@tessera/shared/gen/tessera/v1/incident_pb";
import type { AdminDeps } from "../domain/admin-deps.js";
import { revokeIssuedBefore, type RevokeIssuedBeforeInput } from "../domain/incidents/revoke-issued-before.js";
import { acknowledgementToProto } from "./acknowledgement-messages.js";
import { callerOf } from "./auth-interceptor.js";
import { parseId, parseOptionalText, parseTimestamp, parseWait } from "./parse.js";

const maxReasonLength = 500;

/** The request as the use case takes it; exactly one target, bounded reason. */
export function parseRevokeIssuedBefore(req: RevokeIssuedBeforeRequest): RevokeIssuedBeforeInput {
  const { target } = req;
  if (target.case === undefined) throw invalidArgument("target", "name one of principal_id, group_id or organisation_id");
  const kind = target.case === "principalId" ? "principal" : target.case === "groupId" ? "group" : "organisation";
  return {
    target: { kind, id: parseId(target.case === "principalId" ? "principal_id" : target.case === "groupId" ? "group_id" : "organisation_id", target.value) },
    issuedBefore: parseTimestamp("issued_before", req.issuedBefore),
    reason: parseOptionalText("reason", req.reason, maxReasonLength),
  };
}

/** IncidentService: each handler parses, calls one use case, maps the result. */
export function incidentService(deps: AdminDeps): ServiceImpl<typeof IncidentService> {
  return {
    async revokeIssuedBefore(req, ctx) {
      const caller = callerOf(ctx);
      const done = await revokeIssuedBefore(deps, caller, parseRevokeIssuedBefore(req), parseWait("await_validators", req.awaitValidators));
      return { tokensNotBefore: timestampFromDate(done.tokensNotBefore), seq: done.seq ?? 0n, acknowledgement: acknowledgementToProto(done.acknowledgement) };
    },
  };
}
