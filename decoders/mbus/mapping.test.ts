/** Device-profile mapping of records and the comm-line address forms. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { parseMeterAddress, selectionData, selectionMatches } from './address.js';
import { encodeRecords, secondaryAddress } from './encode.js';
import { compileMapping, matchRecord, type MbusProfileSection } from './mapping.js';
import { decodeRecords, Records } from './records.js';

const records = (): Records => decodeRecords(encodeRecords([
  { dataField: 0x04, vib: [0x13], value: 1000 },
  { dataField: 0x04, vib: [0x13], value: 900, storage: 1 },
  { dataField: 0x04, vib: [0x93, 0x3c], value: 7 }, // backward flow volume
  { dataField: 0x02, vib: [0xfd, 0x17], value: 4 },
  { dataField: 0x04, vib: [0x06], value: 5, tariff: 2 },
  { dataField: 0x02, vib: [0x5a], value: 215, func: 1 },
]), 0, Infinity, new Records());

test('rules match by quantity, storage, tariff, function; the exact VIB wins where VIFEs matter', () => {
  const m = compileMapping({
    records: [
      { vib: '933C', obis: '8.0.1.0.0.255', archive: 'backward' },
      { quantity: 'volume', obis: '8.0.1.0.0.255' },
      { quantity: 'volume', storage: 1, obis: '8.0.1.0.0.1', archive: 'end-of-month' },
      { quantity: 'error-flags', obis: '8.0.97.97.0.255', archive: 'telemetry' },
      { quantity: 'energy', tariff: 2, obis: '6.0.1.0.2.255' },
      { quantity: 'flow-temperature', function: 'maximum', obis: '6.0.10.6.0.255' },
    ],
  });
  const r = records();
  const got = Array.from({ length: r.count }, (_, i) => matchRecord(m, r, i));
  assert.deepEqual(got.map((x) => x && [x.obis, x.archive]), [
    ['8.0.1.0.0.255', 'current'], ['8.0.1.0.0.1', 'end-of-month'], ['8.0.1.0.0.255', 'backward'], ['8.0.97.97.0.255', 'telemetry'],
    ['6.0.1.0.2.255', 'current'], ['6.0.10.6.0.255', 'current'],
  ]);
  assert.equal(matchRecord(compileMapping({ records: [{ quantity: 'volume', tariff: 1, obis: '8.0.1.0.1.255' }] }), r, 0), undefined);
});

test('a bad rule is refused naming its path', () => {
  const bad: [MbusProfileSection, RegExp][] = [
    [{ records: [{ quantity: 'volume', obis: '8.0.1' }] }, /records\[0\]\.obis/],
    [{ records: [{ obis: '8.0.1.0.0.255' }] }, /exactly one of quantity and vib/],
    [{ records: [{ quantity: 'volumes', obis: '8.0.1.0.0.255' }] }, /"volumes" is not a quantity/],
    [{ records: [{ quantity: 'volume', function: 'average' as never, obis: '8.0.1.0.0.255' }] }, /function/],
    [{ records: [{ quantity: 'volume', storage: -1, obis: '8.0.1.0.0.255' }] }, /storage/],
    [{ records: [{ vib: 'XYZ', obis: '8.0.1.0.0.255' }] }, /vib/],
  ];
  for (const [section, message] of bad) assert.throws(() => compileMapping(section), message);
});

test('the shipped M-Bus profiles compile', () => {
  const dir = new URL('../../registry/profiles/', import.meta.url);
  const shipped = readdirSync(dir).filter((f) => f.startsWith('MBUS_'));
  assert.ok(shipped.length >= 3);
  for (const f of shipped) compileMapping(JSON.parse(readFileSync(new URL(f, dir), 'utf8')).mbus);
});

test('comm-line addresses: primary, secondary with wildcards, selection matching', () => {
  assert.deepEqual(parseMeterAddress('5'), { kind: 'primary', address: 5 });
  assert.deepEqual(parseMeterAddress('12345678-els-33-03'), { kind: 'secondary', id: '12345678', manufacturer: 'ELS', version: 0x33, deviceType: 3 });
  assert.throws(() => parseMeterAddress('251'), /neither a primary/);
  assert.throws(() => parseMeterAddress('1234-ELS'), /secondary address/);
  const meter = secondaryAddress({ manufacturer: 'ELS', id: '12345678', version: 0x33, deviceType: 3 });
  const sel = (t: string) => selectionData(parseMeterAddress(t) as Extract<ReturnType<typeof parseMeterAddress>, { kind: 'secondary' }>);
  assert.deepEqual([...sel('12345678')], [0x78, 0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff]);
  assert.ok(selectionMatches(sel('12345678'), meter));
  assert.ok(selectionMatches(sel('1234567F-ELS'), meter));
  assert.ok(selectionMatches(sel('FFFFFFFF-ELS-33-03'), meter));
  assert.equal(selectionMatches(sel('12345679'), meter), false);
  assert.equal(selectionMatches(sel('12345678-KAM'), meter), false);
  assert.equal(selectionMatches(sel('12345678-ELS-34'), meter), false);
});
