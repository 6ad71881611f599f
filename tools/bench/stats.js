// Latency samples in milliseconds -> the figures the report quotes.
export function summarise(samples, wallMs) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (v) => Math.round(v * 1000) / 1000;
  return {
    n: sorted.length,
    p50_ms: round(at(0.5)),
    p99_ms: round(at(0.99)),
    max_ms: round(sorted[sorted.length - 1]),
    ...(wallMs !== undefined && { ops_per_s: Math.round((sorted.length / wallMs) * 1000) }),
  };
}

export const now = () => performance.now();

/** Runs `op(i)` `count` times with `concurrency` in flight, timing each. */
export async function measure(count, concurrency, op) {
  const samples = [];
  let next = 0;
  const started = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t = now();
        await op(i);
        samples.push(now() - t);
      }
    }),
  );
  return summarise(samples, now() - started);
}
