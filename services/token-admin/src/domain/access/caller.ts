import type { Role } from "@tessera/shared/db/schema";

/** Who is calling the admin API, established once per request by authenticate(). */
export interface Caller {
  readonly principalId: string;
  readonly organisationId: string;
  /** Set when the caller belongs to a group. */
  readonly groupId: string | undefined;
  readonly role: Role;
  /** The scopes the caller holds now: the most it may grant or put on a token it creates. */
  readonly permissions: readonly string[];
  /** The token the caller presented. */
  readonly tokenId: string;
  /**
   * When the presented value stops working ahead of its token: the end of the
   * grace period when it is a regenerated token's previous value. Nothing made
   * from it (an exchanged token) may outlive that.
   */
  readonly credentialEndsAt?: Date | undefined;
  /** Peer address and user agent, for the audit log. */
  readonly source: string;
}
