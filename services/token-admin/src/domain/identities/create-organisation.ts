import { isUniqueViolation } from "@tessera/shared/db/database-errors";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { organisationChangeRecord } from "@tessera/shared/feed/change-records";
import { insertOrganisation } from "../../store/organisation-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { authorize } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { commitChange } from "../commit-change.js";
import { organisationFromRow, organisationTarget, type Organisation } from "./identities.js";
import { defaultSettings, settingsColumns, type SettingsChange } from "./organisation-settings.js";

/** Creates an organisation with its token policy (defaults for what is not given). Admin only. */
export async function createOrganisation(deps: AdminDeps, caller: Caller, name: string, settings: SettingsChange): Promise<Organisation> {
  // The table reaches "all" only for the built-in admin; any other role stops here.
  authorize(caller, "CreateOrganisation", organisationTarget(caller.organisationId), "GetOrganisation", "organisation");
  const columns = settingsColumns(defaultSettings, settings);
  try {
    const { result } = await commitChange(deps, async (trx, change) => {
      const row = await insertOrganisation(trx, { name, ...columns });
      change.feed(organisationChangeRecord(row));
      change.audit({
        action: "organisation.create", actorId: caller.principalId, actorTokenId: caller.tokenId,
        organisationId: row.id, source: caller.source, details: { name },
      });
      return row;
    });
    return organisationFromRow(result);
  } catch (err) {
    if (isUniqueViolation(err)) throw new TesseraError("already_exists", `an organisation named "${name}" already exists`);
    throw err;
  }
}
