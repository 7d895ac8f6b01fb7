import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { TokenLevel, TokenStatus } from "@tessera/shared/gen/tessera/v1/token_pb";
import { Freshness } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { EventType } from "@tessera/shared/gen/tessera/v1/events_pb";
import { WebhookDeliveryState } from "@tessera/shared/gen/tessera/v1/webhooks_pb";

// Enums become words here and nowhere else.

export const levelLabel: Record<TokenLevel, string> = {
  [TokenLevel.UNSPECIFIED]: "—",
  [TokenLevel.USER]: "User",
  [TokenLevel.GROUP]: "Group",
  [TokenLevel.ORG]: "Organisation",
};

export const statusLabel: Record<TokenStatus, string> = {
  [TokenStatus.UNSPECIFIED]: "Unknown",
  [TokenStatus.ACTIVE]: "Active",
  [TokenStatus.DISABLED]: "Disabled",
  [TokenStatus.REVOKED]: "Revoked",
  [TokenStatus.EXPIRED]: "Expired",
};

export const roleLabel: Record<Role, string> = {
  [Role.UNSPECIFIED]: "—",
  [Role.ADMIN]: "Admin (built-in)",
  [Role.ORG_ADMIN]: "Organisation admin",
  [Role.GROUP_ADMIN]: "Group admin",
  [Role.MEMBER]: "Member",
};

export const kindLabel: Record<PrincipalKind, string> = {
  [PrincipalKind.UNSPECIFIED]: "—",
  [PrincipalKind.HUMAN]: "Person",
  [PrincipalKind.TECHNICAL]: "Technical user",
};

export const freshnessLabel: Record<Freshness, string> = {
  [Freshness.UNSPECIFIED]: "Unknown",
  [Freshness.CURRENT]: "Current",
  [Freshness.DEGRADED]: "Degraded",
  [Freshness.STALE]: "Stale",
};

/** The audit log's action names, as a person says them. */
export const actionLabel: Record<string, string> = {
  "token.create": "Created token",
  "token.revoke": "Revoked token",
  "token.disable": "Disabled token",
  "token.enable": "Enabled token",
  "token.delete": "Deleted token",
  "token.regenerate": "Regenerated token",
  "token.exchange": "Exchanged token",
  "principal.create": "Created principal",
  "principal.update": "Changed principal",
  "organisation.create": "Created organisation",
  "organisation.update": "Changed organisation",
  "group.create": "Created group",
  "group.update": "Changed group",
  "auth.sign_in": "Signed in",
  "auth.sign_in_failed": "Sign-in failed",
  "instance.bootstrap": "Instance set up",
};

/** Where a token was validated (TokenUseSource.surface), as people call it. */
export const surfaceLabel: Record<string, string> = {
  grpc: "ValidateToken (gRPC)",
  ext_authz: "Envoy ext_authz",
  forward_auth: "proxy forward-auth",
  introspect: "introspection",
};

/** Webhook event types by the name receivers see in the payload's "type". */
export const eventLabel: Record<EventType, string> = {
  [EventType.UNSPECIFIED]: "—",
  [EventType.TOKEN_CREATED]: "token.created",
  [EventType.TOKEN_REVOKED]: "token.revoked",
  [EventType.TOKEN_DISABLED]: "token.disabled",
  [EventType.TOKEN_ENABLED]: "token.enabled",
  [EventType.TOKEN_DELETED]: "token.deleted",
  [EventType.TOKEN_REGENERATED]: "token.regenerated",
  [EventType.TOKEN_EXPIRING]: "token.expiring",
  [EventType.TOKEN_EXPIRED]: "token.expired",
  [EventType.TOKEN_LEAKED]: "token.leaked",
  [EventType.TOKEN_HONEYTOKEN_USED]: "token.honeytoken_used",
  [EventType.PRINCIPAL_DISABLED]: "principal.disabled",
  [EventType.TOKENS_REVOKED_ISSUED_BEFORE]: "tokens.revoked_issued_before",
};

export const deliveryStateLabel: Record<WebhookDeliveryState, string> = {
  [WebhookDeliveryState.UNSPECIFIED]: "Any",
  [WebhookDeliveryState.PENDING]: "Pending",
  [WebhookDeliveryState.DELIVERED]: "Delivered",
  [WebhookDeliveryState.DEAD]: "Dead",
};
