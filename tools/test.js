#!/usr/bin/env node
// `npm test`: everything a change must pass, on a fresh machine. Starts the real etcd, Kafka and
// PostgreSQL through tools/ (installing them when missing), then lint, typecheck, unit tests and the
// integration and e2e suites against those servers, through Nx; stops the servers at the end, pass or
// fail.
// `npm test -- --unit` runs only lint, typecheck and unit tests, with no servers.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { aptInstall, log, ROOT } from './lib/daemon.js';
import * as etcd from './etcd.js';
import * as kafka from './kafka.js';
import * as postgres from './postgres.js';
import { ensureJaeger } from './jaeger.js';
import * as k8s from './k8s.js';
import * as kube from './kube.js';
import { ensureSandboxTools } from './sandbox.js';

const unitOnly = process.argv.includes('--unit');

function nx(targets) {
  const res = spawnSync('npx', ['nx', 'run-many', '-t', ...targets, '--output-style=stream'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: process.env,
  });
  return res.status ?? 1;
}

const RESULTS = join(ROOT, '.cache', 'test-results');
rmSync(RESULTS, { recursive: true, force: true });

/**
 * Closing lines over every jest run (Nx restores cached runs' result files too): each failed test with
 * the start of its message, since a CI log is often read from its tail only, then the counts.
 */
function summary() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const file of existsSync(RESULTS) ? readdirSync(RESULTS) : []) {
    const r = JSON.parse(readFileSync(join(RESULTS, file), 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests;
    for (const suite of r.testResults ?? []) {
      if (suite.status === 'failed' && !suite.assertionResults?.length) {
        console.log(`\nFAILED ${file}: ${suite.name}\n  ${(suite.message ?? '').slice(0, 800)}`);
      }
      for (const test of suite.assertionResults ?? []) {
        if (test.status !== 'failed') continue;
        const message = (test.failureMessages ?? []).join('\n').replace(/\x1b\[[0-9;]*m/g, '');
        console.log(
          `\nFAILED ${file}: ${test.fullName}\n  ${message.slice(0, 800).replaceAll('\n', '\n  ')}`,
        );
      }
    }
  }
  console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
}

// The sandbox suites run tenant code as root and as an ordinary user: both need the sandbox's tools.
ensureSandboxTools({ openTun: true });
let status = nx(['lint', 'typecheck', 'test']);
if (status === 0 && !unitOnly) {
  // Servers a developer already had running are used and left running; ones started here are stopped.
  const started = [];
  try {
    // The `containers` shape runs the services in their images with podman, which takes root here; the
    // host's etcd and Kafka then answer containers too, on the host's address for them.
    // The `kubernetes` shape installs the chart on tools/k8s.js's node, which also takes root.
    let shapes = (process.env.E2E_SHAPES ?? 'solo,services,containers,kubernetes').split(',');
    if (process.getuid?.() !== 0 && shapes.some((s) => s === 'containers' || s === 'kubernetes')) {
      log('not root: the e2e suites run without the containers and kubernetes shapes (they need root here)');
      shapes = shapes.filter((shape) => shape !== 'containers' && shape !== 'kubernetes');
    }
    process.env.E2E_SHAPES = shapes.join(',');
    // Pods reach etcd, Kafka and PostgreSQL as containers do.
    const forContainers = shapes.includes('containers') || shapes.includes('kubernetes');
    for (const [server, variable, containerVariable, containerAddress] of [
      [etcd, 'ETCD_ENDPOINTS', 'CONTAINER_ETCD_ENDPOINTS', etcd.containerUrl],
      [kafka, 'KAFKA_BROKERS', 'CONTAINER_KAFKA_BROKERS', kafka.containerBroker],
      [postgres, 'POSTGRES_URL', 'CONTAINER_POSTGRES_URL', postgres.containerUrl],
    ]) {
      if (process.env[variable]) continue;
      if (!server.running()) started.push(server);
      process.env[variable] = await server.start({ containers: forContainers });
      if (forContainers) process.env[containerVariable] = containerAddress;
    }
    // The Kubernetes runtime driver is tested against a real API server on that etcd.
    if (!process.env.KUBECONFIG) {
      if (!kube.running()) started.push(kube);
      process.env.KUBECONFIG = await kube.start();
    }
    // The chart is installed on a real single-node Kubernetes (built once from its Go modules).
    if (shapes.includes('kubernetes') && !process.env.K8S_KUBECONFIG) {
      if (!k8s.running()) started.push(k8s);
      process.env.K8S_KUBECONFIG = await k8s.start();
    }
    // The e2e suites drive a webhook with curl and the services through nginx, as a user's machine would.
    aptInstall('curl', ['curl']);
    // The web console is driven in Debian's Chromium (playwright-core drives it; never a downloaded one).
    aptInstall('chromium', ['chromium']);
    // Traces are read back from a real Jaeger (built once from its Go module, about five minutes).
    ensureJaeger();
    // Loaded only now: it reads the topology table from the libraries the run above built.
    const nginx = await import('./nginx.js');
    nginx.ensureInstalled();
    status = nx(['int-test']);
  } catch (err) {
    log(`could not start the test servers: ${err.message}`);
    status = 1;
  } finally {
    for (const server of started.reverse()) await server.stop();
  }
}
summary();
process.exit(status);
