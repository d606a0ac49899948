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

/**
 * Run `fn` repeatedly for at least `minMs` after a warm-up; returns iterations per second of wall time and
 * per second of this process's CPU time (what one core does when the shared machine also runs other jobs).
 */
export function measure(fn: () => void, minMs = 1500, warmupMs = 300): { opsPerSec: number; opsPerCpuSec: number; iterations: number } {
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
  const c0 = process.cpuUsage();
  const n = until(minMs, fn);
  const cpu = process.cpuUsage(c0);
  const secs = (performance.now() - t0) / 1000;
  return { opsPerSec: n / secs, opsPerCpuSec: n / ((cpu.user + cpu.system) / 1e6), iterations: n };
}
