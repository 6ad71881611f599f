import { Inject, Injectable, Optional } from '@nestjs/common';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Run } from '@dispatch/contracts';
import { LATENCY_BUCKETS, METRICS_REGISTRY } from '@dispatch/platform';

/** How a run ended, as the metrics count it. */
export type RunOutcome = 'success' | 'FunctionError' | 'InputError' | 'SystemError' | 'timeout';

/**
 * Functions a process keeps series of, each its own; calls of any function past them count under
 * `function="_other"` of their org. Tenants make functions at will, and every series costs the
 * process and Prometheus memory for as long as it lives.
 */
export const MAX_FUNCTION_SERIES = 2000;
const OTHER = '_other';

/** The runs of each function: how many, how each ended, how long they took. */
@Injectable()
export class RunMetrics {
  private readonly invocations?: Counter<'org' | 'function' | 'outcome'>;
  private readonly duration?: Histogram<'org' | 'function'>;
  private readonly named = new Set<string>();

  constructor(@Optional() @Inject(METRICS_REGISTRY) registry?: Registry) {
    if (!registry) return;
    this.invocations = new Counter({
      name: 'dispatch_function_invocations_total',
      help: 'Runs of each function by outcome: success, FunctionError, InputError, SystemError or timeout.',
      labelNames: ['org', 'function', 'outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'dispatch_function_duration_seconds',
      help: 'How long runs of each function took, from the call to the answer.',
      labelNames: ['org', 'function'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
  }

  observe(org: string, run: Run, timedOut: boolean): void {
    if (!this.invocations || !this.duration) return;
    const labels = { org, function: this.seriesOf(org, run.functionName) };
    const outcome: RunOutcome = run.error ? (timedOut ? 'timeout' : run.error.type) : 'success';
    this.invocations.inc({ ...labels, outcome });
    this.duration.observe(labels, run.durationMs / 1000);
  }

  private seriesOf(org: string, name: string): string {
    const key = `${org}/${name}`;
    if (this.named.has(key)) return name;
    if (this.named.size >= MAX_FUNCTION_SERIES) return OTHER;
    this.named.add(key);
    return name;
  }
}
