import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaBus } from './index.js';
import { startMockCluster, type MockCluster } from './mock-cluster.js';
import type { Batch } from '../types.js';

let cluster: MockCluster;
before(async () => {
  cluster = await startMockCluster([
    { name: 'frames', partitions: 3 },
    { name: 'retry', partitions: 1 },
  ]);
});
after(async () => cluster?.stop());

async function consumeUntil(bus: KafkaBus, groupId: string, topic: string, n: number, fail?: (b: Batch) => boolean): Promise<Batch[]> {
  const c = await bus.consumer({ groupId, topics: [topic], maxBatchMessages: 25 });
  const seen: Batch[] = [];
  let count = 0;
  await c.run(async (b) => {
    if (fail?.(b)) throw new Error('sink down');
    seen.push(b);
    count += b.messages.length;
    if (count >= n) void c.stop();
  });
  return seen;
}

test('kafkajs bus on the librdkafka mock cluster: keyed order, consumer group, commit after handler', async () => {
  const bus = new KafkaBus({ brokers: cluster.brokers, compression: 'gzip' });
  try {
    await bus.createTopics([{ name: 'frames', partitions: 3 }]);
    const producer = await bus.producer();
    for (let i = 0; i < 20; i++) await producer.send('frames', ['1', '2', '3', '4', '5', '6'].map((k) => ({ key: Buffer.from(k), value: Buffer.from(`${k}:${i}`) })));
    const batches = await consumeUntil(bus, 'g1', 'frames', 120);
    const perKey = new Map<string, { partition: number; seq: number[] }>();
    for (const b of batches) {
      for (const m of b.messages) {
        const [k, i] = m.value.toString().split(':') as [string, string];
        const e = perKey.get(k) ?? { partition: b.partition, seq: [] };
        assert.equal(e.partition, b.partition, 'a device stays in one partition');
        e.seq.push(Number(i));
        perKey.set(k, e);
      }
    }
    assert.equal(perKey.size, 6);
    for (const e of perKey.values()) assert.deepEqual(e.seq, Array.from({ length: 20 }, (_, i) => i));
    const c = await bus.consumer({ groupId: 'g1', topics: ['frames'] });
    assert.equal(await c.lag(), 0, 'everything handled was committed');
    await c.stop();
    await producer.close();
  } finally {
    await bus.close();
  }
});

test('a failed handler commits nothing; the group resumes at the failed batch', async () => {
  const bus = new KafkaBus({ brokers: cluster.brokers, sessionTimeoutMs: 6000 });
  try {
    const producer = await bus.producer();
    await producer.send('retry', Array.from({ length: 100 }, (_, i) => ({ key: Buffer.from('k'), value: Buffer.from(String(i)) })));
    let calls = 0;
    await assert.rejects(consumeUntil(bus, 'g2', 'retry', 100, () => ++calls === 3), /sink down/);
    const rest = await consumeUntil(bus, 'g2', 'retry', 50);
    assert.equal(rest[0]!.messages[0]!.offset, 50, 'two slices of 25 were committed before the failure');
    assert.equal(rest.flatMap((b) => b.messages).length, 50);
    await producer.close();
  } finally {
    await bus.close();
  }
});
