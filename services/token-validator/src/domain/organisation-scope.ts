import { create } from "@bufbuild/protobuf";
import { ChangeRecordSchema, TokenState, type ChangeRecord } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";

/**
 * Which organisations a replica holds (TESSERA_VALIDATOR_ORGANISATIONS). It
 * stands between the feed and the replica: an event's records pass through
 * `recordsToApply` before the replica applies them, and the event's seq is
 * applied whatever is left, so a partial replica is as current for its
 * organisations as a full one.
 */
export interface OrganisationScope {
  /** The organisations held (ids); undefined: every one (a full replica). */
  readonly organisations: readonly string[] | undefined;
  /** What of an event's records to apply, in order. A full scope returns `records` itself. */
  recordsToApply(records: readonly ChangeRecord[]): readonly ChangeRecord[];
}

/** A full replica: every record as it comes. */
export const everyOrganisation: OrganisationScope = Object.freeze({
  organisations: undefined,
  recordsToApply: (records: readonly ChangeRecord[]) => records,
});

/**
 * A principal or token record of an organisation not served, as its removal:
 * nothing in Tessera moves one between organisations today, but should one
 * move out, the replica must stop holding it rather than keep a stale copy.
 * Applying the removal of something never held changes nothing.
 */
function removalOf(record: ChangeRecord): ChangeRecord | undefined {
  const entity = record.record;
  switch (entity.case) {
    case "principal":
      return create(ChangeRecordSchema, { record: { case: "principal", value: { id: entity.value.id, organisationId: entity.value.organisationId, deleted: true } } });
    case "token": {
      const { id, digest, previousDigest, organisationId } = entity.value;
      return create(ChangeRecordSchema, { record: { case: "token", value: { id, digest, previousDigest, organisationId, state: TokenState.DELETED } } });
    }
    // An organisation's record is its own (it never moves); a group's matters only to its principals, none held.
    case "organisation":
    case "group":
    case undefined:
      return undefined;
  }
}

/** The organisation a record belongs to ("" for none). */
function organisationOf(record: ChangeRecord): string {
  const entity = record.record;
  switch (entity.case) {
    case "organisation":
      return entity.value.id;
    case "principal":
    case "token":
    case "group":
      return entity.value.organisationId;
    case undefined:
      return "";
  }
}

/**
 * A partial replica holding `organisations` only (ids, as the feed spells them:
 * lower-case uuids). Exchanged tokens belong to their parent's organisation, so
 * a child is held exactly when its parent is.
 */
export function servingOrganisations(organisations: readonly string[]): OrganisationScope {
  const served = new Set(organisations);
  return Object.freeze({
    organisations: Object.freeze([...served]),
    recordsToApply(records: readonly ChangeRecord[]): readonly ChangeRecord[] {
      // Most events are one organisation's: pass those through without copying.
      if (records.every((record) => served.has(organisationOf(record)))) return records;
      const kept: ChangeRecord[] = [];
      for (const record of records) {
        const applied = served.has(organisationOf(record)) ? record : removalOf(record);
        if (applied) kept.push(applied);
      }
      return kept;
    },
  });
}

/** The scope for a configured list: undefined (or none given) is every organisation. */
export function organisationScope(organisations: readonly string[] | undefined): OrganisationScope {
  return organisations === undefined ? everyOrganisation : servingOrganisations(organisations);
}
