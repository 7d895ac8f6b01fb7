import { Writable } from "node:stream";
import { createLogger, type Logger } from "@tessera/shared/log/logger";

export interface CapturedLog {
  readonly log: Logger;
  /** Every line written so far. */
  readonly lines: string[];
}

/** A service logger at its most talkative level, writing into memory so a test can read every line. */
export function captureLog(service: string): CapturedLog {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger("trace", service, stream), lines };
}
