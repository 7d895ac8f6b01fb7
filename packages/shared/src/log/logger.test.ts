import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, log: createLogger("info", "test", stream) };
}

describe("logger", () => {
  it("censors secrets at the paths it knows", () => {
    const { lines, log } = capture();
    const secret = "tsr_pat_SECRETSECRETSECRETSECRETSECRETSECRET";
    log.info({ token: secret, tokenValue: secret, password: secret, pepper: secret }, "top level");
    log.info({ req: { token: secret, password: secret, headers: { authorization: `Bearer ${secret}` } } }, "one level down");
    log.info({ authorization: `Bearer ${secret}` }, "header");
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).not.toContain(secret);
    expect(lines.join("")).toContain("[redacted]");
  });

  it("does not reach two levels down: the rule is never to log a secret at all", () => {
    const { lines, log } = capture();
    log.info({ a: { b: { token: "visible" } } }, "deep");
    expect(lines[0]).toContain("visible");
  });
});
