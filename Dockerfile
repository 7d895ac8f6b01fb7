# One image for both services; the command picks which one runs.
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
ENV NODE_ENV=production TESSERA_HOST=0.0.0.0 TESSERA_DATA_DIR=/home/node/.tessera
COPY --from=build /app /app
USER node
EXPOSE 8080 9090 9191
CMD ["node", "services/token-admin/dist/main.js"]
