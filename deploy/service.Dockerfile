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
# `npm ci` installs the lockfile's versions, patches them, and its `prepare` builds every project
# (tsc -b). Behind a TLS-inspecting proxy, pass its CA for this stage only: a file mounted at build
# time, and its path.
ARG NODE_EXTRA_CA_CERTS
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf apps/*/src libs/*/src

# None of these services runs functions, so none loads the Kubernetes client (a quarter of the
# dependencies): only the functions service, in deploy/toolchains.Dockerfile, has it.
FROM build AS dependencies
RUN rm -rf node_modules/@kubernetes

# Run: the production dependencies, the built libraries and the one service, as an unprivileged user.
FROM ${NODE_IMAGE}
ARG SERVICE
ENV NODE_ENV=production \
    DISPATCH_HOST=0.0.0.0 \
    DISPATCH_DATA_DIR=/var/lib/dispatch
WORKDIR /app
# bubblewrap and slirp4netns: the sandbox the events service runs event-driver programs in.
RUN test -n "${SERVICE}" || (echo "--build-arg SERVICE=<service> is required" && exit 1) \
 && apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap slirp4netns util-linux iproute2 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 dispatch \
 && useradd --system --uid 10001 --gid dispatch --home-dir /app dispatch \
 && mkdir -p /var/lib/dispatch && chown dispatch:dispatch /var/lib/dispatch
COPY --from=build /src/package.json ./
COPY --from=dependencies /src/node_modules ./node_modules
COPY --from=build /src/libs ./libs
COPY --from=build /src/apps/${SERVICE} ./apps/${SERVICE}
RUN ln -s "apps/${SERVICE}/dist/main.js" main.js && test -f main.js
USER 10001:10001
# SIGTERM stops it gracefully: calls in flight finish, then the store and bus close.
STOPSIGNAL SIGTERM
CMD ["node", "main.js"]
