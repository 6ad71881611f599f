import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Internet } from './internet.js';
import { ROOT, waitForHttp, type Started } from './processes.js';

const OTLP_PORT = 4318;
const QUERY_PORT = 16686;

/** A span as Jaeger's query API gives it back, with its service and its parent's id. */
export interface ReadSpan {
  spanId: string;
  parentId?: string;
  name: string;
  service: string;
  tags: Record<string, unknown>;
}

/**
 * A real trace receiver: Jaeger (tools/jaeger.js) on a host of the test "internet", where the platform's
 * processes and sandboxed functions both reach it, as they would a collector on the network. Spans come
 * in over OTLP/HTTP and are read back through its query API.
 */
export class Jaeger {
  private constructor(
    /** Where to send spans: OTEL_EXPORTER_OTLP_ENDPOINT. */
    readonly otlp: string,
    private readonly query: string,
    private readonly process: Started,
    private readonly dir: string,
  ) {}

  static async start(internet: Internet): Promise<Jaeger> {
    const dir = mkdtempSync(join(tmpdir(), 'dispatch-jaeger-'));
    const { command, args } = JSON.parse(
      execFileSync(process.execPath, [
        join(ROOT, 'tools/jaeger.js'),
        'prepare',
        dir,
        internet.host,
        String(OTLP_PORT),
        String(QUERY_PORT),
      ]).toString(),
    ) as { command: string; args: string[] };
    const started = internet.exec(command, args);
    const query = `http://${internet.host}:${QUERY_PORT}`;
    await waitForHttp(`${query}/api/services`, started, 200, 60_000);
    return new Jaeger(`http://${internet.host}:${OTLP_PORT}`, query, started, dir);
  }

  /** The spans of one trace (hex id), as stored now; [] before any arrived. */
  async trace(traceId: string): Promise<ReadSpan[]> {
    const res = await fetch(`${this.query}/api/traces/${traceId}`);
    if (res.status === 404) return [];
    const body = (await res.json()) as {
      data?: {
        spans: {
          spanID: string;
          operationName: string;
          processID: string;
          references: { refType: string; spanID: string }[];
          tags: { key: string; value: unknown }[];
        }[];
        processes: Record<string, { serviceName: string }>;
      }[];
    };
    const found = body.data?.[0];
    if (!found) return [];
    return found.spans.map((s) => ({
      spanId: s.spanID,
      parentId: s.references.find((r) => r.refType === 'CHILD_OF')?.spanID,
      name: s.operationName,
      service: found.processes[s.processID]?.serviceName ?? '?',
      tags: Object.fromEntries(s.tags.map((t) => [t.key, t.value])),
    }));
  }

  /** The trace once `done` holds for its spans (spans arrive in batches), else its last state. */
  async until(
    traceId: string,
    done: (spans: ReadSpan[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<ReadSpan[]> {
    const deadline = Date.now() + timeoutMs;
    let spans = await this.trace(traceId);
    while (!done(spans) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      spans = await this.trace(traceId);
    }
    return spans;
  }

  async stop(): Promise<void> {
    await this.process.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A span's ancestry, root first: each name, as a path a test can compare. */
export function pathTo(spans: ReadSpan[], name: string): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const path: string[] = [];
  for (let span = spans.find((s) => s.name === name); span; span = byId.get(span.parentId ?? '')) {
    path.unshift(span.name);
  }
  return path;
}
