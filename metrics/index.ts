/**
 * Prometheus metrics of a running HES (served at /metrics, docs/operations.md): one registry per HES, handed
 * to each part that starts, which registers its metrics in one line each:
 *
 *   const frames = metrics.counter('hes_push_frames_total', 'Pushes received, by framing', ['framing']);
 *
 * Registering a name twice returns the metric already registered, so two parts (or two instances of one part)
 * may share a metric. Names follow Prometheus conventions: `hes_` prefix, unit suffix, `_total` for counters.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class HesMetrics {
  readonly registry = new Registry();

  counter<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return (this.registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  }

  /** A gauge; with `collect`, its value is taken when scraped (a queue's length, held connections). */
  gauge<L extends string = string>(name: string, help: string, labelNames: readonly L[] = [], collect?: (gauge: Gauge<L>) => void | Promise<void>): Gauge<L> {
    const existing = this.registry.getSingleMetric(name) as Gauge<L> | undefined;
    if (existing) return existing;
    return new Gauge<L>({
      name, help, labelNames, registers: [this.registry],
      ...(collect ? { collect(this: Gauge<L>) { return collect(this); } } : {}),
    });
  }

  histogram<L extends string = string>(name: string, help: string, buckets: number[], labelNames: readonly L[] = []): Histogram<L> {
    return (this.registry.getSingleMetric(name) as Histogram<L> | undefined) ?? new Histogram<L>({ name, help, buckets, labelNames, registers: [this.registry] });
  }

  /** The Prometheus text of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Node's process metrics (CPU, memory, heap, GC, handles) under `hes_`, with event-loop delay statistics
   * per scrape interval that are left out while no delay was sampled (prom-client's own report the empty
   * histogram: a minimum of 9.2e9 s and a NaN mean).
   */
  collectProcess(): void {
    collectDefaultMetrics({ register: this.registry, prefix: 'hes_' });
    const stats = { min: 'minimum', max: 'maximum', mean: 'mean', stddev: 'standard deviation', p50: 'median', p90: '90th percentile', p99: '99th percentile' } as const;
    for (const s of Object.keys(stats)) this.registry.removeSingleMetric(`hes_nodejs_eventloop_lag_${s}_seconds`);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const gauges = {} as Record<keyof typeof stats, Gauge>;
    // The first gauge's collect sets them all (it is read first), then starts the next interval.
    const collect = () => {
      if (!delay.count) {
        for (const g of Object.values(gauges)) g.remove();
        return;
      }
      const values = { min: delay.min, max: delay.max, mean: delay.mean, stddev: delay.stddev, p50: delay.percentile(50), p90: delay.percentile(90), p99: delay.percentile(99) };
      for (const [s, ns] of Object.entries(values)) gauges[s as keyof typeof stats].set(ns / 1e9);
      delay.reset();
    };
    for (const [s, what] of Object.entries(stats) as [keyof typeof stats, string][]) {
      gauges[s] = new Gauge({
        name: `hes_nodejs_eventloop_lag_${s}_seconds`, help: `The ${what} of the event-loop delays sampled since the previous scrape`, registers: [this.registry],
        ...(s === 'min' ? { collect } : {}),
      });
      gauges[s].remove();
    }
  }
}
