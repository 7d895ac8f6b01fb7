import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { adminClient, eventually, validatorClient, type AdminClient, type ValidatorClient } from "../support/clients.js";
import { startEmbeddedInProcess, type EmbeddedDeployment } from "../support/embedded-in-process.js";

describe("use sources and self-finishing rotation in embedded mode (PGlite, in-process bus)", () => {
  let e: EmbeddedDeployment;
  let admin: AdminClient;
  let grpc: ValidatorClient;
  beforeAll(async () => {
    e = await startEmbeddedInProcess({ TESSERA_USAGE_FLUSH_MS: "100", TESSERA_USAGE_WRITE_MS: "100", TESSERA_ROTATION_CHECK_MS: "200" });
    admin = adminClient(e.admin.port, e.admin.bootstrapped!.adminToken);
    grpc = validatorClient(e.validator.grpcPort);
  });
  afterAll(async () => {
    grpc?.close();
    await e?.close();
  });

  it("shows where a token was used, then finishes its rotation once the old value goes quiet", async () => {
    const created = await admin.createToken({ name: "embedded", scopes: [] });
    const id = created.token!.id;
    await eventually(async () => (await grpc.validate(created.tokenValue)).valid, 3000);
    await eventually(async () => (await admin.getToken({ tokenId: id })).token!.useSources.length > 0, 5000);
    expect((await admin.getToken({ tokenId: id })).token!.useSources[0]).toMatchObject({ surface: "grpc", address: "127.0.0.1", previousValue: false });

    const rolled = await admin.regenerateToken({ tokenId: id, gracePeriod: { seconds: 600n, nanos: 0 }, quietPeriod: { seconds: 2n, nanos: 0 } });
    expect((await grpc.validate(created.tokenValue)).code).toBe(ValidationCode.VALID); // the old value, in its grace period
    await eventually(async () => (await admin.getToken({ tokenId: id })).token!.useSources.some((s) => s.previousValue), 5000);
    await eventually(async () => (await admin.listAuditEvents({ tokenId: id, action: "token.rotation_finished" })).events.length === 1, 10_000, 100);
    await eventually(async () => (await grpc.validate(created.tokenValue)).code === ValidationCode.REVOKED, 2000);
    expect((await grpc.validate(rolled.tokenValue)).code).toBe(ValidationCode.VALID);
  });
});
