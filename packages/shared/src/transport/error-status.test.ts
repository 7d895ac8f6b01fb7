import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { TesseraError, type ErrorCode } from "../errors/tessera-error.js";
import { toConnectError, toGrpcStatus } from "./error-status.js";

describe("error status mapping", () => {
  const expected: Record<ErrorCode, Code> = {
    invalid_argument: Code.InvalidArgument,
    not_found: Code.NotFound,
    already_exists: Code.AlreadyExists,
    failed_precondition: Code.FailedPrecondition,
    permission_denied: Code.PermissionDenied,
    unauthenticated: Code.Unauthenticated,
    resource_exhausted: Code.ResourceExhausted,
    unavailable: Code.Unavailable,
  };

  it("maps each domain code to its gRPC status, keeping the safe message", () => {
    for (const [code, status] of Object.entries(expected)) {
      const mapped = toConnectError(new TesseraError(code as ErrorCode, `says ${code}`));
      expect(mapped.code).toBe(status);
      expect(mapped.rawMessage).toBe(`says ${code}`);
      expect(toGrpcStatus(new TesseraError(code as ErrorCode, "m")).code).toBe(status);
    }
  });

  it("hides an unexpected error's message behind a bare internal error", () => {
    const mapped = toConnectError(new Error("connection string postgres://user:secret@db"));
    expect(mapped.code).toBe(Code.Internal);
    expect(mapped.rawMessage).toBe("internal error");
    expect(mapped.cause).toBeInstanceOf(Error);
  });

  it("reports an unreachable database as unavailable", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    expect(toConnectError(refused).code).toBe(Code.Unavailable);
    expect(toConnectError(Object.assign(new Error("terminating connection"), { code: "57P01" })).code).toBe(Code.Unavailable);
  });

  it("passes ConnectErrors through", () => {
    const original = new ConnectError("x", Code.Aborted);
    expect(toConnectError(original)).toBe(original);
  });
});
