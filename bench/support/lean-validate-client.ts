import { connect, type ClientHttp2Session } from "node:http2";
import { fromBinary } from "@bufbuild/protobuf";
import { ValidateTokenResponseSchema, type ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { validateTokenBody } from "../grpc-validate.js";

/**
 * ValidateToken over one HTTP/2 session with node:http2 alone: a measuring
 * instrument that costs the bench process less per call than a grpc-js client
 * (about half, and a tail a third as long on two shared cores), so that what
 * it times is mostly the validator's answer rather than its own work.
 */
export interface LeanValidateClient {
  /** The code the validator answers for `token` (no scope asked). */
  code(token: string): Promise<ValidationCode>;
  close(): void;
}

export function leanValidateClient(port: number): LeanValidateClient {
  const session: ClientHttp2Session = connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {}); // a call in flight reports it
  const bodies = new Map<string, Buffer>();
  return {
    code(token) {
      let body = bodies.get(token);
      if (!body) bodies.set(token, (body = validateTokenBody(token, "")));
      return new Promise((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": "/tessera.v1.TokenValidatorService/ValidateToken", "content-type": "application/grpc", te: "trailers" });
        const chunks: Buffer[] = [];
        let status: string | undefined;
        stream.on("trailers", (trailers) => (status = String(trailers["grpc-status"])));
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("error", reject);
        stream.on("end", () => {
          const frame = Buffer.concat(chunks);
          if (status !== "0" || frame.length < 5) return reject(new Error(`ValidateToken answered grpc-status ${status}`));
          resolve(fromBinary(ValidateTokenResponseSchema, frame.subarray(5, 5 + frame.readUInt32BE(1))).code);
        });
        stream.end(body);
      });
    },
    close: () => session.close(),
  };
}
