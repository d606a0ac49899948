/**
 * VEE against a real chDB: re-validation of a stored range writes failures and clears those that no longer
 * hold; estimates fill a gap and a measured value arriving later wins by itself; an edit is a new version
 * that wins over the measured one while the history keeps every version; the same version stored twice
 * counts once; streaming validation from a block's columns finds what re-validation finds.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { testWarehouse } from '../clickhouse/testing.js';
import { ReadingsBlock } from '../../workers/readings-block.js';
import { DEFAULT_RULES, parseRules } from './rules.js';
import { addVersions, estimateRange, measuredValue, readingHistory, revalidate, validationFailures, veeReadings } from './store.js';
import { StreamingValidator } from './streaming.js';

const engine = testWarehouse('vee-store');
const P = 900;
const T0 = Date.UTC(2026, 2, 2) / 1000;
const NOW = Date.UTC(2026, 2, 10);

const reading = (device: number, obis: string, i: number, raw: number, extra: object = {}) => ({
  device_id: device, archive: 'profile-15', obis, reading_type: '', tariff: 0, ts: T0 + i * P, raw, scaler: 0, unit: 'Wh', quality: 3, device_status: 0,
  device_tz: 60, source: 'POLL', collected_at: T0 + i * P + 60, retention_days: 0, ...extra,
});

async function insert(rows: object[]): Promise<void> {
  await engine.exec(`INSERT INTO readings SETTINGS insert_deduplicate = 0 FORMAT JSONEachRow\n${rows.map((r) => JSON.stringify(r)).join('\n')}`);
}

describe('VEE store (chDB)', () => {
  before(async () => {
    // device 1: a register growing 10 Wh per interval, intervals 3 and 4 missing, a drop at 8
    const rows: object[] = [];
    for (let i = 0; i < 10; i++) if (i !== 3 && i !== 4) rows.push(reading(1, '1.0.1.8.0.255', i, i === 8 ? 5 : 1000 + 10 * i));
    await insert(rows);
  });

  it('re-validates a range: failures stored and queryable, failures that no longer hold cleared', async () => {
    const rules = parseRules([{ code: 'gap', severity: 'warning' }, { code: 'register-decrease', severity: 'error' }]);
    const r = await revalidate(engine, [1], T0, T0 + 10 * P, rules, NOW);
    assert.deepEqual(r, { readings: 8, failures: 2, cleared: 0 });
    const f = await validationFailures(engine, [1], { limit: 10, offset: 0 });
    assert.deepEqual(f.items.map((x) => [x.code, x.severity, (Date.parse(x.ts) / 1000 - T0) / P]), [['register-decrease', 'error', 8], ['gap', 'warning', 5]]);
    // the drop is fixed at the source (a re-read): re-validation clears its failure
    await insert([reading(1, '1.0.1.8.0.255', 8, 1080, { collected_at: T0 + 9 * P })]);
    const again = await revalidate(engine, [1], T0, T0 + 10 * P, rules, NOW + 1000);
    assert.equal(again.cleared, 1);
    assert.deepEqual((await validationFailures(engine, [1], { limit: 10, offset: 0, code: 'register-decrease' })).total, 0);
    assert.equal((await validationFailures(engine, [1], { limit: 10, offset: 0 })).total, 1);
  });

  it('estimates a gap; the measured value replaces the estimate when it arrives', async () => {
    const made = await estimateRange(engine, 1, 'profile-15', T0, T0 + 10 * P, { linearMax: 4, weeks: 2, user: 'system', nowMs: NOW });
    assert.deepEqual(made.map((e) => [(e.ts - T0) / P, e.value, e.method]), [[3, 1030, 'linear'], [4, 1040, 'linear']]);
    let items = (await veeReadings(engine, 1, { from: new Date((T0 + 2 * P) * 1000).toISOString(), limit: 4, offset: 0 })).items;
    assert.deepEqual(items.map((x) => [x.value, x.status, x.method]), [[1020, 'measured', ''], [1030, 'estimated', 'linear'], [1040, 'estimated', 'linear'], [1050, 'measured', '']]);
    await insert([reading(1, '1.0.1.8.0.255', 3, 1031)]);
    items = (await veeReadings(engine, 1, { from: new Date((T0 + 3 * P) * 1000).toISOString(), limit: 2, offset: 0 })).items;
    assert.deepEqual(items.map((x) => [x.value, x.status]), [[1031, 'measured'], [1040, 'estimated']]);
    // estimating again leaves measured slots alone
    const again = await estimateRange(engine, 1, 'profile-15', T0, T0 + 10 * P, { linearMax: 4, weeks: 2, user: 'system', nowMs: NOW + 5 });
    assert.deepEqual(again.map((e) => (e.ts - T0) / P), [4]);
  });

  it('an edit is a new version in force; the history keeps the measured value and who, when and why', async () => {
    const key = { archive: 'profile-15', obis: '1.0.1.8.0.255', tariff: 0, ts: T0 + 6 * P };
    assert.deepEqual(await measuredValue(engine, 1, key), { value: 1060, unit: 'Wh' });
    const edit = { ...key, kind: 'edited' as const, method: 'manual', value: 1061.5, unit: 'Wh', user: 'alice', reason: 'meter test showed +1.5 Wh' };
    await addVersions(engine, 1, [edit], NOW + 10_000);
    // the same version stored twice (a retried insert) counts once
    await addVersions(engine, 1, [edit], NOW + 10_000);
    const history = await readingHistory(engine, 1, key);
    assert.deepEqual(history.map((h) => [h.kind, h.value, h.user, h.reason, h.inForce]), [
      ['measured', 1060, null, null, false],
      ['edited', 1061.5, 'alice', 'meter test showed +1.5 Wh', true],
    ]);
    const [inForce] = (await veeReadings(engine, 1, { from: new Date(key.ts * 1000).toISOString(), limit: 1, offset: 0 })).items;
    assert.deepEqual([inForce!.value, inForce!.status], [1061.5, 'edited']);
    // a later re-read of the meter does not undo the edit
    await insert([reading(1, '1.0.1.8.0.255', 6, 1060, { collected_at: T0 + 20 * P })]);
    assert.equal((await veeReadings(engine, 1, { from: new Date(key.ts * 1000).toISOString(), limit: 1, offset: 0 })).items[0]!.status, 'edited');
  });

  it('streaming validation of a block\'s columns finds what re-validation of the stored rows finds', async () => {
    const block = new ReadingsBlock(64);
    const text = (c: 'archive' | 'obis' | 'reading_type' | 'unit' | 'source', v: string) => block.textId(c, v);
    const rows: object[] = [];
    for (let i = 0; i < 12; i++) {
      if (i === 5) continue;
      const raw = 2000 + 10 * i + (i === 9 ? 5000 : 0) - (i === 11 ? 5000 : 0);
      rows.push(reading(2, '1.0.1.8.0.255', i, raw));
      block.add(2, text('archive', 'profile-15'), text('obis', '1.0.1.8.0.255'), text('reading_type', ''), 0, T0 + i * P, raw, 0, text('unit', 'Wh'), 3, 0, 60, text('source', 'POLL'), T0 + i * P + 60, 0);
    }
    const streaming = new StreamingValidator(engine, { rules: async () => () => DEFAULT_RULES, now: () => NOW });
    // in two batches, as the pipeline would store them
    const cols = block.columns();
    const half = (from: number, to: number) => ({
      ...cols, count: to - from, deviceId: cols.deviceId.slice(2 * from, 2 * to), raw: cols.raw.slice(2 * from, 2 * to), ts: cols.ts.slice(from, to), scaler: cols.scaler.slice(from, to),
      tariff: cols.tariff.slice(from, to), quality: cols.quality.slice(from, to), deviceStatus: cols.deviceStatus.slice(from, to), collectedAt: cols.collectedAt.slice(from, to),
      archive: { ...cols.archive, ids: cols.archive.ids.slice(from, to) }, obis: { ...cols.obis, ids: cols.obis.ids.slice(from, to) },
    });
    await streaming.validate(half(0, 6));
    await streaming.validate(half(6, cols.count));
    const streamed = (await validationFailures(engine, [2], { limit: 50, offset: 0 })).items.map((f) => `${f.code}@${(Date.parse(f.ts) / 1000 - T0) / P}`).sort();
    await insert(rows);
    await revalidate(engine, [2], T0, T0 + 12 * P, DEFAULT_RULES, NOW + 1);
    const stored = (await validationFailures(engine, [2], { limit: 50, offset: 0 })).items.map((f) => `${f.code}@${(Date.parse(f.ts) / 1000 - T0) / P}`).sort();
    assert.deepEqual(streamed, ['gap@6', 'register-decrease@10', 'register-decrease@11', 'spike@9']);
    assert.deepEqual(stored, streamed);
    assert.deepEqual(streaming.totals, { readings: 11, failures: 4 });
  });
});
