/**
 * Pipeline bar (BRIEF §7): readings per second from raw frames on the bus to rows in ClickHouse, with
 * daily 15-minute load profiles (96 rows × 4 registers = 384 readings per frame, the decode benchmark's
 * shape), on the embedded log and through Kafka (librdkafka's mock cluster), both into chDB; and bytes
 * per reading on disk after merges. The clock stops when the last reading is stored. `insert_s` is the
 * summed ClickHouse insert time (inserts of different partitions overlap), the rest is bus reads, Avro and DLMS decoding in the pool, and commits. Embedded:
 * the frames are on the log before the clock starts. Kafka: the frames are produced while the pipeline
 * runs (same process), starting once the consumer group has joined.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchResult } from './harness.js';
import { EmbeddedBus } from '../bus/embedded/index.js';
import { KafkaBus } from '../bus/kafka/index.js';
import { startMockCluster } from '../bus/kafka/mock-cluster.js';
import { deviceKey, type Bus, type BusMessage } from '../bus/types.js';
import { ChdbEngine } from '../sinks/clickhouse/engine.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import { AvroSerde, LocalSchemaStore, type SchemaStore } from '../schemas/registry/index.js';
import { Topics, type RawFrame } from '../schemas/avro/index.js';
import { DecoderPool } from '../workers/pool.js';
import { Pipeline } from '../workers/pipeline.js';
import { dayStart, loadProfileFrame, READINGS_PER_FRAME } from '../workers/testing.js';

const DEVICES = Number(process.env.HES_BENCH_DEVICES ?? 2000);
const DAYS = Number(process.env.HES_BENCH_DAYS ?? 3);

let shared: { dir: string; engine: ChdbEngine; pool: DecoderPool; store: SchemaStore; messages: BusMessage[] } | undefined;

async function setup(): Promise<NonNullable<typeof shared>> {
  if (shared) return shared;
  const dir = mkdtempSync(join(tmpdir(), 'hes-bench-pipeline-'));
  const engine = new ChdbEngine(join(dir, 'ch'));
  await migrate(engine);
  const store = new LocalSchemaStore(join(dir, 'schemas.json'));
  const serde = await AvroSerde.create<RawFrame>(store, Topics.rawFrames, 'raw-frame');
  const messages: BusMessage[] = [];
  for (let day = 1; day <= DAYS; day++) for (let d = 1; d <= DEVICES; d++) messages.push({ key: deviceKey(d), value: serde.encode(loadProfileFrame(d, dayStart(day))) });
  shared = { dir, engine, pool: new DecoderPool(), store, messages };
  return shared;
}

/**
 * Publishes in sends of 200 frames (< 1 MB, the broker's default message.max.bytes). With `ahead`, stays
 * at most that many frames ahead of the pipeline: librdkafka's mock broker keeps only a few MB per
 * partition and would drop frames a slower consumer has not read yet.
 */
async function publish(bus: Bus, messages: BusMessage[], pipeline?: Pipeline, ahead = 0): Promise<void> {
  const producer = await bus.producer();
  for (let i = 0; i < messages.length; i += 200) {
    while (pipeline && i - ((await pipeline.metrics.framesIn.get()).values[0]?.value ?? 0) > ahead) await new Promise((r) => setTimeout(r, 2));
    await producer.send(Topics.rawFrames, messages.slice(i, i + 200));
  }
  await producer.close();
}

async function measurePipeline(name: string, bus: Bus, live: boolean): Promise<BenchResult[]> {
  const s = await setup();
  await s.engine.exec('TRUNCATE TABLE readings');
  if (!live) await publish(bus, s.messages);
  const total = s.messages.length * READINGS_PER_FRAME;
  const pipeline = new Pipeline({ bus, engine: s.engine, schemas: s.store, pool: s.pool, maxBatchFrames: 260, concurrency: 2 });
  const running = pipeline.run();
  let publishing: Promise<void> = Promise.resolve();
  if (live) {
    // Kafka: a first frame lets the group join (its delay is not throughput), then the rest is published live.
    await publish(bus, s.messages.slice(0, 1));
    while (((await pipeline.metrics.framesIn.get()).values[0]?.value ?? 0) === 0) await new Promise((r) => setTimeout(r, 1));
    publishing = publish(bus, s.messages.slice(1), pipeline, 1200);
  }
  // The clock starts with the first batch.
  while (((await pipeline.metrics.framesIn.get()).values[0]?.value ?? 0) === 0) await new Promise((r) => setTimeout(r, 1));
  const t0 = performance.now();
  let stored = 0;
  while (stored < total) {
    await new Promise((r) => setTimeout(r, 5));
    stored = (await pipeline.metrics.readingsOut.get()).values[0]?.value ?? 0;
  }
  const secs = (performance.now() - t0) / 1000;
  await publishing;
  await pipeline.stop();
  await running;
  const insert = await pipeline.metrics.insertSeconds.get();
  const insertSum = insert.values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  const cpu = process.cpuUsage();
  return [
    { name: `pipeline.${name}.readings_per_s`, value: Math.round(total / secs), unit: 'readings/s', readings: total, frames: s.messages.length, seconds: +secs.toFixed(3), insert_s: +insertSum.toFixed(3), threads: s.pool.threads, process_cpu_s: +((cpu.user + cpu.system) / 1e6).toFixed(1) },
  ];
}

async function bytesPerReading(): Promise<BenchResult[]> {
  const s = await setup();
  await s.engine.exec('OPTIMIZE TABLE readings FINAL');
  const [r] = await s.engine.query<{ bytes: number; rows: number }>("SELECT sum(bytes_on_disk) AS bytes, sum(rows) AS rows FROM system.parts WHERE table = 'readings' AND active");
  return [{ name: 'pipeline.storage.bytes_per_reading', value: +(Number(r!.bytes) / Number(r!.rows)).toFixed(3), unit: 'bytes', rows: Number(r!.rows) }];
}

export const benchmarks: Benchmark[] = [
  {
    name: 'pipeline.embedded',
    run: async () => {
      const s = await setup();
      const bus = new EmbeddedBus({ dir: join(s.dir, 'bus'), fsync: 'interval' });
      try {
        return [...(await measurePipeline('embedded', bus, false)), ...(await bytesPerReading())];
      } finally {
        await bus.close();
      }
    },
  },
  {
    name: 'pipeline.kafka',
    run: async () => {
      const s = await setup();
      const cluster = await startMockCluster([{ name: Topics.rawFrames, partitions: 4 }, { name: Topics.deadLetters, partitions: 1 }]);
      const bus = new KafkaBus({ brokers: cluster.brokers });
      try {
        return await measurePipeline('kafka', bus, true);
      } finally {
        await bus.close();
        await cluster.stop();
        await s.pool.close();
        await s.engine.close();
        rmSync(s.dir, { recursive: true, force: true });
        shared = undefined;
      }
    },
  },
];
