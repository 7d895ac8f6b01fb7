import type { TokenRow } from "@tessera/shared/db/schema";
import type { OutgoingEmail } from "../../store/notice-store.js";

// The words of each notice. A token is named by its name, id and display hint — never its value.

const describe = (token: TokenRow) => `"${token.name}" (id ${token.id}, ${token.display_hint})`;
const day = (date: Date) => date.toISOString().slice(0, 16).replace("T", " ") + " UTC";

/** "in 30 days" for a lead; "today" for lead 0. */
export function leadWords(leadSeconds: number): string {
  if (leadSeconds === 0) return "today";
  const days = leadSeconds / 86_400;
  if (Number.isInteger(days)) return `within ${days} day${days === 1 ? "" : "s"}`;
  return `within ${Math.round(leadSeconds / 60)} minutes`;
}

export function expiringEmail(recipient: string, token: TokenRow, leadSeconds: number): OutgoingEmail {
  return {
    recipient,
    subject: `Tessera token "${token.name}" expires ${leadWords(leadSeconds)}`,
    body: `The API token ${describe(token)} expires at ${day(token.expires_at!)}.\n\nTo keep access, create a new token (or ask an administrator to) and switch to it before then.\n`,
  };
}

export function expiredEmail(recipient: string, token: TokenRow): OutgoingEmail {
  return {
    recipient,
    subject: `Tessera token "${token.name}" has expired`,
    body: `The API token ${describe(token)} expired at ${day(token.expires_at!)} and is no longer accepted.\n`,
  };
}

export function inactivityEmail(recipient: string, token: TokenRow, maxInactivitySeconds: number): OutgoingEmail {
  return {
    recipient,
    subject: `Tessera token "${token.name}" was revoked: unused for too long`,
    body:
      `The API token ${describe(token)} was revoked by the system: it had not been used for ${Math.round(maxInactivitySeconds / 86_400 * 10) / 10} days, ` +
      `the most its organisation allows (max_inactivity).\n\nIt cannot be enabled again; create a new token if it is still needed.\n`,
  };
}
