import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { adminClient, type AdminClient } from "./clients.js";

/** A principal of the world with an admin-option token of its own and a client that uses it. */
export interface Person {
  readonly id: string;
  readonly name: string;
  /** An admin-option token: lets the person call the admin API with its role. */
  readonly token: string;
  readonly client: AdminClient;
}

/**
 * Two organisations to test reach and isolation:
 * acme (groups "red" and "blue": an org admin, a red group admin, two red
 * members, a blue member) and globex (an org admin, a member).
 */
export interface World {
  readonly admin: AdminClient;
  readonly acme: { readonly id: string; readonly red: string; readonly blue: string };
  readonly globex: { readonly id: string };
  readonly orgAdmin: Person;
  readonly redAdmin: Person;
  readonly redMember: Person;
  readonly redPeer: Person;
  readonly blueMember: Person;
  readonly globexAdmin: Person;
  readonly globexMember: Person;
}

export const worldPermissions = ["orders:read", "orders:write", "invoices:read"];

let counter = 0;

/** Builds the world through the real admin API, as the built-in admin. */
export async function buildWorld(server: RunningAdmin): Promise<World> {
  const admin = adminClient(server.port, server.bootstrapped!.adminToken);
  const suffix = `${Date.now().toString(36)}${counter++}`;
  const acme = (await admin.createOrganisation({ name: `acme-${suffix}` })).organisation!;
  const globex = (await admin.createOrganisation({ name: `globex-${suffix}` })).organisation!;
  const red = (await admin.createGroup({ organisationId: acme.id, name: "red" })).group!;
  const blue = (await admin.createGroup({ organisationId: acme.id, name: "blue" })).group!;

  const person = async (organisationId: string, name: string, role: Role, groupId = ""): Promise<Person> => {
    const principal = (await admin.createPrincipal({ organisationId, groupId, name, kind: PrincipalKind.HUMAN, role, permissions: worldPermissions })).principal!;
    const token = (await admin.createToken({ name: `${name} admin token`, ownerId: principal.id, scopes: worldPermissions, admin: true })).tokenValue;
    return { id: principal.id, name, token, client: adminClient(server.port, token) };
  };
  return {
    admin,
    acme: { id: acme.id, red: red.id, blue: blue.id },
    globex: { id: globex.id },
    orgAdmin: await person(acme.id, "olivia", Role.ORG_ADMIN),
    redAdmin: await person(acme.id, "rita", Role.GROUP_ADMIN, red.id),
    redMember: await person(acme.id, "rob", Role.MEMBER, red.id),
    redPeer: await person(acme.id, "rose", Role.MEMBER, red.id),
    blueMember: await person(acme.id, "bert", Role.MEMBER, blue.id),
    globexAdmin: await person(globex.id, "greta", Role.ORG_ADMIN),
    globexMember: await person(globex.id, "gus", Role.MEMBER),
  };
}
