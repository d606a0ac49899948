import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { READING_TYPES, READING_TYPE_PATTERN, multiplierOf, readingTypeOf, readingsOfType } from './reading-types.js';

const CHANNELS = ['A+', 'A-', 'R+', 'R-'] as const;
const profiles = (dir: string) => {
  const url = new URL(dir, import.meta.url);
  return readdirSync(url).filter((f) => f.endsWith('.json')).map((f) => ({ file: f, p: JSON.parse(readFileSync(new URL(f, url), 'utf8')) as Record<string, unknown> }));
};

test('catalogue: every code has 18 parts, codes and keys are unique, so both directions are functions', () => {
  assert.ok(READING_TYPES.length > 100);
  for (const r of READING_TYPES) assert.match(r.code, READING_TYPE_PATTERN, r.name);
  assert.equal(new Set(READING_TYPES.map((r) => r.code)).size, READING_TYPES.length);
  assert.equal(new Set(READING_TYPES.map((r) => `${r.archive}|${r.obis}|${r.tariff}`)).size, READING_TYPES.length);
});

test('catalogue: both directions round-trip for every row', () => {
  for (const r of READING_TYPES) {
    assert.equal(readingTypeOf(r.archive, r.obis, r.tariff)?.code, r.code);
    assert.deepEqual(readingsOfType(r.code), r);
  }
});

test('catalogue: the published examples and field meanings', () => {
  // IEC 61968-9 Annex C: 15-minute (2) deltaData (4) forward (1) electricity secondary metered (1) energy (12), kWh (3, 72).
  assert.equal(readingTypeOf('profile-15', '1.0.1.29.0.255', 0)?.code, '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0');
  const fields = (code: string) => code.split('.').map(Number);
  const daily = fields(readingTypeOf('end-of-day', '1.0.2.8.3.255', 3)!.code);
  assert.equal(daily[0], 11, 'macroPeriod daily');
  assert.equal(daily[3], 1, 'bulkQuantity');
  assert.equal(daily[4], 19, 'reverse');
  assert.equal(daily[11], 3, 'TOU = tariff 3');
  assert.equal(daily[16], 72, 'Wh');
  assert.equal(fields(readingTypeOf('end-of-month', '1.0.3.8.0.255', 0)!.code)[0], 13, 'macroPeriod monthly');
  const voltage = fields(readingTypeOf('network', '1.0.52.7.0.255', 0)!.code);
  assert.deepEqual([voltage[3], voltage[6], voltage[14], voltage[16]], [12, 54, 65, 29], 'instantaneous voltage, phase BN, V');
  assert.equal(fields(readingTypeOf('current', '7.0.3.0.0.255', 0)!.code)[5], 7, 'natural gas');
  assert.equal(multiplierOf('0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0'), 3);
  assert.equal(multiplierOf(readingTypeOf('network', '1.0.32.7.0.255', 0)!.code), 0);
});

test('catalogue: unknown readings and codes are undefined', () => {
  assert.equal(readingTypeOf('profile-15', '1.0.1.29.0.255', 1), undefined);
  assert.equal(readingTypeOf('network', '0.0.96.1.0.255', 0), undefined);
  assert.equal(readingsOfType('0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.1'), undefined);
});

test('every reading the built-in device profiles produce has a reading type', () => {
  const missing: string[] = [];
  const expect = (where: string, archive: string, obis: string, tariff: number) => {
    if (!readingTypeOf(archive, obis, tariff)) missing.push(`${where}: ${archive} ${obis} T${tariff}`);
  };
  for (const { file, p } of profiles('../../registry/profiles/')) {
    const energy = p.energy as Record<string, string> | undefined;
    const interval = p.intervalEnergy as Record<string, string> | undefined;
    const archives = (p.archives ?? {}) as Record<string, { classId: number; objects?: string[] }>;
    for (const [archive, spec] of Object.entries(archives)) {
      if (spec.objects) for (const obis of spec.objects) expect(file, archive, obis, 0);
      else if (!energy) continue; // the profile names no energy objects: its meters' capture objects decide (the simulator's below)
      else if (/^profile-/.test(archive)) {
        // A load profile captures interval energies (SPODES) or the T0 registers (IDIS).
        for (const ch of CHANNELS) expect(file, archive, interval?.[ch] ?? energy[ch]!.replace('{t}', '0'), 0);
      } else {
        for (const ch of CHANNELS) for (let t = 0; t <= 4; t++) expect(file, archive, energy[ch]!.replace('{t}', String(t)), t);
      }
    }
    const mbus = p.mbus as { records: { obis: string; archive?: string; tariff?: number }[] } | undefined;
    for (const r of mbus?.records ?? []) {
      if (/^\d+\.\d+\.9[67]\./.test(r.obis)) continue; // status and service values: not readings
      expect(file, r.archive ?? 'current', r.obis, r.tariff ?? 0);
    }
  }
  // The simulator's meters: the columns of their load and billing profiles, and their network values.
  for (const { file, p } of profiles('../../sim/profiles/')) {
    const energy = p.energy as Record<string, string>;
    const interval = p.intervalEnergy as Record<string, string> | undefined;
    for (const lp of p.loadProfiles as { period: number; values: string; columns: string[] }[]) {
      for (const col of lp.columns) {
        const obis = lp.values === 'delta' ? interval![col]! : energy[col]!.replace('{t}', '0');
        expect(file, `profile-${lp.period / 60}`, obis, 0);
      }
    }
    for (const b of p.billing as { kind: string; columns: string[] }[]) {
      for (const col of b.columns) {
        const [ch, t] = col.split('T') as [string, string | undefined];
        expect(file, b.kind === 'daily' ? 'end-of-day' : 'end-of-month', energy[ch]!.replace('{t}', t ?? '0'), Number(t ?? 0));
      }
    }
    for (const i of p.instantaneous as { obis: string }[]) expect(file, 'network', i.obis, 0);
  }
  assert.deepEqual(missing, []);
});
