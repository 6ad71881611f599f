# syntax=docker/dockerfile:1
# The python3 function runner, for functions run as Kubernetes workloads (functions.runtime=kubernetes).
# The runner uses the standard library only; the function's code and its image's site-packages (built by
# the images service with the same Python 3.11) are mounted read-only by the functions service.
#   docker build -f deploy/runners/python3.Dockerfile -t dispatch-runner-python3 .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 dispatch \
 && useradd --system --uid 10001 --gid dispatch --no-create-home dispatch
COPY libs/runtime/runners/python3/runner.py /opt/dispatch/runner/runner.py
ENV PYTHONDONTWRITEBYTECODE=1 \
    DISPATCH_RUNNER_PORT=8080 \
    DISPATCH_FUNCTION_CODE_DIR=/function/code
USER 10001:10001
EXPOSE 8080
STOPSIGNAL SIGTERM
CMD ["python3", "-u", "/opt/dispatch/runner/runner.py"]
