import { createContextKey } from "@connectrpc/connect";
import type { Caller } from "../domain/access/caller.js";

/** Set by the auth interceptor for every TokenAdminService call that needs a caller. */
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "authenticated caller" });

/** The peer's address and user agent, for the audit log. Set per request by the adapter. */
export const sourceKey = createContextKey<string>("unknown", { description: "request source" });

/** The peer's address alone: sign-in failures are limited per source. */
export const peerKey = createContextKey<string>("unknown", { description: "peer address" });
