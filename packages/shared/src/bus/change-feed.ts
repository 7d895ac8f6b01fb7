import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { FeedMessageSchema } from "../gen/tessera/feed/v1/feed_pb.js";
import type { FeedHeartbeat, FeedListener } from "./bus-messages.js";

/** The change feed as both sides see it: token-admin publishes, validators subscribe. */
export interface ChangeFeedAdapter {
  /** Publishes a committed ChangeEvent, serialized as change_log stores it. Best effort: validators also poll. */
  publishChange(event: Uint8Array): Promise<void>;
  /** Publishes a proof of the feed head. */
  publishHeartbeat(heartbeat: FeedHeartbeat): Promise<void>;
  /**
   * Resolves once subscribed, so a caller can subscribe before reading a snapshot;
   * or, if the bus is unreachable, once the first attempt failed: the subscription
   * then keeps trying, and `onConnected` says when it holds. Never rejects.
   */
  subscribe(listener: FeedListener): Promise<void>;
}

/** A FeedMessage carrying an already serialized ChangeEvent, without decoding it first. */
export function changeMessage(event: Uint8Array): Uint8Array {
  return new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(event).finish();
}

export function heartbeatMessage(heartbeat: FeedHeartbeat): Uint8Array {
  return toBinary(FeedMessageSchema, create(FeedMessageSchema, { message: { case: "heartbeat", value: { headSeq: heartbeat.headSeq, readAtMs: BigInt(heartbeat.readAtMs) } } }));
}

/** Hands a decoded FeedMessage to the listener; a message it cannot decode is rejected. */
export function deliverFeedMessage(payload: Uint8Array, listener: FeedListener): void {
  let message;
  try {
    message = fromBinary(FeedMessageSchema, payload).message;
  } catch {
    listener.onRejected();
    return;
  }
  if (message.case === "change") listener.onChange(message.value);
  else if (message.case === "heartbeat") listener.onHeartbeat({ headSeq: message.value.headSeq, readAtMs: Number(message.value.readAtMs) });
  else listener.onRejected();
}
