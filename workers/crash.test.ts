import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedBus } from '../bus/embedded/index.js';
import { KafkaBus } from '../bus/kafka/index.js';
import { startMockCluster } from '../bus/kafka/mock-cluster.js';
import { deviceKey } from '../bus/types.js';
import { ChdbEngine } from '../sinks/clickhouse/engine.js';
import { AvroSerde, LocalSchemaStore } from '../schemas/registry/index.js';
import { Topics, type RawFrame } from '../schemas/avro/index.js';
import { dayStart, loadProfileFrame, READINGS_PER_FRAME } from '../decoders/dlms/samples.js';
import type { Bus } from '../bus/types.js';
import { assertFeedEqualsClickHouse, readFeed } from './feed-testing.js';

const DEVICES = 10;
let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'hes-crash-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const child = fileURLToPath(new URL(`./pipeline-child.fixture${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

async function publishDays(days: number[]): Promise<void> {
  const bus = new EmbeddedBus({ dir: join(dir, 'bus'), fsync: 'always' });
  const serde = await AvroSerde.create<RawFrame>(new LocalSchemaStore(join(dir, 'schemas.json')), Topics.rawFrames, 'raw-frame');
  const producer = await bus.producer();
  for (const day of days) {
    await producer.send(Topics.rawFrames, Array.from({ length: DEVICES }, (_, i) => ({ key: deviceKey(i + 1), value: serde.encode(loadProfileFrame(i + 1, dayStart(day))) })));
  }
  await bus.close();
}

/**
 * Starts the pipeline process (on the embedded bus, or on Kafka with `brokers`); `killWhen` sees its
 * output and returns true to SIGKILL it.
 */
async function runChild(
  pauseAt: number, exitAt: number, killWhen?: (output: string) => boolean, brokers?: string[], push?: string, under?: string,
): Promise<{ signal: string | null; output: string }> {
  const mode = brokers ? [brokers.join(',')] : push ? [push] : [];
  const args = [...process.execArgv, child, under ?? (brokers ? join(dir, 'kafka') : dir), String(pauseAt), String(exitAt), ...mode];
  const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  p.stdout.on('data', (d: Buffer) => {
    output += d.toString();
    if (killWhen?.(output)) p.kill('SIGKILL');
  });
  const poll = killWhen ? setInterval(() => killWhen(output) && p.kill('SIGKILL'), 50) : undefined;
  const [code, signal] = (await once(p, 'exit')) as [number | null, string | null];
  clearInterval(poll);
  if (!signal) assert.equal(code, 0, output);
  return { signal, output };
}

async function countReadings(under = dir): Promise<{ rows: number; final: number; keys: number }> {
  const engine = new ChdbEngine(join(under, 'ch'));
  try {
    const [r] = await engine.query<Record<string, number>>(
      'SELECT count() AS rows, uniqExact(device_id, obis, ts) AS keys, (SELECT count() FROM readings FINAL) AS final FROM readings',
    );
    return { rows: Number(r!.rows), final: Number(r!.final), keys: Number(r!.keys) };
  } finally {
    await engine.close();
  }
}

/** hes.readings after the crash and restart: every reading in ClickHouse is on it, and none that is not. */
async function assertFeed(bus: Bus, under: string, total: number, groupId: string): Promise<number> {
  const engine = new ChdbEngine(join(under, 'ch'));
  try {
    const feed = await readFeed(bus, new LocalSchemaStore(join(under, 'schemas.json')), total, groupId);
    await assertFeedEqualsClickHouse(feed, engine);
    return feed.messages;
  } finally {
    await engine.close();
  }
}

async function assertEmbeddedFeed(total: number, groupId: string): Promise<number> {
  const bus = new EmbeddedBus({ dir: join(dir, 'bus') });
  try {
    return await assertFeed(bus, dir, total, groupId);
  } finally {
    await bus.close();
  }
}

function committedFrames(): number {
  try {
    const offsets = JSON.parse(readFileSync(join(dir, 'bus', 'groups', 'hes-pipeline.json'), 'utf8')) as Record<string, Record<string, number>>;
    return Object.values(offsets[Topics.rawFrames] ?? {}).reduce((a, b) => a + b, 0);
  } catch {
    return 0;
  }
}

test('SIGKILL between the ClickHouse insert and the offset commit: the replayed batch is not stored twice', async () => {
  await publishDays([1, 2, 3]);
  const total = DEVICES * 3 * READINGS_PER_FRAME;
  const killed = await runChild(3, 0, (out) => /^stored 3 /m.test(out));
  assert.equal(killed.signal, 'SIGKILL');
  const replayedToken = /^stored 3 (\S+)/m.exec(killed.output)![1]!;
  const restarted = await runChild(0, total);
  assert.match(restarted.output, new RegExp(`^stored 1 ${replayedToken.replace(/[/.]/g, '\\$&')}$`, 'm'), 'the first batch after restart is the uncommitted one');
  assert.deepEqual(await countReadings(), { rows: total, final: total, keys: total });
  // The replayed batch was published before the kill and again after: at least once, copies included.
  assert.equal(await assertEmbeddedFeed(total, 'mdm-1'), total + 5 * READINGS_PER_FRAME);
});

test('SIGKILL after the commit: nothing is replayed; new frames published while down are stored once', async () => {
  await publishDays([4]);
  const total = DEVICES * 4 * READINGS_PER_FRAME;
  const killed = await runChild(0, 0, () => committedFrames() === DEVICES * 4);
  assert.equal(killed.signal, 'SIGKILL');
  await publishDays([5]);
  const restarted = await runChild(0, total + DEVICES * READINGS_PER_FRAME);
  const consumed = [...restarted.output.matchAll(/^stored \d+ \S+\/(\d+)-(\d+)$/gm)].reduce((a, m) => a + Number(m[2]) - Number(m[1]) + 1, 0);
  assert.equal(consumed, DEVICES, 'only the frames of the new day are consumed');
  assert.deepEqual(await countReadings(), { rows: total + DEVICES * READINGS_PER_FRAME, final: total + DEVICES * READINGS_PER_FRAME, keys: total + DEVICES * READINGS_PER_FRAME });
});

test('SIGKILL at any point of a batch (insert, publish, commit): the feed holds exactly the stored readings', async () => {
  const feedDir = dir;
  await publishDays([6, 7]);
  const before = (await countReadings()).final;
  const total = before + DEVICES * 2 * READINGS_PER_FRAME;
  // Killed as soon as it reports a stored batch: the next batch is then somewhere between decode and commit.
  const killed = await runChild(0, 0, (out) => /^stored 2 /m.test(out));
  assert.equal(killed.signal, 'SIGKILL');
  await runChild(0, total);
  assert.deepEqual(await countReadings(feedDir), { rows: total, final: total, keys: total });
  assert.ok((await assertEmbeddedFeed(total, 'mdm-2')) >= total);
});

test('Kafka: SIGKILL between the ClickHouse insert and the offset commit; after restart every reading is stored once', async () => {
  const cluster = await startMockCluster([{ name: Topics.rawFrames, partitions: 2 }, { name: Topics.deadLetters, partitions: 1 }, { name: Topics.events, partitions: 1 }, { name: Topics.readings, partitions: 3 }]);
  const bus = new KafkaBus({ brokers: cluster.brokers });
  try {
    const serde = await AvroSerde.create<RawFrame>(new LocalSchemaStore(join(dir, 'kafka', 'schemas.json')), Topics.rawFrames, 'raw-frame');
    const producer = await bus.producer();
    for (const day of [1, 2, 3]) {
      await producer.send(Topics.rawFrames, Array.from({ length: DEVICES }, (_, i) => ({ key: deviceKey(i + 1), value: serde.encode(loadProfileFrame(i + 1, dayStart(day))) })));
    }
    await producer.close();
    const total = DEVICES * 3 * READINGS_PER_FRAME;
    const killed = await runChild(3, 0, (out) => /^stored 3 /m.test(out), cluster.brokers);
    assert.equal(killed.signal, 'SIGKILL');
    const replayedToken = /^stored 3 (\S+)/m.exec(killed.output)![1]!;
    const restarted = await runChild(0, total, undefined, cluster.brokers);
    assert.match(restarted.output, new RegExp(`^stored \\d+ ${replayedToken.replace(/[/.]/g, '\\$&')}$`, 'm'), 'the uncommitted batch is consumed again');
    assert.deepEqual(await countReadings(join(dir, 'kafka')), { rows: total, final: total, keys: total });
    assert.ok((await assertFeed(bus, join(dir, 'kafka'), total, 'mdm')) >= total, 'at least once');
  } finally {
    await bus.close();
    await cluster.stop();
  }
});

test('pushes: the HES (connector appending ciphered pushes, pipeline deciphering them) SIGKILLed mid-stream; after restart every push on the bus is stored once', { timeout: 180_000 }, async () => {
  const meters = 20;
  const base = Math.floor(Date.now() / 900_000) * 900_000 - 10 * 900_000;
  const pushDir = join(dir, 'push');
  // Rounds 1-3 stream in while the pipeline runs; it is killed between the insert and the commit of its third batch.
  const killed = await runChild(3, 0, (out) => /^stored 3 /m.test(out), undefined, `push:${meters}:${base}:1:3`, pushDir);
  assert.equal(killed.signal, 'SIGKILL');
  const replayedToken = /^stored 3 (\S+)/m.exec(killed.output)![1]!;
  // Restarted: round 4 arrives; the run ends once every push on the bus is stored.
  const onBus = await framesOnBus(pushDir) + meters;
  const restarted = await runChild(0, onBus * 4, undefined, undefined, `push:${meters}:${base}:4:4`, pushDir);
  assert.match(restarted.output, new RegExp(`^stored \\d+ ${replayedToken.replace(/[/.]/g, '\\$&')}$`, 'm'), 'the uncommitted batch is consumed again, cut the same');
  assert.equal(await framesOnBus(pushDir), onBus);
  assert.doesNotMatch(killed.output + restarted.output, /dead letter/, 'every push deciphered and decoded');
  // Four registers per push: every push stored, none twice (rows before merges = rows FINAL = distinct keys).
  assert.deepEqual(await countReadings(pushDir), { rows: onBus * 4, final: onBus * 4, keys: onBus * 4 });
});

/** Raw frames in the embedded log (read by a group of its own). */
async function framesOnBus(under: string): Promise<number> {
  const bus = new EmbeddedBus({ dir: join(under, 'bus') });
  try {
    const end = await bus.consumer({ groupId: `count-${Date.now()}`, topics: [Topics.rawFrames] });
    let n = 0;
    const running = end.run(async (b) => {
      n += b.messages.length;
    });
    while ((await end.lag()) > 0) await new Promise((r) => setTimeout(r, 20));
    await end.stop();
    await running;
    return n;
  } finally {
    await bus.close();
  }
}
