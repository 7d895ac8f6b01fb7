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

export function leakedEmail(recipient: string, token: TokenRow, revoked: boolean, url: string | undefined): OutgoingEmail {
  return {
    recipient,
    subject: `Tessera token "${token.name}" was reported leaked${revoked ? " and has been revoked" : ""}`,
    body:
      `The API token ${describe(token)} was reported found in public${url ? ` at ${url}` : ""}.\n\n` +
      (revoked
        ? "It was revoked at once and is no longer accepted. Create a new token where it is needed, and remove the old value from where it was found.\n"
        : "It was already revoked. Remove the value from where it was found.\n"),
  };
}

export interface StillUsedSource {
  readonly surface: string;
  readonly address: string;
  readonly route: string;
  readonly lastSeenAt: Date;
}

export function rotationStillUsedEmail(recipient: string, token: TokenRow, graceEndedAt: Date, sources: readonly StillUsedSource[]): OutgoingEmail {
  const lines = sources.map((s) => `  - ${s.surface} from ${s.address || "an unknown address"}${s.route ? ` on ${s.route}` : ""}, last at ${day(s.lastSeenAt)}`);
  return {
    recipient,
    subject: `Tessera token "${token.name}": its old value was still in use when it stopped`,
    body:
      `The API token ${describe(token)} was regenerated, and its previous value stopped working at ${day(graceEndedAt)} while it was still in use.\n\n` +
      (lines.length > 0 ? `These still used the previous value:\n${lines.join("\n")}\n\n` : "") +
      "Give them the new value.\n",
  };
}
