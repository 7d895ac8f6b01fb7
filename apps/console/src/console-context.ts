import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Organisation, Principal } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import type { AdminClient, WebhookClient } from "./api.js";

/** What every screen of a signed-in console shares. */
export interface ConsoleState {
  readonly client: AdminClient;
  readonly webhooks: WebhookClient;
  /** Who is signed in. */
  readonly caller: Principal;
  /** The caller's organisation: its policy and time zone. */
  readonly organisation: Organisation;
  /** Re-reads the caller's organisation after its settings changed. */
  reloadOrganisation(): void;
}

export const ConsoleContext = createContext<ConsoleState | undefined>(undefined);

/** The signed-in console's state; only screens under the signed-in shell call this. */
export function useConsole(): ConsoleState {
  const state = useContext(ConsoleContext);
  if (!state) throw new Error("useConsole outside the signed-in console");
  return state;
}

/** Whether a role administers anything (the token-wide and principal screens). */
export const isAdministrator = (role: Role) => role === Role.ADMIN || role === Role.ORG_ADMIN || role === Role.GROUP_ADMIN;
