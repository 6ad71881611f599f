import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT, start, waitForHttp, type Started } from './processes.js';

/** One scrape job: where its /metrics are, and the file with the bearer token they need. */
export interface ScrapeJob {
  job: string;
  targets: string[];
  tokenFile: string;
}

/** A sample of an instant query: the series' labels and its value. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/**
 * A real Prometheus (tools/prometheus.js) on a free loopback port, scraping `jobs` every second, its
 * files in a directory of its own that stopping removes.
 */
export class Prometheus {
  private constructor(
    readonly url: string,
    private readonly process: Started,
    private readonly dir: string,
  ) {}

  static async start(jobs: ScrapeJob[]): Promise<Prometheus> {
    const dir = mkdtempSync(join(tmpdir(), 'dispatch-prometheus-'));
    const port = await freePort();
    const { command, args } = JSON.parse(
      execFileSync(process.execPath, [
        join(ROOT, 'tools/prometheus.js'),
        'prepare',
        dir,
        String(port),
        JSON.stringify(jobs),
      ]).toString(),
    ) as { command: string; args: string[] };
    const started = start(command, args);
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/-/ready`, started, 200, 60_000);
    return new Prometheus(url, started, dir);
  }

  /** An instant query through Prometheus's HTTP API. */
  async query(promql: string): Promise<Sample[]> {
    const res = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`${promql}: ${body.error ?? res.status}`);
    return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** The query's samples once `done` holds for them (scrapes come every second), else its last answer. */
  async until(promql: string, done: (samples: Sample[]) => boolean, timeoutMs = 30_000): Promise<Sample[]> {
    const deadline = Date.now() + timeoutMs;
    let samples = await this.query(promql);
    while (!done(samples) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      samples = await this.query(promql);
    }
    return samples;
  }

  /** The names of every metric Prometheus holds. */
  async names(): Promise<string[]> {
    const res = await fetch(`${this.url}/api/v1/label/__name__/values`);
    const body = (await res.json()) as { status: string; data: string[] };
    if (body.status !== 'success') throw new Error(`metric names: ${res.status}`);
    return body.data;
  }

  /** Whether each target of the job is up, by instance. */
  async targetsUp(job: string): Promise<Record<string, boolean>> {
    const up = await this.query(`up{job=${JSON.stringify(job)}}`);
    return Object.fromEntries(up.map((s) => [s.metric['instance'] ?? '', s.value === 1]));
  }

  async stop(): Promise<void> {
    await this.process.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
