#!/usr/bin/env node
// Jaeger (v2, on the OpenTelemetry Collector) as the trace receiver of tests and of a look on a laptop:
// spans arrive over OTLP/HTTP and are read back through Jaeger's query API, kept in memory. Built once
// from its Go module (tools/jaeger) into ~/.cache/dispatch/bin/jaeger-<version>.
// `node tools/jaeger.js prepare DIR HOST OTLP_PORT QUERY_PORT` writes DIR/jaeger.yaml and prints the
// command line that serves it, as JSON; `node tools/jaeger.js build` only builds it.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILD_CACHE } from './lib/daemon.js';
import { goBuild } from './lib/go-build.js';

const JAEGER_VERSION = 'v1.76.0';
export const JAEGER = join(BUILD_CACHE, 'bin', `jaeger-${JAEGER_VERSION}`, 'jaeger');

/** The binary, built when missing (about five minutes on two cores, once per machine). */
export function ensureJaeger() {
  if (!existsSync(JAEGER))
    goBuild('jaeger', ['github.com/jaegertracing/jaeger/cmd/jaeger'], join(JAEGER, '..'));
  return JAEGER;
}

/**
 * Jaeger's configuration (the Collector's YAML; JSON is YAML): an OTLP/HTTP receiver, spans batched for
 * at most 100 ms (a test reads them back soon after), kept in memory, and the query API (HTTP and its
 * gRPC twin, on the next port). Nothing else listens: no metrics, health or sampling ports.
 */
export function jaegerConfig({ host, otlpPort, queryPort }) {
  return {
    service: {
      extensions: ['jaeger_storage', 'jaeger_query'],
      pipelines: {
        traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] },
      },
      telemetry: { metrics: { level: 'none' }, traces: { level: 'none' }, logs: { level: 'warn' } },
    },
    extensions: {
      jaeger_storage: { backends: { memory_store: { memory: { max_traces: 100000 } } } },
      jaeger_query: {
        storage: { traces: 'memory_store' },
        http: { endpoint: `${host}:${queryPort}` },
        grpc: { endpoint: `${host}:${queryPort + 1}` },
      },
    },
    receivers: { otlp: { protocols: { http: { endpoint: `${host}:${otlpPort}` } } } },
    processors: { batch: { timeout: '100ms' } },
    exporters: { jaeger_storage_exporter: { trace_storage: 'memory_store' } },
  };
}

/** Writes DIR/jaeger.yaml and gives the command line that serves it. */
export function prepare({ dir, host, otlpPort, queryPort }) {
  const command = ensureJaeger();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'jaeger.yaml');
  writeFileSync(file, JSON.stringify(jaegerConfig({ host, otlpPort, queryPort }), null, 2));
  return { command, args: ['--config', file] };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [verb, dir, host, otlpPort, queryPort] = process.argv.slice(2);
  if (verb === 'build') {
    console.log(ensureJaeger());
  } else if (verb === 'prepare' && dir && host && otlpPort && queryPort) {
    const ports = { otlpPort: Number(otlpPort), queryPort: Number(queryPort) };
    console.log(JSON.stringify(prepare({ dir, host, ...ports })));
  } else {
    console.error('usage: node tools/jaeger.js build | prepare DIR HOST OTLP_PORT QUERY_PORT');
    process.exit(2);
  }
}
