# syntax=docker/dockerfile:1
# One Dispatch service of the distributed shape: identity, secrets, events or api-gateway (functions and
# images have deploy/toolchains.Dockerfile, with the language toolchains they run tenants' code with).
#   docker build -f deploy/service.Dockerfile --build-arg SERVICE=identity -t dispatch-identity .
ARG NODE_IMAGE=node:20-bookworm-slim

# Build: the workspace installed from the lockfile and built with Nx (tsc), then cut down to what runs.
FROM ${NODE_IMAGE} AS build
# The same for every service (no argument of its own), so one build serves all of them: a builder with
# a layer cache (podman, buildah, BuildKit) runs it once for the six images.
WORKDIR /src
COPY package.json package-lock.json nx.json tsconfig.base.json tsconfig.build.json ./
# Fixes to dependencies, applied by `postinstall` (patch-package); patches/README.md says why each.
COPY patches ./patches
COPY apps ./apps
COPY libs ./libs
COPY deploy/trace-service.mjs ./deploy/
# `npm ci` installs the lockfile's versions, patches them, and its `prepare` builds every project
# (tsc -b). Then each service's files are traced from its main.js (deploy/trace-service.mjs) into
# /out/<service>: only what it loads, not the whole workspace's dependencies. Behind a TLS-inspecting
# proxy, pass its CA for this stage only: a file mounted at build time, and its path.
ARG NODE_EXTRA_CA_CERTS
RUN npm ci --no-audit --no-fund \
 && for service in identity secrets events api-gateway functions images; do \
      node deploy/trace-service.mjs "${service}" "/out/${service}" || exit 1; \
    done

# Run: the one service's traced files (its code, the libraries and dependencies it loads), as an
# unprivileged user.
FROM ${NODE_IMAGE}
ARG SERVICE
ENV NODE_ENV=production \
    DISPATCH_HOST=0.0.0.0 \
    DISPATCH_DATA_DIR=/var/lib/dispatch
WORKDIR /app
# bubblewrap and slirp4netns: the sandbox the events service runs event-driver programs in (the other
# three run no tenant's program, so they go without).
RUN test -n "${SERVICE}" || (echo "--build-arg SERVICE=<service> is required" && exit 1) \
 && if [ "${SERVICE}" = events ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends bubblewrap slirp4netns util-linux iproute2 \
      && apt-get clean && rm -rf /var/lib/apt/lists/*; \
    fi \
 && groupadd --system --gid 10001 dispatch \
 && useradd --system --uid 10001 --gid dispatch --home-dir /app dispatch \
 && mkdir -p /var/lib/dispatch && chown dispatch:dispatch /var/lib/dispatch
COPY --from=build /out/${SERVICE} ./
RUN ln -s "apps/${SERVICE}/dist/main.js" main.js && test -f main.js
USER 10001:10001
# SIGTERM stops it gracefully: calls in flight finish, then the store and bus close.
STOPSIGNAL SIGTERM
CMD ["node", "main.js"]
