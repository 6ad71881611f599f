# syntax=docker/dockerfile:1
# One Dispatch service of the distributed shape: identity, secrets, events or api-gateway (functions and
# images have deploy/toolchains.Dockerfile, with the language toolchains they run tenants' code with).
#   docker build -f deploy/service.Dockerfile --build-arg SERVICE=identity -t dispatch-identity .
ARG NODE_IMAGE=node:20-bookworm-slim

# Build: the workspace installed from the lockfile and built with Nx (tsc), then cut down to what runs.
FROM ${NODE_IMAGE} AS build
ARG SERVICE
RUN test -n "${SERVICE}" || (echo "--build-arg SERVICE=<service> is required" && exit 1)
WORKDIR /src
COPY package.json package-lock.json nx.json tsconfig.base.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
COPY tools ./tools
# `prepare` builds every project; the service's own target then proves its build is complete.
RUN npm install --no-audit --no-fund \
 && npx nx run "service-${SERVICE}:build" \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf apps/*/src libs/*/src tools \
 && ln -s "apps/${SERVICE}/dist/main.js" main.js

# Run: the production dependencies, the built libraries and the one service, as an unprivileged user.
FROM ${NODE_IMAGE}
ARG SERVICE
ENV NODE_ENV=production \
    DISPATCH_HOST=0.0.0.0 \
    DISPATCH_DATA_DIR=/var/lib/dispatch
WORKDIR /app
# bubblewrap and slirp4netns: the sandbox the events service runs event-driver programs in.
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap slirp4netns util-linux iproute2 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 dispatch \
 && useradd --system --uid 10001 --gid dispatch --home-dir /app dispatch \
 && mkdir -p /var/lib/dispatch && chown dispatch:dispatch /var/lib/dispatch
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/libs ./libs
COPY --from=build /src/apps/${SERVICE} ./apps/${SERVICE}
COPY --from=build /src/main.js ./main.js
USER 10001:10001
# SIGTERM stops it gracefully: calls in flight finish, then the store and bus close.
STOPSIGNAL SIGTERM
CMD ["node", "main.js"]
