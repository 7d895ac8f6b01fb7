import { timestampDate } from "@bufbuild/protobuf/wkt";
import { TokenStatus, type Token } from "@tessera/shared/gen/tessera/v1/token_pb";
import { formatExpiry, formatTime } from "../format.js";
import { statusLabel } from "../labels.js";

/** Within this of its expiry an active token says "Expires soon". */
export const expiresSoonMs = 7 * 86400_000;

/** A token's status in words, with what to do about it in the title. */
export function StatusBadge({ token, timeZone, now }: { token: Token; timeZone: string; now: number }) {
  if (token.status === TokenStatus.REVOKED) {
    return (
      <span class="badge revoked" title="Permanently revoked: it never works again. The record stays.">
        Revoked <span class="badge-detail">{formatTime(token.revokeTime, timeZone)}</span>
      </span>
    );
  }
  const expires = token.expireTime && timestampDate(token.expireTime).getTime();
  if (token.status === TokenStatus.ACTIVE && expires !== undefined && expires - now < expiresSoonMs) {
    return (
      <span class="badge soon" title={`Expires ${formatExpiry(token.expireTime, timeZone)}: regenerate it or make a new one before then.`}>
        Expires soon
      </span>
    );
  }
  const hint: Partial<Record<TokenStatus, string>> = {
    [TokenStatus.DISABLED]: "Suspended: Enable brings it back.",
    [TokenStatus.EXPIRED]: "Past its expiry: make a new one.",
  };
  return (
    <span class={`badge ${statusLabel[token.status].toLowerCase()}`} title={hint[token.status]}>
      {statusLabel[token.status]}
    </span>
  );
}
