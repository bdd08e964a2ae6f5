# syntax=docker/dockerfile:1
# Spillway's image: one `spillway` binary for every component (router, sink, agent, monitor,
# topics, dlq, lag, config); docker-compose.yml picks the subcommand per service.
#
# Why the app lives in /app and not in node_modules: Spillway ships TypeScript sources that
# Node runs with its built-in type stripping (no build step), and Node refuses to strip
# types from files under node_modules (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING). So the
# image does not `npm install spillway`; it copies the source tree to /app and installs only
# the runtime dependencies next to it. Code inside /app (examples/sample-service.ts)
# imports `spillway/pino` through the package's self-reference ("exports" in package.json).

# Pinned exactly: the Node that the project's own setup installs (.spillway/node), slim Debian.
FROM node:24.21.0-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies only, exactly as locked. None of them needs an install script, so
# none runs (the scripts with one are test-only: testcontainers' ssh/grpc helpers).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:24.21.0-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# Sources; .dockerignore keeps out tests, benches, docs, local state and the stack's jars.
COPY . .
# `spillway` on PATH, and the data directories the compose file mounts volumes on, owned by
# the unprivileged user (a fresh named volume takes the ownership of the directory it covers).
RUN ln -s /app/bin/spillway.js /usr/local/bin/spillway \
  && mkdir -p /var/lib/spillway/spool /var/lib/spillway/archive /var/log/sample \
  && chown -R node:node /var/lib/spillway /var/log/sample
# The node image's unprivileged user (uid 1000); nothing here needs root.
USER node
ENTRYPOINT ["spillway"]
CMD ["--help"]
