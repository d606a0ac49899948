// Test fixture (not a test): the pipeline as its own process, for the crash tests.
// argv: dataDir pauseAtBatch exitAtReadings [kafkaBrokers | push:<meters>:<baseMs>:<firstRound>:<lastRound>]: the embedded
// bus under dataDir, or Kafka when brokers are given (chDB under dataDir either way). In push mode the process is also the
// connector: while its pipeline runs it appends the 15-minute pushes of that many simulated high-gmac IDIS meters, rounds
// firstRound..lastRound after baseMs (ciphered, as CENC publishes them), and the pipeline has their device contexts.
// Publishes every stored reading to hes.readings. Prints "stored <n> <token>" after each stored batch; at
// batch `pauseAtBatch` it blocks between insert and commit so the parent can SIGKILL it there. Exits
// once `exitAtReadings` readings are in ClickHouse (0 = run until killed).
import { join } from 'node:path';
import { EmbeddedBus } from '../bus/embedded/index.js';
import { KafkaBus } from '../bus/kafka/index.js';
import { ChdbEngine } from '../sinks/clickhouse/engine.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import { DecoderPool } from './pool.js';
import { Pipeline } from './pipeline.js';
import { fleetPushContexts, intervalPushFrame } from './testing.js';
import { AvroSerde, LocalSchemaStore } from '../schemas/registry/index.js';
import { Topics, type RawFrame } from '../schemas/avro/index.js';
import { deviceKey } from '../bus/types.js';
import { DEFAULT_FLEET, Fleet } from '../sim/fleet.js';

const [dir, pauseAt, exitAt, mode] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4]), process.argv[5]];
const [pushMeters, baseMs, firstRound, lastRound] = mode?.startsWith('push:') ? mode.slice(5).split(':').map(Number) as [number, number, number, number] : [0, 0, 0, 0];
const brokers = pushMeters ? undefined : mode;
const fleet = pushMeters ? new Fleet({ ...DEFAULT_FLEET, profile: 'idis', meters: pushMeters, security: 'high-gmac' }) : undefined;
// A short session: after a SIGKILL the group hands the partitions on once the dead member times out.
const bus = brokers ? new KafkaBus({ brokers: brokers.split(','), sessionTimeoutMs: 6000 }) : new EmbeddedBus({ dir: join(dir, 'bus'), fsync: 'always' });
const engine = new ChdbEngine(join(dir, 'ch'));
await migrate(engine);
const pool = new DecoderPool({ threads: 2 });
const schemas = new LocalSchemaStore(join(dir, 'schemas.json'));
let stored = 0;
const pipeline = new Pipeline({
  bus,
  engine,
  pool,
  schemas,
  maxBatchFrames: 5,
  concurrency: 1,
  onDeadLetter: (reason) => process.stdout.write(`dead letter ${reason}\n`),
  ...(fleet ? { devices: fleetPushContexts(fleet, pushMeters) } : {}),
  publishReadings: true,
  afterStore: async (_batch, token) => {
    stored++;
    process.stdout.write(`stored ${stored} ${token}\n`);
    if (stored === pauseAt) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
    if (exitAt > 0) {
      const [{ n }] = (await engine.query<{ n: number }>('SELECT count() AS n FROM readings FINAL')) as [{ n: number }];
      if (Number(n) >= exitAt) void pipeline.stop();
    }
  },
});
const running = pipeline.run();
if (fleet) {
  const serde = await AvroSerde.create<RawFrame>(schemas, Topics.rawFrames, 'raw-frame');
  const producer = await bus.producer();
  for (let r = firstRound; r <= lastRound; r++) {
    const frames = Array.from({ length: pushMeters }, (_, i) => intervalPushFrame(fleet, i, baseMs + r * 900_000 + 1000));
    await producer.send(Topics.rawFrames, frames.map((f) => ({ key: deviceKey(f.deviceId!), value: serde.encode(f) })));
    process.stdout.write(`published ${r}\n`);
    await new Promise((res) => setTimeout(res, 30));
  }
  await producer.close();
}
await running;
await pool.close();
await engine.close();
await bus.close();
process.stdout.write('done\n');
