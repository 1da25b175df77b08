/** Order statistics over a list of millisecond samples. */

export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { n: 0, median: NaN, p95: NaN, min: NaN, max: NaN, mean: NaN };
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  // Nearest-rank percentile: the smallest sample with at least 95% of samples at or below it.
  const p95 = sorted[Math.min(n - 1, Math.ceil(0.95 * n) - 1)];
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  return { n, median, p95, min: sorted[0], max: sorted[n - 1], mean };
}

export function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN;
}

/** Times an async function in milliseconds. */
export async function timeAsync(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Calls fn `iterations` times and summarizes each call's time in microseconds. */
export function loopMicros(iterations, fn) {
  const samples = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    fn(i);
    samples.push((performance.now() - start) * 1000);
  }
  return summarize(samples);
}
