import type { Readable, Writable } from "node:stream";

/** Where the CLI reads and writes: the process's streams, or a test's. */
export interface CliIo {
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
}
