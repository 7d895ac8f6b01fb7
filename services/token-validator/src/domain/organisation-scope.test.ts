import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { namedUuid } from "@tessera/test-support/named-uuid";
import { ChangeRecordSchema, TokenState, type ChangeRecord } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { createDigester } from "@tessera/shared/token/token-digest";
import { generateToken } from "@tessera/shared/token/token-format";
import { loadValidatorConfig } from "../config.js";
import { everyOrganisation, organisationScope, servingOrganisations } from "./organisation-scope.js";
import { Replica } from "./replica.js";

const digest = createDigester("organisation-scope-test-pepper-0123456789");
const [orgA, orgB] = ["0b8e6a3e-52c1-4f0e-9f43-0000000000aa", "0b8e6a3e-52c1-4f0e-9f43-0000000000bb"];

const organisation = (id: string): ChangeRecord => create(ChangeRecordSchema, { record: { case: "organisation", value: { id, apiTokensEnabled: true } } });
const group = (id: string, organisationId: string): ChangeRecord =>
  create(ChangeRecordSchema, { record: { case: "group", value: { id, organisationId, tokensNotBeforeMs: 1_000n } } });
const principal = (id: string, organisationId: string): ChangeRecord =>
  create(ChangeRecordSchema, { record: { case: "principal", value: { id, organisationId, permissions: ["orders:read"] } } });
const token = (id: string, value: string, organisationId: string, fields: { parent?: string; state?: TokenState } = {}): ChangeRecord =>
  create(ChangeRecordSchema, {
    record: {
      case: "token",
      value: {
        id: namedUuid(id), digest: digest(value), ownerId: `owner-${organisationId}`, organisationId, scopes: ["orders:read"], state: fields.state ?? TokenState.ACTIVE,
        kind: fields.parent ? TokenKind.EXCHANGED : TokenKind.PERSONAL, level: TokenLevel.USER,
        parentTokenId: fields.parent ? namedUuid("parent") : "", parentDigest: fields.parent ? digest(fields.parent) : new Uint8Array(0),
      },
    },
  });

/** What a replica holds, by id: tokens, principals, organisations, groups. */
function holdings(replica: Replica) {
  return {
    tokens: [...replica.tokens()].map((entry) => entry.id).sort(),
    principals: [...replica.principals.keys()].sort(),
    organisations: [...replica.organisations.keys()].sort(),
    groups: [...replica.groups.keys()].sort(),
  };
}

describe("an organisation scope", () => {
  const [valueA, valueB, childA] = [generateToken(), generateToken(), generateToken("exchanged")];

  it("holds only the served organisations' records, and still moves to every event's seq", () => {
    const scope = servingOrganisations([orgA]);
    const replica = new Replica();
    const event = [organisation(orgA), organisation(orgB), group("gA", orgA), group("gB", orgB), principal("pA", orgA), principal("pB", orgB), token("tA", valueA, orgA), token("tB", valueB, orgB)];
    replica.applyEvent(1n, scope.recordsToApply(event));
    // An event of another organisation only: nothing held changes, but the position does.
    replica.applyEvent(2n, scope.recordsToApply([token("tB2", generateToken(), orgB), principal("pB2", orgB)]));
    expect(holdings(replica)).toEqual({ tokens: [namedUuid("tA")], principals: ["pA"], organisations: [orgA], groups: ["gA"] });
    expect(replica.appliedSeq).toBe(2n);
  });

  it("holds an exchanged token with its parent, in the parent's organisation", () => {
    const replica = new Replica();
    const scope = servingOrganisations([orgA]);
    replica.applyEvent(1n, scope.recordsToApply([token("tA", valueA, orgA), token("cA", childA, orgA, { parent: valueA })]));
    expect(replica.findToken(namedUuid("cA"))?.parent?.slot).toBe(replica.findToken(namedUuid("tA"))?.slot);
  });

  it("drops a principal or token whose record says it moved to an organisation not served", () => {
    const replica = new Replica();
    const scope = servingOrganisations([orgA]);
    replica.applyEvent(1n, scope.recordsToApply([organisation(orgA), principal("p1", orgA), token("t1", valueA, orgA)]));
    expect(holdings(replica)).toMatchObject({ tokens: [namedUuid("t1")], principals: ["p1"] });
    replica.applyEvent(2n, scope.recordsToApply([principal("p1", orgB), token("t1", valueA, orgB)]));
    expect(holdings(replica)).toMatchObject({ tokens: [], principals: [], organisations: [orgA] });
    expect(replica.tokenCount).toBe(0);
  });

  it("passes a served organisation's event through as it is, and a full scope every event", () => {
    const records = [principal("pA", orgA), token("tA", valueA, orgA)];
    expect(servingOrganisations([orgA]).recordsToApply(records)).toBe(records);
    const mixed = [principal("pB", orgB), token("tA", valueA, orgA)];
    expect(everyOrganisation.recordsToApply(mixed)).toBe(mixed);
    expect(organisationScope(undefined)).toBe(everyOrganisation);
    expect(organisationScope([orgA, orgA]).organisations).toEqual([orgA]);
  });
});

describe("TESSERA_VALIDATOR_ORGANISATIONS", () => {
  it("unset: every organisation; set: uuids, lower-cased, de-duplicated, spaces allowed", () => {
    expect(loadValidatorConfig({}).organisations).toBeUndefined();
    expect(loadValidatorConfig({ TESSERA_VALIDATOR_ORGANISATIONS: `${orgA.toUpperCase()}, ${orgB},${orgA}` }).organisations).toEqual([orgA, orgB]);
  });

  it("stops the start with one line naming the setting for an empty list, an empty entry or a name", () => {
    for (const [value, says] of [
      ["", "must name at least one organisation id"],
      [`${orgA},,${orgB}`, "entry 2 is not one"],
      ["acme", "entry 1 is not one"],
      [`${orgA},${orgB.slice(0, -1)}`, "entry 2 is not one"],
    ] as const) {
      expect(() => loadValidatorConfig({ TESSERA_VALIDATOR_ORGANISATIONS: value }), value).toThrow(new RegExp(`^invalid configuration: TESSERA_VALIDATOR_ORGANISATIONS: .*${says}`));
    }
  });
});
