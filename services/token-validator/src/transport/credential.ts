/** The request carried no credential we accept (no header, or another auth scheme). */
export const missingCredential: unique symbol = Symbol("missing credential");
/** The request carried a credential header we cannot read unambiguously. */
export const unreadableCredential: unique symbol = Symbol("unreadable credential");

/** Why a request carries no token we can use. */
export type CredentialProblem = typeof missingCredential | typeof unreadableCredential;

/** Tokens are 44 characters; a header far longer than that is refused unread. */
export const maxCredentialLength = 512;

/** An auth scheme name (RFC 9110 token) alone or followed by credentials. */
const authScheme = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?: |$)/;
const bearerScheme = "bearer";

/** "Bearer " in any case; compared in place, as this runs on every request. */
function startsWithBearer(value: string): boolean {
  if (value.length < 7 || value.charCodeAt(6) !== 32) return false;
  // `| 0x20` folds ASCII upper case to lower case; only "B"/"b" etc. fold onto the letters compared.
  for (let i = 0; i < 6; i++) if ((value.charCodeAt(i) | 0x20) !== bearerScheme.charCodeAt(i)) return false;
  return true;
}

/**
 * The token a header value carries, or why there is none. `bearer`: the
 * header is Authorization and must read "Bearer <token>"; otherwise the value
 * is the token itself (a "Bearer " prefix is tolerated). A comma means several
 * headers were joined (Envoy and Node join repeats that way): refused, never
 * guessed between. Another scheme (Basic, Digest…) counts as no credential,
 * as RFC 6750 §3.1 asks. Nothing here looks the token up.
 */
export function credentialFromHeader(value: string | undefined, bearer: boolean): string | CredentialProblem {
  if (value === undefined || value === "") return missingCredential;
  if (value.length > maxCredentialLength || value.includes(",")) return unreadableCredential;
  const hasBearerScheme = startsWithBearer(value);
  if (bearer && !hasBearerScheme) return authScheme.test(value) ? missingCredential : unreadableCredential;
  const token = (hasBearerScheme ? value.slice(7) : value).trim();
  return token === "" ? unreadableCredential : token;
}
