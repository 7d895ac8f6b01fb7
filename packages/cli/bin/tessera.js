#!/usr/bin/env node
// The `tessera` command. A committed file, so that npm links it onto the PATH at
// install time (before `npm run build` has made dist/) and marks it executable.
try {
  await import("../dist/main.js");
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND" || !String(err.message).includes("/cli/dist/main.js")) throw err;
  process.stderr.write("tessera: not built yet: run `npm run build` in the Tessera checkout\n");
  process.exitCode = 2;
}
