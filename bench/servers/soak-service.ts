// token-admin or token-validator for bench/soak.ts: the real service from source,
// in a process started with --expose-gc, answering the soak's questions over IPC
// (heap after a full GC; the replica's sizes). `node --expose-gc --import tsx soak-service.ts admin|validator`.
import { createLogger } from "@tessera/shared/log/logger";
import { loadAdminConfig } from "../../services/token-admin/src/config.js";
import { startTokenAdmin } from "../../services/token-admin/src/start-token-admin.js";
import { loadValidatorConfig } from "../../services/token-validator/src/config.js";
import { startTokenValidator, type RunningValidator } from "../../services/token-validator/src/start-token-validator.js";

const role = process.argv[2];
const send = (message: unknown) => process.send!(message);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("start with --expose-gc");

let validator: RunningValidator | undefined;
let close: () => Promise<void>;
if (role === "admin") {
  const config = loadAdminConfig();
  const admin = await startTokenAdmin(config, createLogger("warn", "token-admin"));
  close = () => admin.close();
  // The built-in admin's token goes to the parent only, over IPC (never printed).
  send({ ready: true, port: admin.port, adminToken: admin.bootstrapped?.adminToken });
} else {
  const config = loadValidatorConfig();
  validator = await startTokenValidator(config, createLogger("warn", "token-validator"));
  close = () => validator!.close();
  send({ ready: true, grpcPort: validator.grpcPort, httpPort: validator.httpPort });
}

process.on("message", (message: { ask: string }) => {
  if (message.ask === "sample") {
    gc();
    gc(); // a second pass collects what the first one's finalisers released
    const replica = validator?.follower.replica;
    send({
      // The replica's table lives in array buffers, outside the JS heap: counted with it.
      heapUsed: process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers,
      rss: process.memoryUsage().rss,
      replica: replica && {
        tokens: replica.tokenCount,
        retained: replica.retainedCount,
        byDigest: replica.table.indexed,
        principals: replica.principals.size,
        strings: replica.cacheSizes.holders,
        scopeLists: replica.cacheSizes.scopeSets,
      },
    });
  } else if (message.ask === "stop") {
    void close().then(() => process.exit(0));
  }
});
