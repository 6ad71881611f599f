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

/** A function's minute as one replica counted it, for the others (the relay's message). */
export interface ActivityDelta {
  identity: string;
  minute: number;
  runs: number;
  errors: number;
  coldStarts: number;
  durations: number[];
}

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
  /**
   * What this process counted since the relay last took it, when replicas share their counts (the
   * distributed shape): by `identity minute`. Undefined in solo, where there is no one to tell.
   */
  private pending?: Map<string, ActivityDelta>;

  /** A run of `identity` (`org/project/name`) that finished at `at`. */
  record(identity: string, run: { durationMs: number; error: unknown }, at = Date.now()): void {
    const bucket = BOUNDS_MS.findIndex((bound) => run.durationMs <= bound);
    const slot = bucket < 0 ? BOUNDS_MS.length : bucket;
    for (const minute of this.counted(identity, at)) {
      minute.runs += 1;
      if (run.error) minute.errors += 1;
      minute.durations[slot] = (minute.durations[slot] ?? 0) + 1;
    }
  }

  coldStart(identity: string, at = Date.now()): void {
    for (const minute of this.counted(identity, at)) minute.coldStarts += 1;
  }

  /** From now on, keeps what this process counts for the other replicas too (takeCounted). */
  share(): void {
    this.pending ??= new Map();
  }

  /** What this process counted since the last call, for the other replicas. */
  takeCounted(): ActivityDelta[] {
    if (!this.pending || this.pending.size === 0) return [];
    const taken = [...this.pending.values()];
    this.pending.clear();
    return taken;
  }

  /** A minute another replica counted, added to this process's view (an old one is dropped). */
  merge(delta: ActivityDelta, now = Date.now()): void {
    if (delta.minute <= Math.floor(now / MINUTE_MS) - ACTIVITY_MINUTES) return;
    const minute = this.minuteOf(delta.identity, delta.minute * MINUTE_MS);
    minute.runs += delta.runs;
    minute.errors += delta.errors;
    minute.coldStarts += delta.coldStarts;
    delta.durations.slice(0, minute.durations.length).forEach((n, i) => (minute.durations[i] += n));
  }

  /** The minute of this process's view, and of what it keeps for the others, that a count goes to. */
  private counted(identity: string, at: number): (Minute | ActivityDelta)[] {
    const mine = this.minuteOf(identity, at);
    if (!this.pending) return [mine];
    const key = `${identity} ${mine.minute}`;
    let delta = this.pending.get(key);
    if (!delta) {
      delta = {
        identity,
        minute: mine.minute,
        runs: 0,
        errors: 0,
        coldStarts: 0,
        durations: new Array<number>(BOUNDS_MS.length + 1).fill(0),
      };
      this.pending.set(key, delta);
    }
    return [mine, delta];
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
    // Newest last; a count is nearly always of the newest minute, another replica's may be older.
    let index = minutes.length;
    while (index > 0 && (minutes[index - 1] as Minute).minute > minute) index -= 1;
    const found = minutes[index - 1];
    if (found?.minute === minute) return found;
    const created: Minute = {
      minute,
      runs: 0,
      errors: 0,
      coldStarts: 0,
      durations: new Uint32Array(BOUNDS_MS.length + 1),
    };
    minutes.splice(index, 0, created);
    // Only the window is kept: at most an hour of minutes.
    const newest = (minutes[minutes.length - 1] as Minute).minute;
    while ((minutes[0]?.minute ?? newest) <= newest - ACTIVITY_MINUTES) minutes.shift();
    return created;
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
