import { describe, expect, it } from '@jest/globals';
import { FunctionActivity, quantile } from './function-activity.js';

const MINUTE = 60_000;
const now = Date.UTC(2026, 11, 1, 12, 30, 30);

describe('FunctionActivity', () => {
  it("counts a function's runs, errors and cold starts a minute at a time over the last hour", () => {
    const activity = new FunctionActivity();
    for (let i = 0; i < 10; i += 1)
      activity.record('acme/p/hello', { durationMs: 2, error: null }, now - 2 * MINUTE);
    activity.record('acme/p/hello', { durationMs: 400, error: { type: 'FunctionError' } }, now);
    activity.coldStart('acme/p/hello', now);
    activity.record('acme/p/other', { durationMs: 1, error: null }, now);

    const points = activity.of('acme/p/hello', now);
    expect(points).toHaveLength(60);
    expect(points.at(-1)).toMatchObject({ runs: 1, errors: 1, coldStarts: 1 });
    expect(points.at(-3)).toMatchObject({ runs: 10, errors: 0, coldStarts: 0 });
    expect(points.at(-2)).toMatchObject({ runs: 0, p50Ms: null, p99Ms: null });
    expect(points.at(-1)?.time).toBe(Math.floor(now / MINUTE) * MINUTE);
    // Another project's function of the same name is another function.
    expect(activity.of('acme/q/hello', now).every((p) => p.runs === 0)).toBe(true);
  });

  it('forgets what is older than an hour', () => {
    const activity = new FunctionActivity();
    activity.record('a/p/f', { durationMs: 1, error: null }, now - 61 * MINUTE);
    activity.record('a/p/f', { durationMs: 1, error: null }, now);
    expect(activity.of('a/p/f', now).reduce((sum, p) => sum + p.runs, 0)).toBe(1);
  });

  it('estimates percentiles from the duration buckets, as histogram_quantile does', () => {
    const activity = new FunctionActivity();
    for (let i = 0; i < 99; i += 1) activity.record('a/p/f', { durationMs: 3, error: null }, now);
    activity.record('a/p/f', { durationMs: 800, error: null }, now);
    const last = activity.of('a/p/f', now).at(-1);
    // 3 ms lies in the (2.5, 5] ms bucket; the slowest run in (500, 1000].
    expect(last?.p50Ms).toBeGreaterThan(2.5);
    expect(last?.p50Ms).toBeLessThanOrEqual(5);
    expect(last?.p99Ms).toBeLessThanOrEqual(5);
    expect(quantile(new Uint32Array(17), 0.5)).toBeNull();
  });
});
