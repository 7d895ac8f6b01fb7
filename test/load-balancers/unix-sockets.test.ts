import { spawn } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { request as httpsRequest } from "node:https";
import { credentials } from "@grpc/grpc-js";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { loadValidatorConfig } from "@tessera/token-validator/config";
import { validatorClient } from "../support/clients.js";
import { startValidator } from "../support/in-process.js";
import { startEchoUpstream, type EchoUpstream } from "./support/echo-upstream.js";
import { startLoadBalancerDeployment, type IssuedToken, type LoadBalancerDeployment } from "./support/deployment.js";
import type { HttpAnswer } from "./support/http-call.js";
import { httpCall } from "./support/http-call.js";
import { startNginx, type RunningProxy } from "./support/reverse-proxies.js";
import { makeTestCertificates } from "../support/test-certificates.js";

/** One HTTP/1.1 request over a Unix-domain socket. */
function socketCall(socketPath: string, path: string, headers: Record<string, string>): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A socket file whose process died without removing it (SIGKILL): what a crashed sidecar leaves behind. */
async function staleSocketAt(path: string): Promise<void> {
  const child = spawn(process.execPath, ["-e", `require("node:net").createServer().listen(${JSON.stringify(path)}, () => console.log("up"))`], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe("Unix-domain-socket listeners (sidecars)", () => {
  let dir: string;
  let deployment: LoadBalancerDeployment;
  let grpcSocket: string;
  let httpSocket: string;
  let reader: IssuedToken;
  let revoked: IssuedToken;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-uds-"));
    grpcSocket = join(dir, "grpc.sock");
    httpSocket = join(dir, "http.sock");
    // Left by a validator that was killed: removed at start because nothing listens on it.
    await staleSocketAt(grpcSocket);
    expect(lstatSync(grpcSocket).isSocket()).toBe(true);
    deployment = await startLoadBalancerDeployment({ validatorEnv: { TESSERA_VALIDATOR_SOCKET: grpcSocket, TESSERA_VALIDATOR_HTTP_SOCKET: httpSocket } });
    reader = await deployment.issue(["orders:read"]);
    revoked = await deployment.issue(["orders:read"]);
    await deployment.revoke(revoked);
  });

  afterAll(async () => {
    await deployment?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates both sockets with mode 0660 (the default), replacing a stale one", () => {
    expect(deployment.validator.grpcSocket).toBe(grpcSocket);
    expect(deployment.validator.httpSocket).toBe(httpSocket);
    expect(mode(grpcSocket)).toBe(0o660);
    expect(mode(httpSocket)).toBe(0o660);
  });

  it("answers ValidateToken to a grpc-js client over unix:, as over TCP", async () => {
    const overSocket = validatorClient(`unix:${grpcSocket}`);
    const overTcp = validatorClient(deployment.validator.grpcPort);
    try {
      const answer = await overSocket.validate(reader.value, "orders:read");
      expect(answer.code).toBe(ValidationCode.VALID);
      expect(answer.tokenId).toBe(reader.id);
      // The same answer over TCP, but for how long ago the replica was proven current.
      expect({ ...(await overTcp.validate(reader.value, "orders:read")), stalenessMs: 0 }).toEqual({ ...answer, stalenessMs: 0 });
      expect((await overSocket.validate(revoked.value, "orders:read")).code).toBe(ValidationCode.REVOKED);
      expect((await overSocket.validate(reader.value, "orders:write")).code).toBe(ValidationCode.INSUFFICIENT_SCOPE);
    } finally {
      overSocket.close();
      overTcp.close();
    }
  });

  it("answers forward-auth and introspection over the HTTP socket", async () => {
    const ok = await socketCall(httpSocket, "/auth", { authorization: `Bearer ${reader.value}`, "x-original-method": "GET", "x-original-uri": "/orders/1" });
    expect(ok.status).toBe(200);
    expect(ok.headers["x-tessera-token-id"]).toBe(reader.id);
    const refused = await socketCall(httpSocket, "/auth", { authorization: `Bearer ${revoked.value}`, "x-original-method": "GET", "x-original-uri": "/orders/1" });
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toEqual({ code: "revoked" });
    expect((await socketCall(httpSocket, "/ready", {})).status).toBe(200);
    // The TCP port serves as before.
    const overTcp = await httpCall(deployment.validator.httpPort, "/auth", { headers: ["Authorization", `Bearer ${reader.value}`, "X-Original-Method", "GET", "X-Original-URI", "/orders/1"] });
    expect(overTcp.status).toBe(200);
  });

  it("serves real nginx through an upstream at unix:", async () => {
    let upstream: EchoUpstream | undefined;
    let nginx: RunningProxy | undefined;
    try {
      upstream = await startEchoUpstream();
      nginx = await startNginx(`unix:${httpSocket}`, upstream.port);
      const ok = await httpCall(nginx.port, "/orders/7", { headers: ["Authorization", `Bearer ${reader.value}`] });
      expect(ok.status).toBe(200);
      expect(upstream.seen.at(-1)!.headers["x-tessera-token-id"]).toBe(reader.id);
      const refused = await httpCall(nginx.port, "/orders/7", { headers: ["Authorization", `Bearer ${revoked.value}`] });
      expect(refused.status).toBe(401);
    } finally {
      await nginx?.stop();
      await upstream?.close();
    }
  });

  it("refuses to start on a socket another process listens on, and leaves that socket alone", async () => {
    const busy = join(dir, "busy.sock");
    // The validator's probe connects and leaves at once: its reset is expected.
    const other: Server = createServer((socket) => socket.on("error", () => undefined).end("other\n"));
    await new Promise<void>((resolve) => other.listen(busy, resolve));
    try {
      await expect(startValidator({ ...deployment.env, TESSERA_VALIDATOR_SOCKET: busy })).rejects.toThrow(`${busy} is already in use (a process listens on it): set TESSERA_VALIDATOR_SOCKET`);
      expect(lstatSync(busy).isSocket()).toBe(true);
      const greeting = await new Promise<string>((resolve) => {
        const client = connect(busy);
        client.setEncoding("utf8").once("data", (text: string) => (client.destroy(), resolve(text)));
      });
      expect(greeting).toBe("other\n");
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it("refuses a path that holds a file other than a socket, and never deletes it", async () => {
    const file = join(dir, "not-a-socket");
    writeFileSync(file, "keep me");
    await expect(startValidator({ ...deployment.env, TESSERA_VALIDATOR_HTTP_SOCKET: file })).rejects.toThrow(`${file} exists and is not a socket: set TESSERA_VALIDATOR_HTTP_SOCKET to another path`);
    expect(lstatSync(file).isFile()).toBe(true);
  });

  it("sets the mode asked for and removes both sockets on shutdown", async () => {
    const grpc = join(dir, "own-grpc.sock");
    const http = join(dir, "own-http.sock");
    const validator = await startValidator({ ...deployment.env, TESSERA_VALIDATOR_SOCKET: grpc, TESSERA_VALIDATOR_HTTP_SOCKET: http, TESSERA_VALIDATOR_SOCKET_MODE: "0600" });
    expect(mode(grpc)).toBe(0o600);
    expect(mode(http)).toBe(0o600);
    await validator.close();
    expect(existsSync(grpc)).toBe(false);
    expect(existsSync(http)).toBe(false);
  });

  it("speaks TLS on the sockets when the ports do, and nothing else", async () => {
    const certs = await makeTestCertificates();
    const grpc = join(dir, "tls-grpc.sock");
    const http = join(dir, "tls-http.sock");
    const validator = await startValidator({ ...deployment.env, TESSERA_TLS_CERT_FILE: certs.serverCertFile, TESSERA_TLS_KEY_FILE: certs.serverKeyFile, TESSERA_VALIDATOR_SOCKET: grpc, TESSERA_VALIDATOR_HTTP_SOCKET: http });
    const overTls = validatorClient(`unix:${grpc}`, credentials.createSsl(Buffer.from(certs.ca)));
    try {
      expect((await overTls.validate(reader.value, "orders:read")).code).toBe(ValidationCode.VALID);
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpsRequest({ socketPath: http, path: "/ready", ca: certs.ca, servername: "localhost", agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
      expect(status).toBe(200);
      // Cleartext HTTP on the TLS socket gets no answer.
      await expect(socketCall(http, "/ready", {})).rejects.toThrow();
    } finally {
      overTls.close();
      await validator.close();
      certs.remove();
    }
  });

  it("validates the socket settings once, at start, naming each bad one", () => {
    const base = {};
    const problems = (env: Record<string, string>) => {
      try {
        loadValidatorConfig({ ...base, ...env });
        return "";
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(problems({ TESSERA_VALIDATOR_SOCKET: "relative.sock" })).toContain("TESSERA_VALIDATOR_SOCKET: must be an absolute path");
    expect(problems({ TESSERA_VALIDATOR_HTTP_SOCKET: `/tmp/${"x".repeat(120)}.sock` })).toContain("TESSERA_VALIDATOR_HTTP_SOCKET: must be at most 100 bytes");
    expect(problems({ TESSERA_VALIDATOR_SOCKET_MODE: "0888" })).toContain("TESSERA_VALIDATOR_SOCKET_MODE: must be an octal file mode");
    expect(problems({ TESSERA_VALIDATOR_SOCKET_MODE: "4755" })).toContain("TESSERA_VALIDATOR_SOCKET_MODE");
    expect(problems({ TESSERA_VALIDATOR_SOCKET: "/run/t.sock", TESSERA_VALIDATOR_HTTP_SOCKET: "/run/t.sock" })).toContain("TESSERA_VALIDATOR_HTTP_SOCKET: must differ");
    expect(problems({ TESSERA_VALIDATOR_SOCKET: "/run/t.sock", TESSERA_VALIDATOR_HTTP_SOCKET: "/run/h.sock", TESSERA_VALIDATOR_SOCKET_MODE: "640" })).toBe("");
  });
});
