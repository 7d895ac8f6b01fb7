import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// Built into the folder token-admin serves (its dist/console), on token-admin's own origin.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  resolve: {
    // Only the generated admin contract (and what it imports) reaches the bundle.
    alias: { "@tessera/shared/gen": fileURLToPath(new URL("../../packages/shared/src/gen", import.meta.url)) },
  },
  build: {
    outDir: fileURLToPath(new URL("../../services/token-admin/dist/console", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // The polyfill is an inline script, which the strict CSP refuses.
    modulePreload: { polyfill: false },
    // Every asset a file of its own: nothing inlined as a data: URL.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  // `npm run dev -w @tessera/console` against a token-admin on 8080: same origin through the proxy.
  server: { proxy: { "/tessera.v1.TokenAdminService": "http://127.0.0.1:8080" } },
});
