// Test fixture (not a test): the pipeline as its own process, for the crash tests.
// argv: dataDir pauseAtBatch exitAtReadings [kafkaBrokers]: the embedded bus under dataDir, or Kafka
// when brokers are given (chDB under dataDir either way). Publishes every stored reading to hes.readings. Prints "stored <n> <token>" after each stored batch; at
// batch `pauseAtBatch` it blocks between insert and commit so the parent can SIGKILL it there. Exits
// once `exitAtReadings` readings are in ClickHouse (0 = run until killed).
import { join } from 'node:path';
import { EmbeddedBus } from '../bus/embedded/index.js';
import { KafkaBus } from '../bus/kafka/index.js';
import { ChdbEngine } from '../sinks/clickhouse/engine.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import { LocalSchemaStore } from '../schemas/registry/index.js';
import { DecoderPool } from './pool.js';
import { Pipeline } from './pipeline.js';

const [dir, pauseAt, exitAt, brokers] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4]), process.argv[5]];
// A short session: after a SIGKILL the group hands the partitions on once the dead member times out.
const bus = brokers ? new KafkaBus({ brokers: brokers.split(','), sessionTimeoutMs: 6000 }) : new EmbeddedBus({ dir: join(dir, 'bus'), fsync: 'always' });
const engine = new ChdbEngine(join(dir, 'ch'));
await migrate(engine);
const pool = new DecoderPool({ threads: 2 });
let stored = 0;
const pipeline = new Pipeline({
  bus,
  engine,
  pool,
  schemas: new LocalSchemaStore(join(dir, 'schemas.json')),
  maxBatchFrames: 5,
  concurrency: 1,
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
await pipeline.run();
await pool.close();
await engine.close();
await bus.close();
process.stdout.write('done\n');
