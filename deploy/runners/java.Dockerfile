# syntax=docker/dockerfile:1
# The java function runner, for functions run as Kubernetes workloads (functions.runtime=kubernetes).
# Two stages: Maven builds the runner jar and copies its dependencies (Jackson), and jlink makes a Java
# runtime of the Java SE modules (and the JDK's few that libraries commonly use), a third of a full
# JRE's size; then a plain Debian runs it. The function's compiled classes and its image's jars are
# mounted read-only by the functions service.
#   docker build -f deploy/runners/java.Dockerfile -t dispatch-runner-java .
ARG MAVEN_IMAGE=maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${MAVEN_IMAGE} AS build
WORKDIR /src
COPY libs/runtime/runners/java/pom.xml ./pom.xml
COPY libs/runtime/runners/java/src ./src
# Behind a TLS-inspecting proxy, pass Maven a trust store holding its CA (mounted for the build only).
ARG MAVEN_OPTS
RUN mvn -q -B package dependency:copy-dependencies -DoutputDirectory=target/lib
RUN jlink --add-modules java.se,jdk.crypto.ec,jdk.unsupported,jdk.zipfs,jdk.charsets,jdk.localedata,jdk.net,jdk.httpserver \
      --strip-java-debug-attributes --no-man-pages --no-header-files --compress=2 --output /opt/java

FROM ${RUNTIME_IMAGE}
COPY --from=build /opt/java /opt/java
ENV PATH=/opt/java/bin:${PATH}
RUN java -version \
 && groupadd --system --gid 10001 dispatch \
 && useradd --system --uid 10001 --gid dispatch --no-create-home dispatch
COPY --from=build /src/target/dispatch-java-runner.jar /opt/dispatch/runner/dispatch-java-runner.jar
COPY --from=build /src/target/lib /opt/dispatch/runner/lib
ENV DISPATCH_RUNNER_PORT=8080 \
    DISPATCH_FUNCTION_CODE_DIR=/function/code
USER 10001:10001
EXPOSE 8080
STOPSIGNAL SIGTERM
# The heap follows the container's memory limit; startup flags as for a runner process in solo.
CMD ["java", "-XX:MaxRAMPercentage=75", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", \
     "-Duser.home=/tmp", "-cp", "/opt/dispatch/runner/dispatch-java-runner.jar:/opt/dispatch/runner/lib/*", \
     "io.dispatch.runner.Runner"]
