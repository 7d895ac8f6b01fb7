import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { HeaderValueOption_HeaderAppendAction as AppendAction } from "@tessera/shared/gen/envoy/config/core/v3/base_pb";
import { CheckResponseSchema } from "@tessera/shared/gen/envoy/service/auth/v3/external_auth_pb";
import { allowedResponseWriter } from "./check-response-writer.js";

const names = { tokenId: "x-tessera-token-id", owner: "x-tessera-owner-id", organisation: "x-tessera-organisation-id", scopes: "x-tessera-scopes" };
const set = (key: string, value: string) => ({ header: { key, value }, appendAction: AppendAction.OVERWRITE_IF_EXISTS_OR_ADD });

describe("allowedResponseWriter", () => {
  const write = allowedResponseWriter(names, ["authorization", "cookie"]);

  it("writes the bytes toBinary writes for the generated message", () => {
    const expected = create(CheckResponseSchema, {
      status: { code: 0 },
      httpResponse: {
        case: "okResponse",
        value: { headers: [set(names.tokenId, "t-1"), set(names.owner, "o-ü"), set(names.organisation, "org"), set(names.scopes, "a:b c:d")], headersToRemove: ["authorization", "cookie"] },
      },
    });
    expect(Buffer.from(write("t-1", "o-ü", "org", "a:b c:d"))).toEqual(Buffer.from(toBinary(CheckResponseSchema, expected)));
    // Reusing the writer leaves nothing of the previous answer behind.
    expect(Buffer.from(write("t-1", "o-ü", "org", "a:b c:d"))).toEqual(Buffer.from(toBinary(CheckResponseSchema, expected)));
  });

  it("writes the same bytes for values long enough to need two-byte lengths, nested", () => {
    const long = "x".repeat(200);
    const scopes = Array.from({ length: 40 }, (_, i) => `orders:read${i}`).join(" ");
    const expected = create(CheckResponseSchema, {
      status: { code: 0 },
      httpResponse: { case: "okResponse", value: { headers: [set(names.tokenId, long), set(names.owner, "ö".repeat(70)), set(names.organisation, "org"), set(names.scopes, scopes)], headersToRemove: ["authorization", "cookie"] } },
    });
    expect(Buffer.from(write(long, "ö".repeat(70), "org", scopes))).toEqual(Buffer.from(toBinary(CheckResponseSchema, expected)));
  });

  it("removes the scopes header rather than sending it empty", () => {
    const expected = create(CheckResponseSchema, {
      status: {},
      httpResponse: { case: "okResponse", value: { headers: [set(names.tokenId, "t"), set(names.owner, "o"), set(names.organisation, "g")], headersToRemove: ["authorization", "cookie", names.scopes] } },
    });
    expect(Buffer.from(write("t", "o", "g", ""))).toEqual(Buffer.from(toBinary(CheckResponseSchema, expected)));
  });
});
