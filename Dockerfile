# syntax=docker/dockerfile:1
# Parley: built in one stage (dependencies, the Prisma client, `npm run build`), shipped as plain JavaScript (dist/)
# with production dependencies only (no tsx, no esbuild): no compiler loads or runs beside the server. Non-root,
# migrations applied at start. Node 24 LTS, the runtime .ci/run also tests.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts codegen.ts schema.graphql ./
COPY scripts/no-schema-engine.sh ./scripts/
# Full install: the Prisma client is generated at install time, and the build needs TypeScript.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/
COPY src ./src
# Then drop dev dependencies (tsx, esbuild, the test tools) from what the image ships.
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json prisma.config.ts ./
COPY prisma ./prisma
COPY web ./web
# flock(1) (util-linux, in every Debian image) backs the embedded database's directory lock (src/db/dir-lock.ts).
RUN command -v flock >/dev/null && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The server applies pending migrations itself before it listens. Stack traces name the .ts lines (source maps).
CMD ["node", "--enable-source-maps", "dist/main.js"]
