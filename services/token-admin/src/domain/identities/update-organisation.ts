import { isUniqueViolation } from "@tessera/shared/db/database-errors";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { organisationChangeRecord } from "@tessera/shared/feed/change-records";
import { lockOrganisation, updateOrganisation as updateOrganisationRow } from "../../store/organisation-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { authorize } from "../access/authorize.js";
import type { AcknowledgedChange } from "../tokens/await-validators.js";
import type { Caller } from "../access/caller.js";
import { commitAwaitedChange } from "../commit-change.js";
import { organisationFromRow, organisationTarget, type Organisation } from "./identities.js";
import { policyFromRow } from "./organisation-policy.js";
import { settingsColumns, type SettingsChange } from "./organisation-settings.js";

export interface UpdatedOrganisation extends AcknowledgedChange {
  readonly organisation: Organisation;
}

/**
 * Renames an organisation or changes its policy. Switching api_tokens_enabled
 * off stops every token of the organisation at once: validators hold the flag,
 * not a copy per token.
 */
export async function updateOrganisation(
  deps: AdminDeps,
  caller: Caller,
  id: string,
  change: { name?: string | undefined; settings: SettingsChange },
  awaitValidatorsMs = 0,
): Promise<UpdatedOrganisation> {
  const now = deps.now();
  try {
    const { result, seq, acknowledgement } = await commitAwaitedChange(deps, awaitValidatorsMs, async (trx, pending) => {
      const current = await lockOrganisation(trx, id);
      if (!current) throw new TesseraError("not_found", `organisation ${id} not found`);
      authorize(caller, "UpdateOrganisation", organisationTarget(id), "GetOrganisation", `organisation ${id}`);
      const columns = settingsColumns(policyFromRow(current), change.settings);
      const row = await updateOrganisationRow(trx, id, { ...columns, ...(change.name ? { name: change.name } : {}), updated_at: now });
      pending.feed(organisationChangeRecord(row));
      pending.audit({
        action: "organisation.update", actorId: caller.principalId, actorTokenId: caller.tokenId, organisationId: id,
        source: caller.source, details: { name: change.name, ...change.settings },
      });
      return row;
    });
    return { organisation: organisationFromRow(result), seq, acknowledgement };
  } catch (err) {
    if (isUniqueViolation(err)) throw new TesseraError("already_exists", `an organisation named "${change.name}" already exists`);
    throw err;
  }
}
