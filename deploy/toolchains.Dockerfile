# syntax=docker/dockerfile:1
# The services that run tenants' code with the language toolchains: functions (the nodejs, python3 and
# java runners in processes of its own pod) and images (pip, npm and Maven builds). Their images carry
# Python 3 and a JDK with Maven, and the sandbox everything a tenant sends runs in (bubblewrap,
# slirp4netns).
#   docker build -f deploy/toolchains.Dockerfile --build-arg SERVICE=functions -t dispatch-functions .
ARG NODE_IMAGE=node:20-bookworm-slim

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
    DISPATCH_DATA_DIR=/var/lib/dispatch \
    XDG_CACHE_HOME=/opt/dispatch/cache
RUN (test "${SERVICE}" = functions || test "${SERVICE}" = images \
      || (echo "--build-arg SERVICE=functions or SERVICE=images is required" && exit 1)) \
 && apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv openjdk-17-jdk-headless maven \
    bubblewrap slirp4netns util-linux iproute2 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 dispatch \
 && useradd --system --uid 10001 --gid dispatch --home-dir /app dispatch \
 && mkdir -p /var/lib/dispatch /opt/dispatch/cache && chown dispatch:dispatch /var/lib/dispatch
WORKDIR /app
COPY --from=build /out/${SERVICE} ./
RUN ln -s "apps/${SERVICE}/dist/main.js" main.js && test -f main.js
# The java runner is compiled once here, not on the first java function of every pod (Maven's trust
# store passed as for the build stage's CA).
ARG MAVEN_OPTS
RUN node --input-type=module -e "import('@dispatch/runtime').then((r) => r.prepareJavaRunner())" \
 && chmod -R a+rX /opt/dispatch/cache
USER 10001:10001
STOPSIGNAL SIGTERM
CMD ["node", "main.js"]
