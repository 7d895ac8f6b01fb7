import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ValidatorAcknowledgementSchema } from "@tessera/shared/gen/tessera/v1/admin_pb";
import type { Acknowledgement } from "../domain/tokens/await-validators.js";

/** The wire form of a wait for validators; undefined when none was asked for. */
export function acknowledgementToProto(ack: Acknowledgement | undefined): MessageInitShape<typeof ValidatorAcknowledgementSchema> | undefined {
  if (!ack) return undefined;
  return {
    applied: ack.applied,
    live: ack.live,
    complete: ack.complete,
    waitedMs: Math.max(0, Math.round(ack.waitedMs)),
    unreachable: ack.unreachable,
    appliedValidatorIds: [...ack.appliedValidatorIds],
    pendingValidatorIds: [...ack.pendingValidatorIds],
  };
}
