import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { AuditRow } from "@tessera/shared/db/schema";
import type { ListAuditEventsRequest } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { AuditEventSchema, type AuditEvent } from "@tessera/shared/gen/tessera/v1/audit_pb";
import type { ListAuditEventsInput } from "../domain/audit/list-audit-events.js";
import type { NamedAuditEvent } from "../domain/audit/list-named-audit-events.js";
import { parseOptionalId, parseOptionalText, parsePageSize, parseTimestamp } from "./parse.js";

export function auditEventToProto(row: AuditRow, names?: Omit<NamedAuditEvent, "row">): AuditEvent {
  // jsonb arrives parsed on pg and on PGlite; anything else is shown as empty.
  const details = typeof row.details === "object" && row.details !== null ? (row.details as JsonObject) : {};
  return create(AuditEventSchema, {
    id: String(row.id),
    time: timestampFromDate(row.at),
    action: row.action,
    actorId: row.actor_id ?? "",
    actorTokenId: row.actor_token_id ?? "",
    organisationId: row.organisation_id ?? "",
    tokenId: row.token_id ?? "",
    principalId: row.principal_id ?? "",
    source: row.source ?? "",
    details,
    actorName: names?.actorName ?? "",
    principalName: names?.principalName ?? "",
    tokenName: names?.tokenName ?? "",
  });
}

export function parseListAuditEvents(req: ListAuditEventsRequest): ListAuditEventsInput {
  return {
    pageSize: parsePageSize(req.pageSize),
    pageToken: parseOptionalText("page_token", req.pageToken, 200) ?? "",
    actorId: parseOptionalId("actor_id", req.actorId),
    tokenId: parseOptionalId("token_id", req.tokenId),
    organisationId: parseOptionalId("organisation_id", req.organisationId),
    principalId: parseOptionalId("principal_id", req.principalId),
    action: parseOptionalText("action", req.action, 64),
    from: parseTimestamp("start_time", req.startTime),
    until: parseTimestamp("end_time", req.endTime),
  };
}
