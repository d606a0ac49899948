/** Prometheus metrics of the data pipeline (prom-client), registered on a registry of the caller's choice. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class PipelineMetrics {
  readonly framesIn: Counter;
  readonly readingsOut: Counter;
  readonly eventsOut: Counter;
  readonly readingsPublished: Counter;
  readonly decodeErrors: Counter<'stage' | 'protocol' | 'code'>;
  readonly batchFrames: Histogram;
  readonly batchReadings: Histogram;
  readonly lag: Gauge;
  readonly insertSeconds: Histogram;

  constructor(readonly registry = new Registry()) {
    const registers = [registry];
    this.framesIn = new Counter({ name: 'hes_pipeline_frames_in_total', help: 'Raw frames taken from the bus', registers });
    this.readingsOut = new Counter({ name: 'hes_pipeline_readings_out_total', help: 'Readings stored in ClickHouse', registers });
    this.eventsOut = new Counter({ name: 'hes_pipeline_events_out_total', help: 'Journal entries stored in ClickHouse', registers });
    this.readingsPublished = new Counter({ name: 'hes_pipeline_readings_published_total', help: 'Readings sent to the hes.readings topic', registers });
    this.decodeErrors = new Counter({
      name: 'hes_pipeline_decode_errors_total',
      help: "Messages sent to the dead-letter topic, by stage, the frame's protocol and the decoder's error code ('' when the error has none)",
      labelNames: ['stage', 'protocol', 'code'],
      registers,
    });
    this.batchFrames = new Histogram({ name: 'hes_pipeline_batch_frames', help: 'Frames per batch', buckets: [1, 10, 50, 100, 250, 500, 1000, 2500], registers });
    this.batchReadings = new Histogram({ name: 'hes_pipeline_batch_readings', help: 'Readings per insert', buckets: [100, 1000, 10_000, 50_000, 100_000, 250_000, 1_000_000], registers });
    this.lag = new Gauge({ name: 'hes_pipeline_lag_messages', help: 'Frames on the bus not yet committed by the pipeline', registers });
    this.insertSeconds = new Histogram({ name: 'hes_pipeline_insert_seconds', help: 'ClickHouse insert latency', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers });
  }
}
