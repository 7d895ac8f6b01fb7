/** Names of the request headers that tell the upstream who was let in (configurable, lower case). */
export interface IdentityHeaderNames {
  readonly tokenId: string;
  readonly owner: string;
  readonly organisation: string;
  /** The effective scopes, space-separated as OAuth writes them. */
  readonly scopes: string;
}
