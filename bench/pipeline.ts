/**
 * Pipeline bar (BRIEF §7): readings per second from raw frames on the bus to rows in ClickHouse, with
 * daily 15-minute load profiles (96 rows × 4 registers = 384 readings per frame, the decode benchmark's
 * shape), on the embedded log and through Kafka (librdkafka's mock cluster), both into chDB; and bytes
 * per reading on disk after merges. The clock stops when the last reading is stored (and, in the
 * publishing variant, sent to hes.readings). `insert_s` is the summed ClickHouse insert time (inserts of
 * different partitions overlap), the rest is bus reads, Avro and DLMS decoding in the pool, and commits.
 * Embedded: the frames are on the log before the clock starts. Kafka: the frames are produced while the
 * pipeline runs (same process), starting once the consumer group has joined. The decoder threads are
 * warmed up first: the figures are steady state. The machine is shared: `cpu_s_per_million` (CPU of
 * the whole process per million readings) is the load-independent figure.
 *
 * Knobs (env): HES_BENCH_DEVICES, HES_BENCH_DAYS, HES_BENCH_BATCH (frames per batch),
 * HES_BENCH_CONCURRENCY (partitions in flight), HES_BENCH_THREADS (decoder threads), HES_BENCH_TELEMETRY=on
 * (traces exported to a discarding OTLP receiver in this process; off by default).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
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
import { Pipeline, type DeviceContextSource } from '../workers/pipeline.js';
import type { DeviceContext } from '../decoders/protocol-decoder.js';
import { dayStart, loadProfileFrame, READINGS_PER_FRAME } from '../decoders/dlms/samples.js';
import { StreamingValidator } from '../sinks/vee/streaming.js';
import { DEFAULT_RULES } from '../sinks/vee/rules.js';
import { startTelemetry } from '../telemetry/index.js';
import { benchTelemetry } from './otlp-sink.js';
import { randomBytes } from 'node:crypto';

const DEVICES = Number(process.env.HES_BENCH_DEVICES ?? 2000);
const DAYS = Number(process.env.HES_BENCH_DAYS ?? 3);
const BATCH = process.env.HES_BENCH_BATCH ? Number(process.env.HES_BENCH_BATCH) : undefined;
const CONCURRENCY = process.env.HES_BENCH_CONCURRENCY ? Number(process.env.HES_BENCH_CONCURRENCY) : undefined;
const THREADS = process.env.HES_BENCH_THREADS ? Number(process.env.HES_BENCH_THREADS) : undefined;
/** Frames per partition the Kafka producer may run ahead of the pipeline (see publish): ~1.8 MB. */
const KAFKA_AHEAD = Number(process.env.HES_BENCH_KAFKA_AHEAD ?? 800);

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
  // Telemetry on: the process exports to a discarding receiver, and every frame carries a session's trace context as a traced launch's do.
  const otlp = await benchTelemetry();
  if (otlp) {
    await startTelemetry({ enabled: true, endpoint: otlp.endpoint, serviceName: 'hes-bench', sampleRatio: 1 });
    for (let i = 0; i < messages.length; i++) messages[i]!.headers = { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` };
  }
  const pool = new DecoderPool({ threads: THREADS });
  // Steady state, not start-up: the decoder threads load their modules and the JIT compiles the decode
  // path on a first pass (measured separately, it costs ~3× the CPU of a warm pass), and chDB opens the
  // table on a first insert.
  const schemas = { [serde.id]: await store.schema(serde.id) };
  for (let round = 0; round < 3; round++) {
    const warm = await Promise.all(Array.from({ length: pool.threads }, (_, t) => pool.decode(messages.slice(t * 500, t * 500 + 500).map((m) => m.value), schemas, 0)));
    await engine.insertNative('readings', warm[0]!.block, { insert_deduplicate: 0 });
  }
  await engine.exec('TRUNCATE TABLE readings');
  shared = { dir, engine, pool, store, messages };
  return shared;
}

/**
 * Publishes in sends of ~400 frames per partition: each partition's record batch stays under 1 MB (the
 * broker's default message.max.bytes). librdkafka's mock broker returns one record batch per partition
 * per fetch (a real broker fills a fetch up to its byte limits), so this is also the batch size the
 * pipeline sees on Kafka. With `ahead`, stays at most that many frames ahead of the pipeline: the mock
 * keeps only a few MB per partition and would drop frames a slower consumer has not read yet.
 */
async function publish(bus: Bus, messages: BusMessage[], partitions: number, pipeline?: Pipeline, ahead = 0): Promise<void> {
  const producer = await bus.producer();
  const send = 400 * partitions;
  for (let i = 0; i < messages.length; i += send) {
    while (pipeline && i - ((await pipeline.metrics.framesIn.get()).values[0]?.value ?? 0) > ahead) await new Promise((r) => setTimeout(r, 2));
    await producer.send(Topics.rawFrames, messages.slice(i, i + send));
  }
  await producer.close();
}

async function measurePipeline(name: string, bus: Bus, partitions: number, live: boolean, publishReadings = false, validate = false): Promise<BenchResult[]> {
  const s = await setup();
  await s.engine.exec('TRUNCATE TABLE readings');
  await s.engine.exec('TRUNCATE TABLE validation_results');
  // VEE on every stored batch with the default rules (the sample registers restart each day: a decrease per device-day is found and written)
  const validator = validate ? new StreamingValidator(s.engine, { rules: async () => () => DEFAULT_RULES }) : undefined;
  if (!live) await publish(bus, s.messages, partitions);
  const total = s.messages.length * READINGS_PER_FRAME;
  // With the feed, the devices' serial and project come from a context source, as the registry gives them.
  const devices = publishReadings ? benchDevices() : undefined;
  const pipeline = new Pipeline({ bus, engine: s.engine, schemas: s.store, pool: s.pool, maxBatchFrames: BATCH, concurrency: CONCURRENCY, publishReadings, devices, ...(validator ? { validator } : {}) });
  const running = pipeline.run();
  let publishing: Promise<void> = Promise.resolve();
  if (live) {
    // Kafka: a first frame lets the group join (its delay is not throughput), then the rest is published live.
    await publish(bus, s.messages.slice(0, 1), partitions);
    while (((await pipeline.metrics.framesIn.get()).values[0]?.value ?? 0) === 0) await new Promise((r) => setTimeout(r, 1));
    publishing = publish(bus, s.messages.slice(1), partitions, pipeline, KAFKA_AHEAD * partitions);
  }
  // The clock starts with the first batch.
  while (((await pipeline.metrics.framesIn.get()).values[0]?.value ?? 0) === 0) await new Promise((r) => setTimeout(r, 1));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const threads0 = threadCpu();
  let stored = 0;
  while (stored < total) {
    await new Promise((r) => setTimeout(r, 5));
    // With publishing, a batch is done once its readings are on hes.readings too.
    stored = (await (publishReadings ? pipeline.metrics.readingsPublished : pipeline.metrics.readingsOut).get()).values[0]?.value ?? 0;
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSecs = (cpu.user + cpu.system) / 1e6;
  const byThread = threadCpu();
  for (const [k, v] of threads0) byThread.set(k, (byThread.get(k) ?? 0) - v);
  await publishing;
  await pipeline.stop();
  await running;
  const insert = await pipeline.metrics.insertSeconds.get();
  const insertSum = insert.values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  const batches = (await pipeline.metrics.batchFrames.get()).values;
  const meanBatch = (batches.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0) / (batches.find((v) => v.metricName?.endsWith('_count'))?.value || 1);
  return [
    {
      name: `pipeline.${name}.readings_per_s`, value: Math.round(total / secs), unit: 'readings/s', readings: total, frames: s.messages.length, seconds: +secs.toFixed(3),
      insert_s: +insertSum.toFixed(3), threads: s.pool.threads, batch_frames: pipeline.batchFrames, mean_batch_frames: Math.round(meanBatch),
      // CPU of the whole process (main thread, decoder threads, chDB's threads) while the clock ran:
      // with the machine to itself, cores / cpu_s_per_million bounds the rate.
      cpu_s: +cpuSecs.toFixed(2), cpu_s_per_million: +(cpuSecs / (total / 1e6)).toFixed(3), load1: +loadavg()[0]!.toFixed(2),
      cpu_s_by_thread: Object.fromEntries([...byThread].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, +v.toFixed(2)])),
      ...(validator ? { validation_failures: validator.totals.failures } : {}),
    },
  ];
}

/** Every device known, in one of four projects, all cached (the registry's steady state). */
function benchDevices(): DeviceContextSource {
  const contexts = new Map<number, DeviceContext>();
  const context = (num: number): DeviceContext => {
    let c = contexts.get(num);
    if (!c) contexts.set(num, (c = { num, serial: `LGZ${String(num).padStart(9, '0')}`, projectId: `utility-${num % 4}`, profile: null, protocol: null, secrets: {}, overrides: {} }));
    return c;
  };
  return { cached: context, load: async (nums) => new Map(nums.map((n) => [n, context(n)])) };
}

/**
 * CPU seconds per thread name (Linux /proc; empty elsewhere): `main` is the event loop; decoder threads,
 * libuv's pool (where chDB queries run) and V8's helpers are all `node`; chDB's own pools carry their names.
 */
export function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = Number(tid) === process.pid ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[\d:-]+$/, '') || 'thread';
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread ended
    }
  }
  return out;
}

async function bytesPerReading(): Promise<BenchResult[]> {
  const s = await setup();
  await s.engine.exec('OPTIMIZE TABLE readings FINAL');
  const [r] = await s.engine.query<{ bytes: number; rows: number }>("SELECT sum(bytes_on_disk) AS bytes, sum(rows) AS rows FROM system.parts WHERE table = 'readings' AND active");
  return [{ name: 'pipeline.storage.bytes_per_reading', value: +(Number(r!.bytes) / Number(r!.rows)).toFixed(3), unit: 'bytes', rows: Number(r!.rows) }];
}

async function onMockCluster(partitions: number, measure: (bus: Bus) => Promise<BenchResult[]>): Promise<BenchResult[]> {
  const cluster = await startMockCluster([{ name: Topics.rawFrames, partitions }, { name: Topics.deadLetters, partitions: 1 }, { name: Topics.readings, partitions: 4 }]);
  const bus = new KafkaBus({ brokers: cluster.brokers });
  try {
    return await measure(bus);
  } finally {
    await bus.close();
    await cluster.stop();
  }
}

export const benchmarks: Benchmark[] = [
  {
    name: 'pipeline.embedded',
    run: async () => {
      const s = await setup();
      const bus = new EmbeddedBus({ dir: join(s.dir, 'bus'), fsync: 'interval' });
      try {
        return [...(await measurePipeline('embedded', bus, 4, false)), ...(await bytesPerReading())];
      } finally {
        await bus.close();
      }
    },
  },
  {
    // The same with every stored reading also published to hes.readings (one Avro message per reading,
    // encoded and framed in the decoder threads, keyed <projectId>/<deviceId>, with serial and project).
    name: 'pipeline.embedded-publish',
    run: async () => {
      const s = await setup();
      const bus = new EmbeddedBus({ dir: join(s.dir, 'bus-publish'), fsync: 'interval' });
      try {
        return await measurePipeline('embedded_publish_readings', bus, 4, false, true);
      } finally {
        await bus.close();
      }
    },
  },
  {
    // VEE's cost (issue 20): the embedded pipeline without and with streaming validation, alternated
    // (off, on, off, on) so a change of load on the shared machine hits both; CPU per million readings is
    // the figure to compare.
    name: 'pipeline.embedded-validate',
    run: async () => {
      const s = await setup();
      const out: BenchResult[] = [];
      for (let round = 0; round < 2; round++) {
        for (const validate of [false, true]) {
          const bus = new EmbeddedBus({ dir: join(s.dir, `bus-validate-${round}-${validate}`), fsync: 'interval' });
          try {
            out.push(...(await measurePipeline(validate ? 'embedded_validated' : 'embedded_unvalidated', bus, 4, false, false, validate)));
          } finally {
            await bus.close();
          }
        }
      }
      return out;
    },
  },
  {
    // Kafka with every stored reading also published to hes.readings (frames produced while the pipeline runs).
    name: 'pipeline.kafka-publish',
    run: async () => {
      await setup();
      return onMockCluster(4, (bus) => measurePipeline('kafka_publish_readings', bus, 4, true, true));
    },
  },
  {
    name: 'pipeline.kafka',
    run: async () => {
      const s = await setup();
      try {
        // Frames produced while the pipeline runs.
        const live = await onMockCluster(4, (bus) => measurePipeline('kafka', bus, 4, true));
        // The frames already on the topic when the pipeline starts (a backlog, as after an outage);
        // 8 partitions keep each under the mock's few MB.
        const backlog = await onMockCluster(8, (bus) => measurePipeline('kafka_backlog', bus, 8, false));
        return [...live, ...backlog];
      } finally {
        await s.pool.close();
        await s.engine.close();
        rmSync(s.dir, { recursive: true, force: true });
        shared = undefined;
      }
    },
  },
];
