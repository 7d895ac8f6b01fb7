import type { UseOrigin } from "../domain/surface.js";

/** What a gRPC call tells of its client. */
interface Peered {
  getPeer(): string;
}

/**
 * The origin of the gRPC call being answered: the peer's address is only
 * worked out when read (grpc-js builds the string on each getPeer), which
 * happens only for accepted tokens. One per surface, reused: answering is synchronous.
 */
export class GrpcCallOrigin implements UseOrigin {
  private call: Peered | undefined = undefined;
  route = "";

  get address(): string {
    return this.call === undefined ? "" : this.call.getPeer();
  }

  /** Points at `call` (and `route`) until release(). */
  hold(call: Peered, route: string): this {
    this.call = call;
    this.route = route;
    return this;
  }

  /** Lets the call go, so nothing outlives the request. */
  release(): void {
    this.call = undefined;
    this.route = "";
  }
}

/** An origin whose fields the surface sets before each decision. One per surface, reused. */
export class PlainOrigin implements UseOrigin {
  address = "";
  route = "";
}
