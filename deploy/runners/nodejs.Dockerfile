# syntax=docker/dockerfile:1
# The nodejs function runner, for functions run as Kubernetes workloads (functions.runtime=kubernetes).
# The runner is one file with no dependencies; the function's code and its image's node_modules are
# mounted read-only by the functions service (see README.md).
#   docker build -f deploy/runners/nodejs.Dockerfile -t dispatch-runner-nodejs .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE}
RUN groupadd --system --gid 10001 dispatch \
 && useradd --system --uid 10001 --gid dispatch --no-create-home dispatch
COPY libs/runtime/runners/nodejs/runner.mjs /opt/dispatch/runner/runner.mjs
ENV NODE_ENV=production \
    DISPATCH_RUNNER_PORT=8080 \
    DISPATCH_FUNCTION_CODE_DIR=/function/code
USER 10001:10001
EXPOSE 8080
STOPSIGNAL SIGTERM
# The heap follows the function's memory setting, as for a runner process in solo.
CMD ["sh", "-c", "exec node --max-old-space-size=${DISPATCH_RUNNER_MEMORY_MB:-256} /opt/dispatch/runner/runner.mjs"]
