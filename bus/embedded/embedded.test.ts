import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { EmbeddedBus } from './index.js';
import { murmur2, partitionOf, type Batch } from '../types.js';
// kafkajs ships its sources; its default partitioner's murmur2 is the reference for key placement.
// @ts-expect-error untyped internal module of kafkajs
import kafkajsMurmur2 from 'kafkajs/src/producer/partitioners/default/murmur2.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'hes-bus-'));
const msg = (key: string, value: string) => ({ key: Buffer.from(key), value: Buffer.from(value) });

async function drain(bus: EmbeddedBus, groupId: string, topic: string, until: number, fail?: (b: Batch) => boolean): Promise<Batch[]> {
  const c = await bus.consumer({ groupId, topics: [topic], maxBatchMessages: 7 });
  const seen: Batch[] = [];
  let count = 0;
  const done = c.run(async (b) => {
    if (fail?.(b)) throw new Error('sink down');
    seen.push(b);
    count += b.messages.length;
    if (count >= until) await c.stop();
  });
  await done;
  return seen;
}

test('murmur2 partitioning matches kafkajs for device keys', () => {
  for (const k of ['1', '42', '100000', 'meter-0001', '', 'ÿ']) {
    assert.equal(murmur2(Buffer.from(k)), (kafkajsMurmur2 as (k: Buffer) => number)(Buffer.from(k)), k);
  }
  assert.equal(partitionOf(null, 4, 6), 2);
});

test('keyed messages keep per-key order; a group commits and resumes after its last commit', async () => {
  const dir = tmp();
  try {
    let bus = new EmbeddedBus({ dir, defaultPartitions: 3, fsync: 'always' });
    const producer = await bus.producer();
    const keys = ['1', '2', '3', '4', '5'];
    for (let i = 0; i < 40; i++) await producer.send('frames', keys.map((k) => msg(k, `${k}:${i}`)));
    const batches = await drain(bus, 'g', 'frames', 120);
    const perKey = new Map<string, number[]>();
    const partitionOfKey = new Map<string, number>();
    for (const b of batches) {
      for (const m of b.messages) {
        const [k, i] = m.value.toString().split(':');
        assert.equal(m.key!.toString(), k);
        const prev = partitionOfKey.get(k!);
        assert.ok(prev === undefined || prev === b.partition, 'a key stays in one partition');
        partitionOfKey.set(k!, b.partition);
        perKey.set(k!, [...(perKey.get(k!) ?? []), Number(i)]);
      }
    }
    for (const seq of perKey.values()) assert.deepEqual(seq, [...seq].sort((a, b) => a - b));
    assert.equal(new Set(partitionOfKey.values()).size > 1, true, 'keys spread over partitions');
    await bus.close();

    bus = new EmbeddedBus({ dir });
    const c = await bus.consumer({ groupId: 'g', topics: ['frames'] });
    assert.equal(await c.lag(), 200 - batches.reduce((a, b) => a + b.messages.length, 0));
    const rest = await drain(bus, 'other', 'frames', 200);
    assert.equal(rest.reduce((a, b) => a + b.messages.length, 0), 200, 'a new group starts at the beginning');
    await bus.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a consumer that caught up gets what is appended later to the same partition', { timeout: 20_000 }, async () => {
  const dir = tmp();
  try {
    const bus = new EmbeddedBus({ dir, defaultPartitions: 1 });
    const producer = await bus.producer();
    const c = await bus.consumer({ groupId: 'g', topics: ['t'] });
    const seen: string[] = [];
    let more = () => {};
    const done = c.run(async (b) => {
      seen.push(...b.messages.map((m) => m.value.toString()));
      more();
      if (seen.length === 3) await c.stop();
    });
    for (const v of ['a', 'b', 'c']) {
      const taken = new Promise<void>((r) => (more = r));
      await producer.send('t', [msg('k', v)]);
      await taken;
    }
    await done;
    assert.deepEqual(seen, ['a', 'b', 'c']);
    await bus.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed handler commits nothing: the batch is delivered again', async () => {
  const dir = tmp();
  try {
    let bus = new EmbeddedBus({ dir, defaultPartitions: 1 });
    await (await bus.producer()).send('t', Array.from({ length: 20 }, (_, i) => msg('k', String(i))));
    let calls = 0;
    await assert.rejects(drain(bus, 'g', 't', 20, () => ++calls === 2), /sink down/);
    await bus.close();
    bus = new EmbeddedBus({ dir });
    const again = await drain(bus, 'g', 't', 13);
    assert.equal(again[0]!.messages[0]!.offset, 7, 'resumes right after the one committed batch');
    await bus.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a torn write at the end of the log is cut on open; offsets continue', async () => {
  const dir = tmp();
  try {
    let bus = new EmbeddedBus({ dir, defaultPartitions: 1 });
    await (await bus.producer()).send('t', [msg('a', 'one'), msg('a', 'two')]);
    await bus.close();
    const pdir = join(dir, 'topics', 't', '0');
    const seg = join(pdir, readdirSync(pdir)[0]!);
    const before = statSync(seg).size;
    appendFileSync(seg, Buffer.from([40, 0, 0, 0, 1, 2, 3]));
    bus = new EmbeddedBus({ dir });
    assert.equal(bus.topic('t').partitions[0]!.nextOffset, 2);
    assert.equal(statSync(seg).size, before);
    await (await bus.producer()).send('t', [msg('a', 'three')]);
    const got = await drain(bus, 'g', 't', 3);
    assert.deepEqual(got.flatMap((b) => b.messages.map((m) => `${m.offset}=${m.value}`)), ['0=one', '1=two', '2=three']);
    await bus.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('segments roll by size and retention drops the oldest; readers skip to the log start', async () => {
  const dir = tmp();
  try {
    const bus = new EmbeddedBus({ dir, defaultPartitions: 1, segmentBytes: 1000, retentionBytes: 2500 });
    const producer = await bus.producer();
    for (let i = 0; i < 100; i++) await producer.send('t', [msg('k', `v${i}`.padEnd(60, '.'))]);
    const log = bus.topic('t').partitions[0]!;
    assert.ok(readdirSync(join(dir, 'topics', 't', '0')).length > 5);
    assert.ok(log.applyRetention(Date.now()) > 0);
    assert.ok(log.startOffset > 0);
    const first = log.read(0, 1)[0]!;
    assert.equal(first.offset, log.startOffset);
    assert.equal(first.value.toString().trimEnd().replace(/\.+$/, ''), `v${log.startOffset}`);
    assert.equal(log.read(99, 5).length, 1);
    await bus.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a consumer process killed with SIGKILL resumes from its last committed offset', async () => {
  const dir = tmp();
  try {
    const bus = new EmbeddedBus({ dir, defaultPartitions: 2 });
    await (await bus.producer()).send('t', Array.from({ length: 500 }, (_, i) => msg(String(i % 10), String(i))));
    await bus.close();
    // The child consumes batches of 10 with a slow handler and reports each commit; we kill it mid-stream.
    const child = spawn(process.execPath, [...process.execArgv, new URL(import.meta.url.endsWith('.ts') ? './consume-child.fixture.ts' : './consume-child.fixture.js', import.meta.url).pathname, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let lines = '';
    child.stdout.on('data', (d: Buffer) => {
      lines += d.toString();
      if (lines.split('\n').length > 6) child.kill('SIGKILL');
    });
    const [, signal] = await once(child, 'exit');
    assert.equal(signal, 'SIGKILL');
    const handled = lines.trim().split('\n').map(Number);
    const reopened = new EmbeddedBus({ dir });
    const committed = reopened.readCommitted('crash');
    const committedCount = Object.values(committed.t ?? {}).reduce((a, b) => a + b, 0);
    assert.ok(committedCount >= 50 && committedCount <= handled.reduce((a, b) => a + b, 0));
    const rest = await drain(reopened, 'crash', 't', 500 - committedCount);
    assert.equal(rest.reduce((a, b) => a + b.messages.length, 0), 500 - committedCount);
    await reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('record headers (trace context) survive the log, next to records without them, also after a reopen', async () => {
  const dir = tmp();
  try {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const write = async () => {
      const bus = new EmbeddedBus({ dir });
      await bus.createTopics([{ name: 't', partitions: 1 }]);
      const p = await bus.producer();
      // Old layout, headers with a key, headers with a null key, old layout with a null key.
      await p.send('t', [msg('1', 'a'), { ...msg('2', 'b'), headers: { traceparent } }, { key: null, value: Buffer.from('c'), headers: { traceparent, tracestate: 'x=1' } }, { key: null, value: Buffer.from('d') }]);
      await bus.close();
    };
    await write();
    const bus = new EmbeddedBus({ dir });
    const [batch] = await drain(bus, 'g', 't', 4);
    await bus.close();
    const got = batch!.messages.map((m) => [m.key?.toString() ?? null, m.value.toString(), m.headers ?? null]);
    assert.deepEqual(got, [['1', 'a', null], ['2', 'b', { traceparent }], [null, 'c', { traceparent, tracestate: 'x=1' }], [null, 'd', null]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
