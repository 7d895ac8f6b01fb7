import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { HeaderValueOption_HeaderAppendAction as AppendAction } from "@tessera/shared/gen/envoy/config/core/v3/base_pb";
import type { IdentityHeaderNames } from "./identity-headers.js";

// Field numbers of the Envoy messages (proto/envoy/service/auth/v3/external_auth.proto, config/core/v3/base.proto).
const responseStatus = 1;
const responseOk = 3;
const okHeaders = 2;
const okHeadersToRemove = 5;
const optionHeader = 1;
const optionAppendAction = 3;
const valueKey = 1;
const valueValue = 2;

// Envoy appends by default (append_action APPEND_IF_EXISTS_OR_ADD): a client sending its own
// x-tessera-owner-id would then reach the upstream with two values. Overwrite instead.
const overwrite = AppendAction.OVERWRITE_IF_EXISTS_OR_ADD;

/** Encodes the OK CheckResponse for one allowed request. Reuses one buffer: call it synchronously. */
export type AllowedResponseWriter = (tokenId: string, ownerId: string, organisationId: string, scopes: string) => Uint8Array;

/**
 * Writes an allowed CheckResponse straight to bytes — status OK, identity
 * headers set (overwriting), the credential headers removed — with no message
 * objects in between. The same bytes toBinary would produce for the generated
 * message (the ext_authz tests decode it with the generated schema).
 * An empty scope list is not sent as an empty header, which Envoy drops and
 * would leave the client's own: the scopes header is removed instead.
 */
export function allowedResponseWriter(names: IdentityHeaderNames, headersToRemove: readonly string[]): AllowedResponseWriter {
  const writer = new BinaryWriter();
  const header = (key: string, value: string) => {
    writer.tag(okHeaders, WireType.LengthDelimited).fork();
    writer.tag(optionHeader, WireType.LengthDelimited).fork().tag(valueKey, WireType.LengthDelimited).string(key).tag(valueValue, WireType.LengthDelimited).string(value).join();
    writer.tag(optionAppendAction, WireType.Varint).int32(overwrite);
    writer.join();
  };
  return (tokenId, ownerId, organisationId, scopes) => {
    // status: an empty google.rpc.Status is code 0, OK.
    writer.tag(responseStatus, WireType.LengthDelimited).uint32(0);
    writer.tag(responseOk, WireType.LengthDelimited).fork();
    header(names.tokenId, tokenId);
    header(names.owner, ownerId);
    header(names.organisation, organisationId);
    if (scopes !== "") header(names.scopes, scopes);
    for (const name of headersToRemove) writer.tag(okHeadersToRemove, WireType.LengthDelimited).string(name);
    if (scopes === "") writer.tag(okHeadersToRemove, WireType.LengthDelimited).string(names.scopes);
    writer.join();
    return writer.finish();
  };
}
