import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { adminClient, eventually, validatorClient, type ValidatorClient } from "./clients.js";

export interface SliceResult {
  /** Token values minted during the slice: they must appear in no log line. */
  readonly values: string[];
}

/**
 * The walking skeleton's slice, against any running deployment: create a token,
 * see every validator accept it, revoke it, see every validator refuse it within
 * the bound; wrong scope, malformed token and unauthenticated calls on the way.
 */
export async function runTokenSlice(adminPort: number, adminToken: string, validatorPorts: number[]): Promise<SliceResult> {
  const admin = adminClient(adminPort, adminToken);
  const validators: ValidatorClient[] = validatorPorts.map((port) => validatorClient(port));
  try {
    const created = await admin.createToken({ name: "slice", scopes: ["orders:read"], expiry: { kind: { case: "after", value: { amount: 1, unit: 2 } } } });
    const value = created.tokenValue;
    expect(created.token?.displayHint).toBe(`tsr_pat_…${value.slice(-4)}`);

    const allSay = (code: ValidationCode, scope = "orders:read") => async () =>
      (await Promise.all(validators.map((v) => v.validate(value, scope)))).every((r) => r.code === code);
    await eventually(allSay(ValidationCode.VALID), 1000);
    for (const v of validators) {
      const answer = await v.validate(value, "orders:read");
      expect(answer).toMatchObject({ valid: true, tokenId: created.token?.id, ownerId: created.token?.ownerId, scopes: ["orders:read"] });
      expect(answer.seq).toBeGreaterThan(0n);
      expect(answer.expireTime).toBeDefined();
      expect((await v.validate(value, "orders:write")).code).toBe(ValidationCode.INSUFFICIENT_SCOPE);
      expect((await v.validate(`${value.slice(0, -1)}${value.endsWith("0") ? "1" : "0"}`)).code).toBe(ValidationCode.MALFORMED);
    }

    await expect(adminClient(adminPort).listTokens({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    await expect(adminClient(adminPort, "tsr_pat_not-a-real-token").listTokens({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    await expect(adminClient(adminPort, value).listTokens({})).rejects.toMatchObject({ code: Code.PermissionDenied });

    const revoked = await admin.revokeToken({ tokenId: created.token!.id });
    await eventually(allSay(ValidationCode.REVOKED), 5000, 2);
    expect(revoked.token?.revokeTime).toBeDefined();
    expect((await validators[0]!.validate(value, "orders:read")).seq).toBeGreaterThanOrEqual(revoked.seq);

    // Acknowledged revocation: the call returns once every live validator has applied it.
    const second = await admin.createToken({ name: "slice-acknowledged", scopes: ["orders:read"] });
    await eventually(async () => (await validators[0]!.validate(second.tokenValue)).valid, 1000);
    const acknowledged = await admin.revokeToken({ tokenId: second.token!.id, awaitValidators: { seconds: 5n } });
    expect(acknowledged.acknowledgement).toMatchObject({ applied: validators.length, live: validators.length, complete: true });
    for (const v of validators) expect((await v.validate(second.tokenValue)).code).toBe(ValidationCode.REVOKED);
    return { values: [value, second.tokenValue] };
  } finally {
    for (const v of validators) v.close();
  }
}

/**
 * Revokes `trials` fresh tokens one after another and returns every delay from
 * RevokeToken returning to all validators answering REVOKED that exceeded
 * `boundMs`: the promise is kept when the list is empty.
 */
export async function lateDenials(adminPort: number, adminToken: string, validatorPorts: number[], trials: number, boundMs: number): Promise<number[]> {
  const admin = adminClient(adminPort, adminToken);
  const validators = validatorPorts.map((port) => validatorClient(port));
  const late: number[] = [];
  try {
    for (let trial = 0; trial < trials; trial++) {
      const created = await admin.createToken({ name: `revoke trial ${trial}`, scopes: ["orders:read"] });
      const allSay = (code: ValidationCode) => async () => (await Promise.all(validators.map((v) => v.validate(created.tokenValue)))).every((r) => r.code === code);
      await eventually(allSay(ValidationCode.VALID), 5000);
      await admin.revokeToken({ tokenId: created.token!.id });
      const denyMs = await eventually(allSay(ValidationCode.REVOKED), 5000, 2);
      if (denyMs > boundMs) late.push(denyMs);
    }
    return late;
  } finally {
    for (const v of validators) v.close();
  }
}

/** An RPC's failure code, for asserting on rejected promises. */
export function codeOf(err: unknown): Code | undefined {
  return err instanceof ConnectError ? err.code : undefined;
}
