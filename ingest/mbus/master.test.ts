/**
 * The wired M-Bus master against simulated slaves behind a simulated TCP converter: primary and secondary
 * addressing, multi-telegram answers with FCB toggling, repeats after garbled answers, silent slaves.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeTelegram } from '../../decoders/mbus/telegram.js';
import { MbusConverter } from '../../sim/mbus/converter.js';
import { MbusFleet } from '../../sim/mbus/meter.js';
import { connectTcp } from '../transport/socket.js';
import { MbusMaster, MbusLinkError } from './master.js';

const T = Date.UTC(2026, 5, 15, 10, 30);
const fleet = new MbusFleet({ meters: 8 });
const more = (f: Uint8Array) => decodeTelegram(f).records.moreRecordsFollow;
let clean: MbusConverter;
let noisy: MbusConverter;

before(async () => {
  // Meter 0 (water) at primary 5, meter 1 (heat) at 6, meter 2 at 7 (silent).
  const slaves = new Map([[5, 0], [6, 1], [7, 2]]);
  clean = await new MbusConverter({ fleet, slaves, silent: new Set([7]), now: () => T }).start();
  noisy = await new MbusConverter({ fleet, slaves, garbleRate: 0.3, now: () => T }).start();
});
after(async () => {
  await clean.close();
  await noisy.close();
});

async function master(c: MbusConverter, waitTimeMs = 500): Promise<{ m: MbusMaster; frames: string[] }> {
  const frames: string[] = [];
  const m = new MbusMaster(await connectTcp('127.0.0.1', c.port), { waitTimeMs, resendCount: 3, onFrame: (d, b) => frames.push(`${d} ${Buffer.from(b).toString('hex')}`) });
  return { m, frames };
}

test('primary address: SND_NKE, then REQ_UD2 with FCB toggled until the last telegram (heat meter: 10 records in 3 telegrams)', async () => {
  const { m, frames } = await master(clean);
  const a = await m.address('6');
  assert.equal(a, 6);
  const telegrams = await m.readAll(a, more, 16);
  m.close();
  assert.equal(telegrams.length, 3);
  const all = telegrams.flatMap((t) => {
    const d = decodeTelegram(t);
    return Array.from({ length: d.records.count }, (_, i) => d.records.scaled(i));
  });
  assert.equal(all.length, 10);
  assert.equal(all[0], fleet.primaryValue(1, T) * 1000, 'energy in Wh (kWh VIF)');
  const requests = frames.filter((f) => f.startsWith('tx 10')).map((f) => f.slice(5, 7));
  assert.deepEqual(requests, ['40', '7b', '5b', '7b'], 'SND_NKE, then FCB 1, 0, 1');
});

test('secondary address with wildcards: selection, then the selected slave answers at 0xFD', async () => {
  const { m } = await master(clean);
  const a = await m.address(`F${fleet.meter(0).id.slice(1)}-HES`); // 30000000 only: the others differ in the last digit
  assert.equal(a, 0xfd);
  const telegrams = await m.readAll(a, more, 16);
  m.close();
  assert.equal(telegrams.length, 2, 'water meter: 7 records in 2 telegrams');
  const first = decodeTelegram(telegrams[0]!);
  assert.equal(first.meter!.id, fleet.meter(0).id);
  assert.equal(first.records.value[0], fleet.primaryValue(0, T));
});

test('garbled answers are asked for again with the same FCB: the read completes with the right telegrams', async () => {
  const { m, frames } = await master(noisy);
  const telegrams = await m.readAll(await m.address('6'), more, 16);
  m.close();
  assert.ok(noisy.requests.garbled > 0, 'the converter garbled some answers');
  assert.equal(telegrams.length, 3);
  assert.equal(decodeTelegram(telegrams[2]!).records.moreRecordsFollow, false);
  const reqs = frames.filter((f) => f.startsWith('tx 10') && !f.startsWith('tx 1040'));
  assert.ok(reqs.length > 3, 'some requests repeated');
});

test('a silent slave: no answer after the repeats, a timeout error; an unmatched selection too', async () => {
  const { m } = await master(clean, 100);
  await assert.rejects(m.address('7'), (e: unknown) => e instanceof MbusLinkError && e.reason === 'timeout' && /4 attempts/.test(e.message));
  await assert.rejects(m.address('99999999'), (e: unknown) => e instanceof MbusLinkError && e.reason === 'timeout');
  m.close();
});

test('a wildcard matching two slaves collides: garbled answers, then an error', async () => {
  const { m } = await master(clean, 100);
  await assert.rejects(m.address('FFFFFFFF-HES'), (e: unknown) => e instanceof MbusLinkError && e.reason === 'garbled');
  m.close();
});
