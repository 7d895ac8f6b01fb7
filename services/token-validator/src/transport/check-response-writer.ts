import { HeaderValueOption_HeaderAppendAction as AppendAction } from "@tessera/shared/gen/envoy/config/core/v3/base_pb";
import type { IdentityHeaderNames } from "./identity-headers.js";
import { ProtobufBytes } from "./protobuf-bytes.js";

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
export type AllowedResponseWriter = (tokenId: string, ownerId: string, organisationId: string, scopes: string) => Buffer;

/**
 * Writes an allowed CheckResponse straight to bytes — status OK, identity
 * headers set (overwriting), the credential headers removed — with no message
 * objects in between: nested lengths are worked out first, then each byte is
 * written once, the parts that never change copied from their encoding. The same bytes toBinary writes for the generated message
 * (check-response-writer.test.ts compares them).
 * An empty scope list is not sent as an empty header, which Envoy drops and
 * would leave the client's own: the scopes header is removed instead.
 */
export function allowedResponseWriter(names: IdentityHeaderNames, headersToRemove: readonly string[]): AllowedResponseWriter {
  const bytes = new ProtobufBytes();
  // What never changes is encoded once: each header's key field, the append action, the removals.
  const encoded = (write: (into: ProtobufBytes) => void) => {
    const into = new ProtobufBytes();
    write(into);
    return into.take();
  };
  const keyField = (key: string) => encoded((into) => into.stringField(valueKey, key));
  const keys = { tokenId: keyField(names.tokenId), owner: keyField(names.owner), organisation: keyField(names.organisation), scopes: keyField(names.scopes) };
  const appendAction = encoded((into) => into.varintField(optionAppendAction, overwrite));
  const removals = encoded((into) => headersToRemove.forEach((name) => into.stringField(okHeadersToRemove, name)));
  const removalsWithScopes = encoded((into) => [...headersToRemove, names.scopes].forEach((name) => into.stringField(okHeadersToRemove, name)));
  /** The HeaderValue's length and its HeaderValueOption's, for a value. */
  const sizes = (key: Uint8Array, value: string) => {
    const headerValue = key.length + ProtobufBytes.fieldBytes(Buffer.byteLength(value, "utf8"));
    return { headerValue, option: ProtobufBytes.fieldBytes(headerValue) + appendAction.length };
  };
  const header = (key: Uint8Array, value: string, size: { headerValue: number; option: number }) => {
    bytes.messageHead(okHeaders, size.option).messageHead(optionHeader, size.headerValue);
    bytes.raw(key).stringField(valueValue, value).raw(appendAction);
  };
  return (tokenId, ownerId, organisationId, scopes) => {
    const tokenIdSize = sizes(keys.tokenId, tokenId);
    const ownerSize = sizes(keys.owner, ownerId);
    const organisationSize = sizes(keys.organisation, organisationId);
    const scopesSize = scopes === "" ? undefined : sizes(keys.scopes, scopes);
    const removed = scopesSize ? removals : removalsWithScopes;
    let okLength = ProtobufBytes.fieldBytes(tokenIdSize.option) + ProtobufBytes.fieldBytes(ownerSize.option) + ProtobufBytes.fieldBytes(organisationSize.option) + removed.length;
    if (scopesSize) okLength += ProtobufBytes.fieldBytes(scopesSize.option);
    // status: an empty google.rpc.Status is code 0, OK.
    bytes.messageHead(responseStatus, 0).messageHead(responseOk, okLength);
    header(keys.tokenId, tokenId, tokenIdSize);
    header(keys.owner, ownerId, ownerSize);
    header(keys.organisation, organisationId, organisationSize);
    if (scopesSize) header(keys.scopes, scopes, scopesSize);
    bytes.raw(removed);
    return bytes.take();
  };
}
