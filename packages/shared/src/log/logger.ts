import { pino, type Logger } from "pino";

export type { Logger } from "pino";

// A safety net; the rule is never to hand a secret to the logger. `*` spans one
// level only (`{ a: { b: { token } } }` is NOT redacted), so logger.test.ts pins these.
export const secretPaths = [
  "token",
  "*.token",
  "tokenValue",
  "*.tokenValue",
  "password",
  "*.password",
  "pepper",
  "*.pepper",
  "authorization",
  "*.authorization",
  "*.headers.authorization",
  'req.headers["x-tessera-token"]',
];

/** A JSON logger bound to one service, with secrets censored by path. */
export function createLogger(level: string, service: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service }, redact: { paths: secretPaths, censor: "[redacted]" } }, destination);
}
