import { Inject, Injectable, Optional } from '@nestjs/common';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Run } from '@dispatch/contracts';
import { BoundedSeries, LATENCY_BUCKETS, METRICS_REGISTRY } from '@dispatch/platform';
import type { ColdStartPhase, Language, PoolState, RuntimeObserver } from '@dispatch/runtime';
import { FunctionActivity } from './activity/function-activity.js';

/** How a run ended, as the metrics count it. */
export type RunOutcome = 'success' | 'FunctionError' | 'InputError' | 'SystemError' | 'timeout';

type FunctionLabels = 'org' | 'function';

/**
 * The functions' metrics: runs by outcome and their duration; cold starts, each phase timed (spawn,
 * load, first run), and warm calls; each function's processes and the calls waiting for one. Series
 * are per org and function (`org/project/name` read as org and name), for a bounded number of
 * functions (BoundedSeries).
 */
@Injectable()
export class FunctionMetrics implements RuntimeObserver {
  private readonly series = new BoundedSeries();
  private readonly invocations?: Counter<FunctionLabels | 'outcome'>;
  private readonly duration?: Histogram<FunctionLabels>;
  private readonly coldStarts?: Counter<FunctionLabels>;
  private readonly warmHits?: Counter<FunctionLabels>;
  private readonly phases?: Histogram<'language' | 'phase'>;
  private pools: () => PoolState[] = () => [];

  constructor(
    @Optional() @Inject(METRICS_REGISTRY) registry?: Registry,
    // The last hour a minute at a time, for the console: kept whether Prometheus metrics are on or not.
    @Optional() private readonly activity?: FunctionActivity,
  ) {
    if (!registry) return;
    const registers = [registry];
    this.invocations = new Counter({
      name: 'dispatch_function_invocations_total',
      help: 'Runs of each function by outcome: success, FunctionError, InputError, SystemError or timeout.',
      labelNames: ['org', 'function', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'dispatch_function_duration_seconds',
      help: 'How long runs of each function took, from the call to the answer.',
      labelNames: ['org', 'function'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.coldStarts = new Counter({
      name: 'dispatch_function_cold_starts_total',
      help: 'Calls of each function that waited for a process to start.',
      labelNames: ['org', 'function'],
      registers,
    });
    this.warmHits = new Counter({
      name: 'dispatch_function_warm_hits_total',
      help: 'Calls of each function that a process already up took.',
      labelNames: ['org', 'function'],
      registers,
    });
    this.phases = new Histogram({
      name: 'dispatch_function_cold_start_phase_seconds',
      help: 'How long each phase of a cold start took, by language: spawn, load and first-run.',
      labelNames: ['language', 'phase'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    // Read from the runtime when scraped: a gauge holds what its collect() sets.
    const states = () => this.pools();
    const labelsOf = (identity: string) => this.labelsOf(identity);
    const gauge = (name: string, help: string, value: (state: PoolState) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['org', 'function'],
        registers,
        collect() {
          this.reset();
          for (const state of states()) this.inc(labelsOf(state.identity), value(state));
        },
      });
    gauge('dispatch_function_runners', "Each function's processes up now.", (s) => s.runners);
    gauge(
      'dispatch_function_queue_depth',
      "Each function's calls waiting for a process now.",
      (s) => s.queued,
    );
  }

  /** Where the gauges read the runtime's pools from. */
  watchPools(states: () => PoolState[]): void {
    this.pools = states;
  }

  observe(scope: { org: string; project: string }, run: Run, timedOut: boolean): void {
    this.activity?.record(`${scope.org}/${scope.project}/${run.functionName}`, run);
    if (!this.invocations || !this.duration) return;
    const labels = this.labels(scope.org, run.functionName);
    const outcome: RunOutcome = run.error ? (timedOut ? 'timeout' : run.error.type) : 'success';
    this.invocations.inc({ ...labels, outcome });
    this.duration.observe(labels, run.durationMs / 1000);
  }

  coldStartPhase(identity: string, language: Language, phase: ColdStartPhase, seconds: number): void {
    this.phases?.observe({ language, phase }, seconds);
    // A cold start is counted once, at its first run: the call that waited for it.
    if (phase !== 'first-run') return;
    this.coldStarts?.inc(this.labelsOf(identity));
    this.activity?.coldStart(identity);
  }

  warmHit(identity: string): void {
    this.warmHits?.inc(this.labelsOf(identity));
  }

  /** `org/project/name` as its series' labels. */
  labelsOf(identity: string): Record<FunctionLabels, string> {
    const [org = '', , name = identity] = identity.split('/');
    return this.labels(org, name);
  }

  private labels(org: string, name: string): Record<FunctionLabels, string> {
    return { org, function: this.series.nameOf(org, name) };
  }
}
