# One image for both services; the command picks which one runs. Built without Docker
# on every CI run by test/image/dockerfile-steps.ts: RUN paths stay relative to WORKDIR.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages ./packages
COPY services ./services
COPY apps ./apps
RUN npm ci --no-fund --no-audit && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
# The data folder (the built-in admin's token file with DATABASE_URL; everything embedded) where the node user may write.
ENV NODE_ENV=production TESSERA_HOST=0.0.0.0 TESSERA_DATA_DIR=/app/.tessera
# glibc asks for transparent huge pages for its large allocations where the kernel's THP mode is
# "madvise" (under "always" the kernel uses them unasked): a validator loading its snapshot spends much of
# the load on first touches of memory, and a 1 M-token load measured 15-30 % faster (docs/replica.md,
# "First touches of memory"). token-admin's snapshot cache is allocated the same way.
ENV GLIBC_TUNABLES=glibc.malloc.hugetlb=1
COPY --from=build /app /app
# The non-root user's own folder (TESSERA_DATA_DIR, `.tessera`): without DATABASE_URL the
# store (PGlite) and its generated pepper live here; with it, the admin token file does.
RUN mkdir -p .tessera && chown node:node .tessera && chmod 700 .tessera
VOLUME /app/.tessera
USER node
EXPOSE 8080 9090 9191
# exec form: the service is PID 1's only child and gets the SIGTERM itself.
CMD ["node", "services/token-admin/dist/main.js"]
