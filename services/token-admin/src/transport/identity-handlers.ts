import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { invalidArgument } from "@tessera/shared/errors/tessera-error";
import type { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import type { AdminDeps } from "../domain/admin-deps.js";
import { acknowledgementToProto } from "./acknowledgement-messages.js";
import { validatorToProto } from "./validator-messages.js";
import { createGroup } from "../domain/identities/create-group.js";
import { createOrganisation } from "../domain/identities/create-organisation.js";
import { createPrincipal } from "../domain/identities/create-principal.js";
import { getCaller } from "../domain/access/get-caller.js";
import { getGroup } from "../domain/identities/get-group.js";
import { getOrganisation } from "../domain/identities/get-organisation.js";
import { getPrincipal } from "../domain/identities/get-principal.js";
import { listNamedAuditEvents } from "../domain/audit/list-named-audit-events.js";
import { listGroups } from "../domain/identities/list-groups.js";
import { listOrganisations } from "../domain/identities/list-organisations.js";
import { listPrincipals } from "../domain/identities/list-principals.js";
import { listTokenOwners } from "../domain/identities/list-token-owners.js";
import { listValidators } from "../domain/validators/list-validators.js";
import { maxPasswordLength } from "../domain/access/passwords.js";
import { signIn } from "../domain/access/sign-in.js";
import { updateGroup } from "../domain/identities/update-group.js";
import { updateOrganisation } from "../domain/identities/update-organisation.js";
import { updatePrincipal } from "../domain/identities/update-principal.js";
import { auditEventToProto, parseListAuditEvents } from "./audit-messages.js";
import { callerOf } from "./auth-interceptor.js";
import { peerKey, sourceKey } from "./caller-context.js";
import {
  groupToProto,
  organisationToProto,
  parseCreatePrincipal,
  parseSettings,
  parseUpdatePrincipal,
  principalKindFromProto,
  principalToProto,
} from "./identity-messages.js";
import { parseEnum, parseId, parseName, parseOptionalId, parseOptionalText, parsePageSize, parseWait } from "./parse.js";

type IdentityHandlers = Omit<
  ServiceImpl<typeof TokenAdminService>,
  "createToken" | "getToken" | "listTokens" | "revokeToken" | "disableToken" | "disableTokens" | "enableToken" | "deleteTokens" | "regenerateToken" | "exchangeToken"
>;

const page = (req: { pageSize: number; pageToken: string }) => ({
  pageSize: parsePageSize(req.pageSize),
  pageToken: parseOptionalText("page_token", req.pageToken, 200) ?? "",
});

/** Sign-in, organisations, groups, principals and audit: parse, call one use case, map. */
export function identityHandlers(deps: AdminDeps): IdentityHandlers {
  return {
    async signIn(req, ctx) {
      if (req.password.length > maxPasswordLength) throw invalidArgument("password", `must be at most ${maxPasswordLength} characters`);
      const signedIn = await signIn(deps, {
        organisation: parseName("organisation", req.organisation),
        userName: parseName("user_name", req.userName),
        password: req.password,
        source: ctx.values.get(sourceKey),
        peer: ctx.values.get(peerKey),
      });
      return { sessionToken: signedIn.value, expireTime: timestampFromDate(signedIn.expiresAt), principal: principalToProto(signedIn.principal) };
    },
    async getCaller(_req, ctx) {
      const { principal, tokenId } = await getCaller(deps, callerOf(ctx));
      return { principal: principalToProto(principal), tokenId };
    },

    async createOrganisation(req, ctx) {
      const organisation = await createOrganisation(deps, callerOf(ctx), parseName("name", req.name), parseSettings(req.settings));
      return { organisation: organisationToProto(organisation) };
    },
    async updateOrganisation(req, ctx) {
      const done = await updateOrganisation(
        deps,
        callerOf(ctx),
        parseId("organisation_id", req.organisationId),
        { name: req.name === undefined ? undefined : parseName("name", req.name), settings: parseSettings(req.settings) },
        parseWait("await_validators", req.awaitValidators),
      );
      return { organisation: organisationToProto(done.organisation), seq: done.seq ?? 0n, acknowledgement: acknowledgementToProto(done.acknowledgement) };
    },
    async getOrganisation(req, ctx) {
      return { organisation: organisationToProto(await getOrganisation(deps, callerOf(ctx), parseOptionalId("organisation_id", req.organisationId))) };
    },
    async listOrganisations(req, ctx) {
      const found = await listOrganisations(deps, callerOf(ctx), page(req));
      return { organisations: found.items.map(organisationToProto), nextPageToken: found.nextPageToken };
    },

    async createGroup(req, ctx) {
      return { group: groupToProto(await createGroup(deps, callerOf(ctx), parseOptionalId("organisation_id", req.organisationId), parseName("name", req.name))) };
    },
    async updateGroup(req, ctx) {
      return { group: groupToProto(await updateGroup(deps, callerOf(ctx), parseId("group_id", req.groupId), parseName("name", req.name))) };
    },
    async getGroup(req, ctx) {
      return { group: groupToProto(await getGroup(deps, callerOf(ctx), parseId("group_id", req.groupId))) };
    },
    async listGroups(req, ctx) {
      const found = await listGroups(deps, callerOf(ctx), parseOptionalId("organisation_id", req.organisationId), page(req));
      return { groups: found.items.map(groupToProto), nextPageToken: found.nextPageToken };
    },

    async createPrincipal(req, ctx) {
      return { principal: principalToProto(await createPrincipal(deps, callerOf(ctx), parseCreatePrincipal(req))) };
    },
    async updatePrincipal(req, ctx) {
      const { change, awaitValidatorsMs } = parseUpdatePrincipal(req);
      const done = await updatePrincipal(deps, callerOf(ctx), parseId("principal_id", req.principalId), change, awaitValidatorsMs);
      return { principal: principalToProto(done.principal), seq: done.seq ?? 0n, acknowledgement: acknowledgementToProto(done.acknowledgement) };
    },
    async getPrincipal(req, ctx) {
      return { principal: principalToProto(await getPrincipal(deps, callerOf(ctx), parseId("principal_id", req.principalId))) };
    },
    async listPrincipals(req, ctx) {
      const found = await listPrincipals(deps, callerOf(ctx), {
        ...page(req),
        organisationId: parseOptionalId("organisation_id", req.organisationId),
        groupId: parseOptionalId("group_id", req.groupId),
        kind: parseEnum("kind", req.kind, principalKindFromProto),
      });
      return { principals: found.items.map(principalToProto), nextPageToken: found.nextPageToken };
    },
    async listTokenOwners(req, ctx) {
      const owners = await listTokenOwners(deps, callerOf(ctx), {
        organisationId: parseOptionalId("organisation_id", req.organisationId),
        nameContains: parseOptionalText("name_contains", req.nameContains, 100),
        limit: parsePageSize(req.pageSize, 50, 100),
      });
      return { principals: owners.map(principalToProto) };
    },

    async listValidators(_req, ctx) {
      const overview = await listValidators(deps, callerOf(ctx));
      return { headSeq: overview.headSeq, validators: overview.validators.map(validatorToProto) };
    },
    async listAuditEvents(req, ctx) {
      const found = await listNamedAuditEvents(deps, callerOf(ctx), parseListAuditEvents(req));
      return { events: found.items.map((named) => auditEventToProto(named.row, named)), nextPageToken: found.nextPageToken };
    },
  };
}
