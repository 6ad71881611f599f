import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { ActivityPoint } from '@dispatch/contracts';
import { LATENCY_BUCKETS } from '@dispatch/platform';

/** The window the console graphs: the last hour, a point a minute. */
export const ACTIVITY_MINUTES = 60;
const MINUTE_MS = 60_000;
/** Functions whose activity is kept: the most recently run, so memory stays bounded. */
const MAX_FUNCTIONS = 5_000;
/** Run durations in milliseconds, bucketed as the duration histogram buckets them (seconds). */
const BOUNDS_MS = LATENCY_BUCKETS.map((seconds) => seconds * 1000);

interface Minute {
  /** Minutes since the epoch. */
  minute: number;
  runs: number;
  errors: number;
  coldStarts: number;
  /** Runs per duration bucket; the last counts those over the largest bound. */
  durations: Uint32Array;
}

/**
 * What each function did over the last hour, a minute at a time: its runs, errors, cold starts and the
 * spread of its durations, as the metrics count them. It is what the console graphs on a function's page;
 * Prometheus keeps the long history. Minutes are kept only where something happened.
 */
@Injectable()
export class FunctionActivity {
  private readonly functions = new LRUCache<string, Minute[]>({ max: MAX_FUNCTIONS });

  /** A run of `identity` (`org/project/name`) that finished at `at`. */
  record(identity: string, run: { durationMs: number; error: unknown }, at = Date.now()): void {
    const minute = this.minuteOf(identity, at);
    minute.runs += 1;
    if (run.error) minute.errors += 1;
    const bucket = BOUNDS_MS.findIndex((bound) => run.durationMs <= bound);
    minute.durations[bucket < 0 ? BOUNDS_MS.length : bucket] += 1;
  }

  coldStart(identity: string, at = Date.now()): void {
    this.minuteOf(identity, at).coldStarts += 1;
  }

  /** The last hour of `identity`, oldest first, one point a minute (minutes with no run are zeros). */
  of(identity: string, now = Date.now()): ActivityPoint[] {
    const kept = new Map((this.functions.peek(identity) ?? []).map((m) => [m.minute, m]));
    const last = Math.floor(now / MINUTE_MS);
    const points: ActivityPoint[] = [];
    for (let minute = last - ACTIVITY_MINUTES + 1; minute <= last; minute += 1) {
      const m = kept.get(minute);
      points.push({
        time: minute * MINUTE_MS,
        runs: m?.runs ?? 0,
        errors: m?.errors ?? 0,
        coldStarts: m?.coldStarts ?? 0,
        p50Ms: m ? quantile(m.durations, 0.5) : null,
        p99Ms: m ? quantile(m.durations, 0.99) : null,
      });
    }
    return points;
  }

  /** Forgets a function (deleted). */
  forget(identity: string): void {
    this.functions.delete(identity);
  }

  private minuteOf(identity: string, at: number): Minute {
    const minute = Math.floor(at / MINUTE_MS);
    let minutes = this.functions.get(identity);
    if (!minutes) {
      minutes = [];
      this.functions.set(identity, minutes);
    }
    let current = minutes[minutes.length - 1];
    if (current?.minute !== minute) {
      current = {
        minute,
        runs: 0,
        errors: 0,
        coldStarts: 0,
        durations: new Uint32Array(BOUNDS_MS.length + 1),
      };
      minutes.push(current);
      // Only the window is kept: at most an hour of minutes.
      while ((minutes[0]?.minute ?? minute) <= minute - ACTIVITY_MINUTES) minutes.shift();
    }
    return current;
  }
}

/**
 * A quantile of bucketed durations, as Prometheus's histogram_quantile estimates one: the bucket holding
 * the rank, interpolated linearly within it (past the largest bound: that bound).
 */
export function quantile(counts: Uint32Array, q: number): number | null {
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i += 1) {
    const n = counts[i] as number;
    if (seen + n >= rank && n > 0) {
      if (i >= BOUNDS_MS.length) return BOUNDS_MS[BOUNDS_MS.length - 1] as number;
      const lower = i === 0 ? 0 : (BOUNDS_MS[i - 1] as number);
      const upper = BOUNDS_MS[i] as number;
      return Math.round((lower + ((upper - lower) * (rank - seen)) / n) * 1000) / 1000;
    }
    seen += n;
  }
  return BOUNDS_MS[BOUNDS_MS.length - 1] as number;
}
