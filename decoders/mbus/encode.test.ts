/** Telegrams built by encode.ts decode back to what went in; record-level edge cases of the grammar. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeRecords, encodeWiredResponse, encodeWirelessTelegram, type RecordSpec } from './encode.js';
import { addCrcs, decodeWiredFrame, encodeLongFrame, encodeShortFrame, linkFormat, stripCrcs, wiredFrameLength } from './link.js';
import { decodeRecords, Records, ValueKind } from './records.js';
import { manufacturerCode, QUANTITIES, UNITS } from './tables.js';
import { decodeTelegram } from './telegram.js';

const KEY = Uint8Array.from(Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex'));
const METER = { manufacturer: 'HES', id: '20240001', version: 1, deviceType: 0x07 };
const DAY = Date.UTC(2024, 2, 31, 23, 45);

const RECORDS: RecordSpec[] = [
  { dataField: 0x04, vib: [0x13], value: 123_456 }, // volume, litres
  { dataField: 0x0c, vib: [0x13], value: 98_765, storage: 1 }, // BCD, billing date value
  { dataField: 0x02, vib: [0x6c], value: Date.UTC(2024, 1, 29), storage: 1 },
  { dataField: 0x04, vib: [0x6d], value: DAY },
  { dataField: 0x02, vib: [0x5a], value: 215 }, // flow temperature 0.1 °C
  { dataField: 0x02, vib: [0x5e], value: 185 }, // return temperature 0.1 °C
  { dataField: 0x03, vib: [0x3b], value: 1_250 }, // volume flow l/h
  { dataField: 0x04, vib: [0x06], value: 4_711, tariff: 2 }, // energy kWh, tariff 2
  { dataField: 0x02, vib: [0xfd, 0x17], value: 0x0104 }, // error flags
  { dataField: 0x01, vib: [0x67], value: -12 }, // external temperature 1 °C, negative
  { dataField: 0x0a, vib: [0x13], value: -42 }, // negative BCD
  { dataField: 0x05, vib: [0x2b], value: 1.5 }, // power, real
  { dataField: 0x04, vib: [0x93, 0x3c], value: 77, subunit: 1, storage: 35 }, // backward volume, subunit 1
];

function check(r: Records): void {
  assert.equal(r.count, RECORDS.length);
  const at = (i: number) => ({ q: QUANTITIES[r.quantity[i]!]!.name, v: r.kind[i] === ValueKind.Number ? r.scaled(i) : r.value[i], u: UNITS[r.unit[i]!] });
  assert.deepEqual(at(0), { q: 'volume', v: 123.456, u: 'm3' });
  assert.deepEqual(at(1), { q: 'volume', v: 98.765, u: 'm3' });
  assert.equal(r.storage[1], 1);
  assert.deepEqual(at(2), { q: 'date', v: Date.UTC(2024, 1, 29), u: '' });
  assert.deepEqual(at(3), { q: 'date-time', v: DAY, u: '' });
  assert.deepEqual(at(4), { q: 'flow-temperature', v: 21.5, u: '°C' });
  assert.deepEqual(at(5), { q: 'return-temperature', v: 18.5, u: '°C' });
  assert.deepEqual(at(6), { q: 'volume-flow', v: 1.25, u: 'm3/h' });
  assert.deepEqual(at(7), { q: 'energy', v: 4_711_000, u: 'Wh' });
  assert.equal(r.tariff[7], 2);
  assert.deepEqual(at(8), { q: 'error-flags', v: 0x0104, u: '' });
  assert.deepEqual(at(9), { q: 'external-temperature', v: -12, u: '°C' });
  assert.deepEqual(at(10), { q: 'volume', v: -0.042, u: 'm3' });
  assert.deepEqual(at(11), { q: 'power', v: 1.5, u: 'W' });
  assert.deepEqual(at(12), { q: 'volume', v: 0.077, u: 'm3' });
  assert.equal(r.subunit[12], 1);
  assert.equal(r.storage[12], 35);
  assert.equal(r.vifeMask[12], 1 << (0x3c - 0x20), 'backward flow VIFE');
}

test('wireless telegrams in modes 0, 5 and 7, frame formats A, B and none, short and long headers, round-trip', () => {
  const records = encodeRecords(RECORDS);
  for (const mode of [0, 5, 7] as const) {
    for (const frameFormat of ['A', 'B', 'none'] as const) {
      for (const header of ['short', 'long'] as const) {
        const t = encodeWirelessTelegram({ meter: METER, accessNumber: 0x42, mode, key: KEY, messageCounter: 1000, records, frameFormat, header });
        assert.equal(linkFormat(t), frameFormat);
        const d = decodeTelegram(t, { key: KEY });
        assert.equal(d.security.mode, mode);
        assert.equal(manufacturerCode(d.meter!.manufacturer), 'HES');
        assert.equal(d.meter!.id, '20240001');
        if (mode === 7) assert.equal(d.security.macVerified, true);
        check(d.records);
      }
    }
  }
});

test('a wired RSP_UD with a long header, plain and mode 5, round-trip', () => {
  const records = encodeRecords(RECORDS);
  for (const mode of [0, 5] as const) {
    const f = encodeWiredResponse({ meter: METER, address: 7, accessNumber: 3, mode, key: KEY, records });
    const d = decodeTelegram(f, { key: KEY });
    assert.equal(d.medium, 'wired');
    assert.equal(d.address, 7);
    assert.equal(d.c, 0x08);
    check(d.records);
  }
});

test('format B with a third block (telegrams over 126 bytes) round-trips; format A CRCs are per block', () => {
  const many = encodeRecords(Array.from({ length: 24 }, (_, i) => ({ dataField: 0x04, vib: [0x13], value: i * 1000, storage: i })));
  const t = encodeWirelessTelegram({ meter: METER, accessNumber: 1, mode: 0, records: many, frameFormat: 'none' });
  assert.ok(t.length > 128);
  const b = addCrcs(t, 'B');
  assert.equal(b.length, t.length + 4);
  assert.equal(linkFormat(b), 'B');
  const out = new Uint8Array(b.length);
  const n = stripCrcs(b, 'B', out);
  assert.deepEqual(out.subarray(0, n), t);
  const a = addCrcs(t, 'A');
  assert.equal(a.length, t.length + 2 + 2 * Math.ceil((t.length - 10) / 16));
  assert.equal(decodeTelegram(a).records.count, 24);
  assert.equal(decodeTelegram(b).records.scaled(23), 23);
});

test('wired frames: short, long, checksum, stop byte, and the stream splitter', () => {
  const snd = encodeShortFrame(0x5b, 1);
  assert.deepEqual([...snd], [0x10, 0x5b, 0x01, 0x5c, 0x16]);
  assert.deepEqual(decodeWiredFrame(snd), { type: 'short', c: 0x5b, a: 1 });
  const sel = encodeLongFrame(0x53, 0xfd, 0x52, Uint8Array.of(0x01, 0x00, 0x24, 0x20, 0xff, 0xff, 0xff, 0xff));
  const d = decodeWiredFrame(sel);
  assert.equal(d.type, 'long');
  assert.equal(wiredFrameLength(Uint8Array.of(0xe5, 0x10)), 1);
  assert.equal(wiredFrameLength(sel.subarray(0, 5)), 0);
  assert.equal(wiredFrameLength(sel), sel.length);
  assert.equal(wiredFrameLength(Uint8Array.of(0x00, 0x68)), -1);
  const bad = Uint8Array.from(sel);
  bad[bad.length - 2]! ^= 1;
  assert.throws(() => decodeWiredFrame(bad), { code: 'MBUS_ERR_FRAME', message: /checksum/ });
  const stop = Uint8Array.from(sel);
  stop[stop.length - 1] = 0x17;
  assert.throws(() => decodeWiredFrame(stop), { code: 'MBUS_ERR_FRAME', message: /stop byte/ });
});

const recordsOf = (...b: number[]): Records => decodeRecords(Uint8Array.from(b), 0, b.length, new Records(2));

test('records: LVAR text, BCD and binary; FB and FD units; multiplicative VIFE; fillers', () => {
  const r = recordsOf(
    0x2f, 0x2f,
    0x0d, 0xfd, 0x0e, 0x03, 0x33, 0x32, 0x31, // firmware version "123"
    0x0d, 0x13, 0xc2, 0x34, 0x12, // LVAR positive BCD 4 digits: 1234 l
    0x0d, 0x13, 0xd1, 0x07, // LVAR negative BCD: -7 l
    0x0d, 0x13, 0xe3, 0x01, 0x02, 0x03, // LVAR binary 3 bytes
    0x04, 0xfb, 0x00, 0x05, 0x00, 0x00, 0x00, // energy 0.1 MWh × 5 = 500000 Wh
    0x02, 0xfd, 0x48, 0xe6, 0x00, // voltage 10^-1 V × 230 = 23 V
    0x04, 0x93, 0x74, 0x10, 0x00, 0x00, 0x00, // 16 l with correction factor 10^-2: 0.00016 m3
    0x04, 0x93, 0xfd, 0x3b, 0x02, 0x00, 0x00, 0x00, // 2 l × 1000 (VIFE 0x7D), forward flow (VIFE 0x3B): 2 m3
  );
  assert.equal(r.count, 8);
  assert.equal(r.kind[0], ValueKind.Text);
  assert.equal(Buffer.from(r.payload.subarray(r.dataStart[0]!, r.dataEnd[0]!)).reverse().toString(), '123');
  assert.equal(r.scaled(1), 1.234);
  assert.equal(r.scaled(2), -0.007);
  assert.equal(r.value[3], 0x030201);
  assert.equal(QUANTITIES[r.quantity[4]!]!.name, 'energy');
  assert.equal(r.scaled(4), 500_000);
  assert.equal(UNITS[r.unit[5]!], 'V');
  assert.equal(r.scaled(5), 23);
  assert.equal(r.scaled(6), 0.00016);
  assert.equal(r.scaled(7), 2);
  assert.equal(r.vifeMask[7], 1 << (0x3b - 0x20));
});

test('records: invalid BCD is NaN, an unknown VIF is kept as quantity "unknown", record errors are named', () => {
  const r = recordsOf(0x0a, 0x13, 0xab, 0x00, 0x04, 0xef, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0x93, 0x15, 0x00, 0x00, 0x00, 0x00);
  assert.ok(Number.isNaN(r.value[0]!));
  assert.equal(QUANTITIES[r.quantity[1]!]!.name, 'unknown');
  assert.equal(r.value[1], 1);
  assert.equal(r.recordError[2], 0x15);
});

test('records: more than 10 DIFEs or VIFEs, a reserved LVAR, a truncated value fail with MbusError', () => {
  assert.throws(() => recordsOf(0x84, ...Array(11).fill(0x80), 0x13), { code: 'MBUS_ERR_RECORD', message: /DIFE/ });
  assert.throws(() => recordsOf(0x04, 0x93, ...Array(11).fill(0xa0), 0x20, 0, 0, 0, 0), { code: 'MBUS_ERR_RECORD', message: /VIFE/ });
  assert.throws(() => recordsOf(0x0d, 0x13, 0xf7, 0x00), { code: 'MBUS_ERR_RECORD', message: /LVAR/ });
  assert.throws(() => recordsOf(0x04, 0x13, 0x01, 0x02), { code: 'MBUS_ERR_TRUNCATED' });
  assert.throws(() => recordsOf(0x04, 0xfd), { code: 'MBUS_ERR_TRUNCATED' });
  assert.throws(() => recordsOf(0x04, 0x7d, 0, 0, 0, 0), { code: 'MBUS_ERR_RECORD', message: /without the VIFE/ });
  assert.throws(() => recordsOf(0x7f), { code: 'MBUS_ERR_RECORD', message: /readout/ });
});

test('records: a 64-bit integer and an 8-byte negative value', () => {
  const r = recordsOf(0x07, 0x13, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x06, 0x13, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00);
  assert.equal(r.value[0], -1);
  assert.equal(r.value[1], 2 ** 32);
});

test('a record of manufacturer-specific VIF 0x7F keeps its bytes as a number, unsigned', () => {
  const r = recordsOf(0x02, 0x7f, 0xff, 0xff);
  assert.equal(QUANTITIES[r.quantity[0]!]!.name, 'manufacturer-specific');
  assert.equal(r.value[0], 0xffff);
});

test('encoding refuses values that do not fit', () => {
  assert.throws(() => encodeRecords([{ dataField: 0x01, vib: [0x13], value: 300 }]), { code: 'MBUS_ERR_ENCODE' });
  assert.throws(() => encodeRecords([{ dataField: 0x09, vib: [0x13], value: 100 }]), { code: 'MBUS_ERR_ENCODE' });
  assert.throws(() => encodeWirelessTelegram({ meter: { ...METER, id: '1234' }, accessNumber: 0, mode: 0, records: new Uint8Array(0) }), { code: 'MBUS_ERR_ENCODE' });
});
