import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnergyCursor, SLOTS_PER_DAY, TariffSchedule, cumulativeBefore, inOutage, registersAt, slotEnergy, utcOfSlot, type LoadModel } from './energy.js';
import { hash32, unit } from './hash.js';

const day0 = Date.UTC(2025, 0, 1) / 86_400_000;

function model(outages: number): LoadModel {
  return {
    startSlot: day0 * SLOTS_PER_DAY,
    utcOffsetMinutes: 180,
    channels: [
      { multiplier: 40, shape: 'consumption', seed: 1 },
      { multiplier: 20, shape: 'solar', seed: 2 },
      { multiplier: 10, shape: 'consumption', seed: 3 },
      { multiplier: 0, shape: 'consumption', seed: 4 },
    ],
    tariffs: new TariffSchedule([
      { start: '07:00', tariff: 1 },
      { start: '23:00', tariff: 2 },
      { start: '10:00', tariff: 3 },
      { start: '17:00', tariff: 1 },
    ]),
    outages: outages ? { seed: 9, perDay: outages } : null,
  };
}

test('hash is deterministic and spreads', () => {
  assert.equal(hash32(1, 2, 3), hash32(1, 2, 3));
  assert.notEqual(hash32(1, 2, 3), hash32(1, 2, 4));
  assert.notEqual(hash32(1, 2 ** 33), hash32(1, 0)); // high bits of big keys count
  const mean = Array.from({ length: 10_000 }, (_, i) => unit(7, i)).reduce((a, b) => a + b) / 10_000;
  assert.ok(Math.abs(mean - 0.5) < 0.02);
});

test('tariff schedule splits the day into runs', () => {
  const t = model(0).tariffs;
  assert.equal(t.slotTariff[0], 2); // before 07:00: the zone that started at 23:00
  assert.equal(t.slotTariff[28], 1);
  assert.equal(t.slotTariff[40], 3);
  assert.deepEqual(
    t.runs.map((r) => [r.from, r.to, r.tariff]),
    [
      [0, 28, 2],
      [28, 40, 1],
      [40, 68, 3],
      [68, 92, 1],
      [92, 96, 2],
    ],
  );
  assert.throws(() => new TariffSchedule([{ start: '07:10', tariff: 1 }]), /15-minute grid/);
});

for (const outages of [0, 0.3]) {
  test(`closed-form cumulative energy equals the slot-by-slot sum (outages ${outages})`, () => {
    const m = model(outages);
    for (const ch of [0, 1, 2, 3]) {
      const sums = new Float64Array(5);
      const end = m.startSlot + 40 * SLOTS_PER_DAY + 37;
      for (let s = m.startSlot - 5; s < end; s++) {
        const e = slotEnergy(m, ch, s);
        assert.ok(e >= 0 && Number.isInteger(e), `slot ${s} energy ${e}`);
        sums[m.tariffs.slotTariff[s % SLOTS_PER_DAY]!]! += e;
      }
      assert.deepEqual([...cumulativeBefore(m, ch, end)], [...sums]);
    }
    if (outages) {
      let missing = 0;
      for (let s = m.startSlot; s < m.startSlot + 40 * SLOTS_PER_DAY; s++) if (inOutage(m, s)) missing++;
      assert.ok(missing > 0 && missing % 4 === 0, 'outages remove whole hours');
    }
  });
}

test('cumulative energy is the same whatever order instants are asked in (cached day sums)', () => {
  for (const outages of [0, 0.3]) {
    const m = model(outages);
    const days = 200;
    const prefix = [0, 1, 2, 3].map((ch) => {
      const rows = [new Float64Array(5)];
      for (let s = m.startSlot; s < m.startSlot + days * SLOTS_PER_DAY; s++) {
        const next = rows.at(-1)!.slice();
        next[m.tariffs.slotTariff[s % SLOTS_PER_DAY]!]! += slotEnergy(m, ch, s);
        rows.push(next);
      }
      return rows;
    });
    // forward, far back, far forward (past the 31-day move), within a day, back again
    for (const offset of [5000, 100, 19_000, 19_003, 3, 96 * 150 + 7, 96 * 40, 0, 1, 96 * 199 + 95]) {
      for (const ch of [0, 1, 2, 3]) assert.deepEqual([...cumulativeBefore(m, ch, m.startSlot + offset)], [...prefix[ch]![offset]!], `channel ${ch} slot +${offset}`);
    }
  }
});

test('registers: total = sum of tariffs, monotonic, and equal to the cursor at boundaries', () => {
  const m = model(0.2);
  const offsets = [0, 1000, 2000, 3000, 0];
  let previous = -1;
  for (let k = 0; k < 200; k++) {
    const t = utcOfSlot(m, m.startSlot) + k * 3_700_000;
    const r = registersAt(m, 0, t, offsets);
    assert.equal(r[0], r[1]! + r[2]! + r[3]! + r[4]!);
    assert.ok(r[0]! >= previous);
    previous = r[0]!;
  }
  const c = new EnergyCursor(m, 0, m.startSlot + 10);
  for (const slot of [m.startSlot + 10, m.startSlot + 500, m.startSlot + 3000]) {
    c.advanceTo(slot);
    const r = registersAt(m, 0, utcOfSlot(m, slot), offsets);
    for (let k = 0; k <= 4; k++) assert.equal(c.registerWh(k, offsets), r[k]);
  }
});

test('nothing is measured before the start of history', () => {
  const m = model(0);
  assert.equal(slotEnergy(m, 0, m.startSlot - 1), 0);
  assert.deepEqual([...registersAt(m, 0, utcOfSlot(m, m.startSlot) - 1, [0, 5, 6, 7, 8])], [26, 5, 6, 7, 8]);
});
