import { createHmac } from "node:crypto";

/** Turns a token value into the HMAC-SHA256 digest that is stored and looked up. */
export type Digester = (tokenValue: string) => Buffer;

/**
 * A digester keyed by the pepper. The pepper never leaves this closure; without
 * it a stolen database cannot be used to test guessed tokens.
 */
export function createDigester(pepper: string): Digester {
  const key = Buffer.from(pepper, "utf8");
  return (tokenValue) => createHmac("sha256", key).update(tokenValue, "latin1").digest();
}
