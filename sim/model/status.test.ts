import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DlmsData } from '../../decoders/dlms/axdr/types.js';
import { ClassId, associationLnAttributes } from '../../decoders/dlms/cosem/index.js';
import { parseObis } from '../../decoders/dlms/obis.js';
import { DEFAULT_FLEET, Fleet, type FleetConfig } from '../fleet.js';
import { MeterObjects } from '../objects/index.js';
import { builtinProfiles } from '../profiles/profile.js';
import { journalEvents } from './events.js';

const NOW = Date.UTC(2025, 2, 10, 9, 34, 56);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SESSION = { clientSap: 16, serverSap: 1, mechanism: 0, ciphered: false, invocationCounter: 0 };

function meterObjects(config: Partial<FleetConfig>, index: number) {
  const fleet = new Fleet({ ...DEFAULT_FLEET, historyStart: '2024-01-01', ...config }, () => NOW);
  const meter = fleet.meter(index);
  const objects = new MeterObjects(fleet.table, { meter, nowMs: NOW, session: SESSION });
  const get = (classId: number, obis: string, attr: number, at = NOW): DlmsData => {
    objects.ctx.nowMs = at;
    const r = objects.get({ classId, instanceId: parseObis(obis), attributeId: attr });
    assert.equal(r.type, 'data', `${classId}/${obis}/${attr}: ${JSON.stringify(r)}`);
    return (r as { value: DlmsData }).value;
  };
  return { fleet, meter, objects, get };
}

const registerValue = (d: DlmsData): number => {
  assert.equal(d.type, 'double-long-unsigned');
  return (d as { value: number }).value;
};

test('every profile lists the error and alarm registers (Data) and a healthy meter reads 0 in both', () => {
  for (const name of builtinProfiles().keys()) {
    const { get } = meterObjects({ profile: name, meters: 1 }, 0);
    const list = associationLnAttributes.objectList.decode(get(ClassId.associationLn, '0.0.40.0.0.255', 2));
    for (const obis of ['0.0.97.97.0.255', '0.0.97.98.0.255']) {
      assert.ok(list.some((o) => o.classId === ClassId.data && o.logicalName === obis), `${name}: ${obis} in the object list`);
      assert.deepEqual(get(ClassId.data, obis, 1), { type: 'octet-string', value: parseObis(obis) });
    }
    assert.equal(registerValue(get(ClassId.data, '0.0.97.97.0.255', 2)), 0, name);
    assert.equal(registerValue(get(ClassId.data, '0.0.97.98.0.255', 2)), 0, name);
  }
});

test('the clockInvalid fault sets the clock-invalid bit of the error register, for the meters it names only', () => {
  const faults = [{ serials: ['30800002'], clockInvalid: true }];
  assert.equal(registerValue(meterObjects({ meters: 3, faults }, 1).get(ClassId.data, '0.0.97.97.0.255', 2)), 1);
  assert.equal(registerValue(meterObjects({ meters: 3, faults }, 0).get(ClassId.data, '0.0.97.97.0.255', 2)), 0);
});

test('alarm register bits are the alarm journals\' events of the last day (power: bit 2, cover opened / fraud: bit 13)', () => {
  for (const name of ['ce308', 'idis']) {
    const seen = new Map<number, { set: number; clear: number }>();
    for (let index = 0; index < 25; index++) {
      const { meter, get } = meterObjects({ profile: name, meters: 25, faults: [{ outagesPerDay: 0.2 }] }, index);
      // what the meter's journals hold, read once at the end of the checked half year
      const alarms = (meter.profile.alarms ?? []).filter((a) => a.bit !== undefined).map((a) => {
        const j = meter.profile.journals.findIndex((x) => x.name === a.journal);
        return { bit: a.bit!, times: journalEvents(meter, j, NOW).filter((e) => !a.codes || a.codes.includes(e.code)).map((e) => e.timeMs) };
      });
      const mask = alarms.reduce((m, a) => m | (1 << a.bit), 0);
      for (let t = NOW - 180 * DAY; t <= NOW; t += 5 * HOUR) {
        const value = registerValue(get(ClassId.data, '0.0.97.98.0.255', 2, t));
        assert.equal(value & ~mask, 0, `${name} meter ${index}: only alarm bits`);
        for (const a of alarms) {
          const expected = a.times.some((e) => e > t - DAY && e <= t);
          assert.equal((value >>> a.bit) & 1, expected ? 1 : 0, `${name} meter ${index} bit ${a.bit} at ${new Date(t).toISOString()}`);
          const s = seen.get(a.bit) ?? { set: 0, clear: 0 };
          if (expected) s.set++;
          else s.clear++;
          seen.set(a.bit, s);
        }
      }
    }
    for (const bit of [2, 13]) assert.ok(seen.get(bit)!.set > 0 && seen.get(bit)!.clear > 0, `${name} bit ${bit}: ${JSON.stringify(seen.get(bit))}`);
  }
});

test('a relay switched by a command does not raise the cover-opened alarm (run-time events share its journal and code)', () => {
  const { get, objects } = meterObjects({ meters: 1 }, 0);
  assert.equal(objects.action({ classId: ClassId.disconnectControl, instanceId: parseObis('0.0.96.3.10.255'), methodId: 1 }, { type: 'integer', value: 0 }).result, 0);
  assert.ok(journalEvents(objects.ctx.meter, 4, NOW + 1000).some((e) => e.timeMs === NOW && e.code === 1), 'relay event in the external impacts journal');
  assert.equal(registerValue(get(ClassId.data, '0.0.97.98.0.255', 2, NOW + 1000)), 0);
});
