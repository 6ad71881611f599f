# syntax=docker/dockerfile:1
# The functions service: functions, their runs, and the runtimes that run them in processes of its
# own pod (the nodejs, python3 and java runners), so its image carries Python 3 and a JDK with Maven.
#   docker build -f deploy/functions.Dockerfile -t dispatch-functions .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json nx.json tsconfig.base.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
COPY tools ./tools
RUN npm install --no-audit --no-fund \
 && npx nx run service-functions:build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf apps/*/src libs/*/src tools

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    DISPATCH_HOST=0.0.0.0 \
    DISPATCH_DATA_DIR=/var/lib/dispatch \
    XDG_CACHE_HOME=/opt/dispatch/cache
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv openjdk-17-jdk-headless maven \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 dispatch \
 && useradd --system --uid 10001 --gid dispatch --home-dir /app dispatch \
 && mkdir -p /var/lib/dispatch /opt/dispatch/cache && chown dispatch:dispatch /var/lib/dispatch
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/libs ./libs
COPY --from=build /src/apps/functions ./apps/functions
# The java runner is compiled once here, not on the first java function of every pod.
RUN node --input-type=module -e "import('@dispatch/runtime').then((r) => r.prepareJavaRunner())" \
 && chmod -R a+rX /opt/dispatch/cache
USER 10001:10001
STOPSIGNAL SIGTERM
CMD ["node", "apps/functions/dist/main.js"]
