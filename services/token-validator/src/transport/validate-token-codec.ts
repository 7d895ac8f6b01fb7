import type { ServiceDefinition } from "@grpc/grpc-js";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { TokenValidatorService } from "@tessera/shared/gen/tessera/v1/validator_pb";
import type { Decision } from "../domain/decide.js";
import { toUnixSeconds } from "../domain/replica.js";
import { codeToWire, freshnessToWire } from "./decision-wire.js";
import { ProtobufBytes } from "./protobuf-bytes.js";

// ValidateToken's own codec. Generic (reflective) encoding of the 15-field answer
// cost ~4 µs a call, a large share of a call the baseline serves in ~50 µs; this
// writes the same bytes straight into a buffer (validate-token-codec.test.ts
// compares them with the generated encoder's) and reads the two request fields without
// building a message.

/** What a ValidateToken request asks. */
export interface ValidateTokenQuery {
  readonly token: string;
  readonly requiredScope: string;
}

/** Fields read at most: the request has two, so a message of thousands of tiny fields is not one (it costs milliseconds to walk). */
const maxFields = 64;

/**
 * Reads a ValidateTokenRequest (field 1 token, 2 required_scope), skipping
 * anything else. Throws on malformed protobuf, a group, or more than maxFields
 * fields (the server answers INVALID_ARGUMENT).
 */
export function readValidateTokenRequest(bytes: Uint8Array): ValidateTokenQuery {
  const reader = new BinaryReader(bytes);
  let token = "";
  let requiredScope = "";
  let fieldsLeft = maxFields;
  while (reader.pos < reader.len) {
    if (--fieldsLeft < 0) throw new RangeError(`more than ${maxFields} fields`);
    const [field, wireType] = reader.tag();
    if (wireType === WireType.StartGroup) throw new RangeError("groups are not read");
    if (field === 1 && wireType === WireType.LengthDelimited) token = reader.string();
    else if (field === 2 && wireType === WireType.LengthDelimited) requiredScope = reader.string();
    else reader.skip(wireType, field);
  }
  return { token, requiredScope };
}

const answer = new ProtobufBytes();

/**
 * The ValidateTokenResponse for a decision, as bytes: proto3 fields in number
 * order, defaults left out, exactly as the generated encoder writes them.
 * Reuses one buffer: synchronous callers only.
 */
export function writeValidateTokenResponse(decision: Decision): Buffer {
  const token = decision.token;
  const freshness = decision.freshness;
  if (decision.valid) answer.varintField(1, 1);
  answer.varintField(2, codeToWire[decision.code]);
  if (token) {
    answer.stringField(3, token.id);
    if (token.ownerId !== "") answer.stringField(4, token.ownerId);
    if (token.organisationId !== "") answer.stringField(5, token.organisationId);
  }
  for (const scope of decision.scopes) answer.stringField(6, scope);
  if (token && token.expiresAt !== 0) answer.secondsField(7, toUnixSeconds(token.expiresAt));
  if (decision.seq !== 0n) answer.varintField(8, decision.seq);
  answer.varintField(9, freshnessToWire[freshness.state]);
  if (freshness.stalenessMs !== 0) answer.varintField(10, Math.min(freshness.stalenessMs, 0xffffffff));
  if (token) {
    if (token.groupId !== "") answer.stringField(11, token.groupId);
    if (token.level !== 0) answer.varintField(12, token.level);
    if (token.kind !== 0) answer.varintField(13, token.kind);
    if (token.admin) answer.varintField(14, 1);
  }
  if (freshness.detail !== "") answer.stringField(15, freshness.detail);
  return answer.take();
}

const method = TokenValidatorService.method.validateToken;

/** The grpc-js definition of ValidateToken with this codec: handlers receive a query and return bytes. */
export function validateTokenDefinition(): ServiceDefinition {
  return {
    validateToken: {
      path: `/${TokenValidatorService.typeName}/${method.name}`,
      originalName: method.localName,
      requestStream: false,
      responseStream: false,
      requestDeserialize: (bytes: Buffer) => readValidateTokenRequest(bytes),
      // writeValidateTokenResponse's answer is a Buffer of its own already.
      responseSerialize: (answer: Buffer) => answer,
      // Client side of the definition: not used by a server.
      requestSerialize: () => {
        throw new Error("server-side definition");
      },
      responseDeserialize: (bytes: Buffer) => bytes,
    },
  } as ServiceDefinition;
}
