/** Benchmark plumbing: each suite registers named benchmarks; results are JSON lines {name,value,unit}. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  [extra: string]: unknown;
}

export interface Benchmark {
  /** Results are named `${name}.<metric>`; `npm run bench -- PREFIX` selects by this name. */
  name: string;
  run(): Promise<BenchResult[]> | BenchResult[];
}

/** Run `fn` repeatedly for at least `minMs` after a warm-up; returns iterations per second. */
export function measure(fn: () => void, minMs = 1500, warmupMs = 300): { opsPerSec: number; iterations: number } {
  const until = (ms: number, f: () => void): number => {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      for (let i = 0; i < 16; i++) f();
      n += 16;
    }
    return n;
  };
  until(warmupMs, fn);
  const t0 = performance.now();
  const n = until(minMs, fn);
  const secs = (performance.now() - t0) / 1000;
  return { opsPerSec: n / secs, iterations: n };
}
