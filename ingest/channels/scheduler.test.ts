import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChannelScheduler, type ChannelRequest } from './scheduler.js';

/** A job that records when it ran and how many ran with it. */
function tracker() {
  let running = 0;
  const peak = new Map<string, number>();
  const order: string[] = [];
  const job =
    (name: string, key: string, ms = 10) =>
    async (): Promise<string> => {
      running++;
      peak.set(key, Math.max(peak.get(key) ?? 0, running));
      order.push(name);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return name;
    };
  return { job, peak, order };
}

test('an exclusive channel runs one session at a time; a shared one up to its limit', async () => {
  const s = new ChannelScheduler({ channelLimit: 3 });
  let inExclusive = 0;
  let maxExclusive = 0;
  let inShared = 0;
  let maxShared = 0;
  const ex = async (): Promise<void> => {
    maxExclusive = Math.max(maxExclusive, ++inExclusive);
    await new Promise((r) => setTimeout(r, 5));
    inExclusive--;
  };
  const sh = async (): Promise<void> => {
    maxShared = Math.max(maxShared, ++inShared);
    await new Promise((r) => setTimeout(r, 5));
    inShared--;
  };
  await Promise.all([
    ...Array.from({ length: 6 }, () => s.run({ channelId: 'lora-gw', exclusive: true }, ex)),
    ...Array.from({ length: 9 }, () => s.run({ channelId: 'tcp' }, sh)),
  ]);
  assert.equal(maxExclusive, 1);
  assert.equal(maxShared, 3);
  assert.equal(s.running, 0);
});

test('the global limit holds across channels; results and errors come back to the caller', async () => {
  const s = new ChannelScheduler({ globalLimit: 2 });
  const t = tracker();
  const all = await Promise.all(Array.from({ length: 8 }, (_, i) => s.run({ channelId: `c${i}` }, t.job(`j${i}`, 'all'))));
  assert.equal(t.peak.get('all'), 2);
  assert.deepEqual(all, ['j0', 'j1', 'j2', 'j3', 'j4', 'j5', 'j6', 'j7']);
  await assert.rejects(s.run({ channelId: 'x' }, () => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(s.running, 0);
});

test('priority first, then round robin across channels', async () => {
  const s = new ChannelScheduler({ globalLimit: 1 });
  const t = tracker();
  const reqs: [string, ChannelRequest][] = [
    ['block', { channelId: 'z' }],
    ['a1', { channelId: 'a', priority: 500 }],
    ['a2', { channelId: 'a', priority: 500 }],
    ['a3', { channelId: 'a', priority: 500 }],
    ['b1', { channelId: 'b', priority: 500 }],
    ['urgent', { channelId: 'c', priority: 1 }],
    ['b2', { channelId: 'b', priority: 500 }],
  ];
  await Promise.all(reqs.map(([n, r]) => s.run(r, t.job(n, 'x', 2))));
  assert.deepEqual(t.order, ['block', 'urgent', 'a1', 'b1', 'a2', 'b2', 'a3']);
});

test('throttling per network segment: concurrency and start rate', async () => {
  const s = new ChannelScheduler({ segments: { 'cell-17': { maxConcurrent: 2, perSecond: 50 } } });
  const t = tracker();
  const starts: number[] = [];
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      s.run({ channelId: `m${i}`, segment: 'cell-17' }, () => {
        starts.push(Date.now() - t0);
        return t.job(`m${i}`, 'cell', 30)();
      }),
    ),
  );
  assert.equal(t.peak.get('cell'), 2);
  for (let i = 1; i < starts.length; i++) assert.ok(starts[i]! - starts[i - 1]! >= 15, `starts ${starts.join(',')} closer than 20 ms`);
  // another segment is not held back
  const other = Date.now();
  await s.run({ channelId: 'x', segment: 'cell-99' }, async () => undefined);
  assert.ok(Date.now() - other < 15);
});
