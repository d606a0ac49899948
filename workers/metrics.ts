/** Prometheus metrics of the data pipeline, registered on the HES's metrics (metrics/index.ts) or on their own. */
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { HesMetrics } from '../metrics/index.js';

export class PipelineMetrics {
  readonly registry: Registry;
  readonly framesIn: Counter;
  readonly readingsOut: Counter;
  readonly eventsOut: Counter;
  readonly readingsPublished: Counter;
  readonly decodeErrors: Counter<'stage' | 'protocol' | 'code'>;
  readonly unmappedRecords: Counter<'protocol'>;
  readonly batchFrames: Histogram;
  readonly batchReadings: Histogram;
  readonly batchSeconds: Histogram;
  readonly lag: Gauge;
  /** The consumer's lag, asked when scraped (the pipeline sets it once consuming). */
  measureLag: (() => Promise<number>) | undefined;
  readonly insertSeconds: Histogram;

  constructor(metrics = new HesMetrics()) {
    this.registry = metrics.registry;
    this.framesIn = metrics.counter('hes_pipeline_frames_in_total', 'Raw frames taken from the bus');
    this.readingsOut = metrics.counter('hes_pipeline_readings_out_total', 'Readings stored in ClickHouse');
    this.eventsOut = metrics.counter('hes_pipeline_events_out_total', 'Journal entries stored in ClickHouse');
    this.readingsPublished = metrics.counter('hes_pipeline_readings_published_total', 'Readings sent to the hes.readings topic');
    this.decodeErrors = metrics.counter(
      'hes_pipeline_decode_errors_total',
      "Messages sent to the dead-letter topic, by reason: the stage, the frame's protocol and the decoder's error code ('' when the error has none)",
      ['stage', 'protocol', 'code'],
    );
    this.unmappedRecords = metrics.counter(
      'hes_pipeline_unmapped_records_total',
      "Records of stored frames that the device profile does not map (not stored; the device's state 'unmapped-records' lists them)",
      ['protocol'],
    );
    this.batchFrames = metrics.histogram('hes_pipeline_batch_frames', 'Frames per batch', [1, 10, 50, 100, 250, 500, 1000, 2500]);
    this.batchReadings = metrics.histogram('hes_pipeline_batch_readings', 'Readings per insert', [100, 1000, 10_000, 50_000, 100_000, 250_000, 1_000_000]);
    this.batchSeconds = metrics.histogram(
      'hes_pipeline_batch_seconds', 'Time from taking a batch off the bus to its commit: decode, inserts, state changes, dead letters', [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
    this.lag = metrics.gauge('hes_pipeline_lag_messages', 'Frames on hes.frames.raw not yet committed by the pipeline (consumer lag)', [], async (g) => {
      const lag = await this.measureLag?.().catch(() => undefined); // unknown: the last value stays
      if (lag !== undefined) g.set(lag);
    });
    this.insertSeconds = metrics.histogram('hes_pipeline_insert_seconds', 'ClickHouse insert latency of a batch\'s readings', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);
  }
}
