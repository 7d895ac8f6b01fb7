import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests import the TypeScript sources directly; spawned services run the build
// (`npm test` builds first), as they would in production.
const source = (dir: string) => fileURLToPath(new URL(`./${dir}/src/$1`, import.meta.url));
const alias = [
  { find: /^@tessera\/shared\/(.*)$/, replacement: source("packages/shared") },
  { find: /^@tessera\/token-admin\/(.*)$/, replacement: source("services/token-admin") },
  { find: /^@tessera\/token-validator\/(.*)$/, replacement: source("services/token-validator") },
  { find: /^@tessera\/client$/, replacement: fileURLToPath(new URL("./packages/client/src/index.ts", import.meta.url)) },
  { find: /^@tessera\/client\/(.*)$/, replacement: fileURLToPath(new URL("./packages/client/src/$1.ts", import.meta.url)) },
  { find: /^@tessera\/test-support\/(.*)$/, replacement: fileURLToPath(new URL("./test/support/$1", import.meta.url)) },
];

export default defineConfig({
  resolve: { alias },
  test: {
    // Generous: many tests start real services (an embedded start initialises PGlite, WASM, which takes
    // seconds on a quiet machine and tens of seconds on a loaded one). Bounds under test are counted inside
    // the tests, never by these timeouts.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "integration", include: ["test/**/*.test.ts"] },
      },
    ],
  },
});
