#!/usr/bin/env node
// Prometheus (Debian's, installed when missing) scraping Dispatch's /metrics, for tests and for a
// look on a laptop. `node tools/prometheus.js prepare DIR PORT JOBS_JSON` writes DIR/prometheus.yml and
// prints the command line that serves it, as JSON; JOBS_JSON is
// `[{"job": "solo", "targets": ["127.0.0.1:8080"], "tokenFile": "~/.dispatch/data/metrics.token"}]`.
// Every job is scraped each second with its bearer token (Dispatch's metrics need one).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { aptInstall } from './lib/daemon.js';

export function ensureInstalled() {
  aptInstall('prometheus', ['prometheus']);
}

/** The configuration: each job's targets, scraped every second with the token in its file. */
export function prometheusConfig(jobs) {
  const scrapes = jobs.map(
    ({ job, targets, tokenFile }) => `  - job_name: ${JSON.stringify(job)}
    scrape_interval: 1s
    authorization:
      type: Bearer
      credentials_file: ${JSON.stringify(tokenFile)}
    static_configs:
      - targets: ${JSON.stringify(targets)}`,
  );
  return `# Written by tools/prometheus.js.
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
${scrapes.join('\n')}
`;
}

/** Writes DIR/prometheus.yml and gives the command line serving it on 127.0.0.1:PORT, data in DIR. */
export function prepare({ dir, port, jobs }) {
  ensureInstalled();
  mkdirSync(join(dir, 'data'), { recursive: true });
  const file = join(dir, 'prometheus.yml');
  writeFileSync(file, prometheusConfig(jobs));
  return {
    command: 'prometheus',
    args: [
      `--config.file=${file}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [verb, dir, port, jobs] = process.argv.slice(2);
  if (verb === 'prepare' && dir && port && jobs) {
    console.log(JSON.stringify(prepare({ dir, port: Number(port), jobs: JSON.parse(jobs) })));
  } else {
    console.error('usage: node tools/prometheus.js prepare DIR PORT JOBS_JSON');
    process.exit(2);
  }
}
