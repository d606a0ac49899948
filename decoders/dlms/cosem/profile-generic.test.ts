import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../axdr/writer.js';
import { decodeDataBytes, encodeDataBytes } from '../axdr/data.js';
import { dateTimeFromUtcMs, encodeDateTime } from '../axdr/datetime.js';
import type { CosemDateTime, DlmsData } from '../axdr/types.js';
import { parseObis } from '../obis.js';
import { DlmsError } from '../errors.js';
import {
  bufferEntryCount,
  type CaptureObject,
  type ProfileRows,
  type RowLayout,
  compileRowLayout,
  createProfileRows,
  decodeCaptureObjects,
  decodeProfileBuffer,
  encodeCaptureObjects,
  entryDescriptor,
  profileRowsFromData,
  rangeDescriptor,
} from './profile-generic.js';
import { HOURLY_PROFILE_24 } from './profile-generic.fixtures.js';
import { assertDlmsError } from '../testkit.js';

const clock: CaptureObject = { classId: 8, logicalName: parseObis('0.0.1.0.0.255'), attributeIndex: 2, dataIndex: 0 };
const register = (obis: string): CaptureObject => ({ classId: 3, logicalName: parseObis(obis), attributeIndex: 2, dataIndex: 0 });
const status: CaptureObject = { classId: 1, logicalName: parseObis('0.0.96.10.1.255'), attributeIndex: 2, dataIndex: 0 };

/** The fast path's output as plain rows, in the generic path's terms (NaN → null, status 0xFF → null). */
function fastAsRows(rows: ProfileRows): { timestamp: number | null; clockStatus: number | null; values: (number | null)[] }[] {
  const out = [];
  for (let i = 0; i < rows.count; i++) {
    const ts = rows.timestamps[i]!;
    out.push({
      timestamp: Number.isNaN(ts) ? null : ts,
      clockStatus: rows.clockStatus[i] === 0xff ? null : rows.clockStatus[i]!,
      values: rows.values.map((col) => (Number.isNaN(col[i]!) ? null : col[i]!)),
    });
  }
  return out;
}

function genericAsRows(buffer: DlmsData, layout: RowLayout) {
  return profileRowsFromData(buffer, layout).map(({ timestamp, clockStatus, values }) => ({
    timestamp,
    clockStatus: clockStatus === 0xff ? null : clockStatus,
    values,
  }));
}

describe('capture objects', () => {
  it('decode from attribute 3 bytes and encode back', () => {
    const hex = '01 02 02 04 12 00 08 09 06 00 00 01 00 00 FF 0F 02 12 00 00 02 04 12 00 03 09 06 01 00 01 08 00 FF 0F 02 12 00 00';
    const list = decodeCaptureObjects(decodeDataBytes(fromHex(hex)));
    assert.deepEqual(list, [clock, register('1.0.1.8.0.255')]);
    assert.equal(toHex(encodeDataBytes(encodeCaptureObjects(list))), hex.replace(/ /g, ''));
  });
  it('rejects malformed definitions', () => {
    for (const hex of ['02 00', '01 01 02 03 12 00 08 09 06 00 00 01 00 00 FF 0F 02', '01 01 02 04 12 00 08 09 05 00 00 01 00 00 0F 02 12 00 00', '01 01 02 04 11 08 09 06 00 00 01 00 00 FF 0F 02 12 00 00']) {
      assertDlmsError(() => decodeCaptureObjects(decodeDataBytes(fromHex(hex))), 'DLMS_ERR_VALUE');
    }
  });
  it('selective access parameters', () => {
    const from = { type: 'octet-string', value: encodeDateTime(dateTimeFromUtcMs(Date.UTC(2024, 0, 1), 0, 0)) } as const;
    const to = { type: 'octet-string', value: encodeDateTime(dateTimeFromUtcMs(Date.UTC(2024, 0, 2), 0, 0)) } as const;
    const range = encodeDataBytes(rangeDescriptor(clock, from, to));
    assert.equal(toHex(range.subarray(0, 20)), '0204020412000809060000010000FF0F02120000');
    assert.equal(toHex(range.subarray(range.length - 2)), '0100');
    assert.equal(toHex(encodeDataBytes(entryDescriptor(1, 96))), '020406000000010600000060120001120000');
  });
});

describe('Profile Generic buffer: published hourly profile (u9n/dlms-cosem tests/test_a_xdr.py)', () => {
  const bytes = fromHex(HOURLY_PROFILE_24);
  const layout = compileRowLayout([clock, status, register('1.0.1.8.0.255')], { defaultDeviation: 0, scalerUnits: [null, null, { scaler: -3, unit: 30 }] });

  it('fast path: 24 hourly rows, UTC timestamps, scaled values', () => {
    assert.equal(layout.timestampColumn, 0);
    const rows = decodeProfileBuffer(layout, bytes, 1);
    assert.equal(rows.count, 24);
    for (let i = 0; i < 24; i++) {
      assert.equal(rows.timestamps[i], Date.UTC(2018, 1, 12, i));
      assert.equal(rows.clockStatus[i], 0);
      assert.equal(rows.values[0]![i], 0);
      assert.equal(rows.values[1]![i], (100000 + 416 * i) / 1000);
    }
  });
  it('generic path agrees', () => {
    const buffer = decodeDataBytes(bytes.subarray(1));
    assert.deepEqual(genericAsRows(decodeDataBytes(encodeDataBytes(buffer)), layout), fastAsRows(decodeProfileBuffer(layout, bytes, 1)));
  });
  it('without a deviation to assume, timestamps are unknown', () => {
    const rows = decodeProfileBuffer(compileRowLayout([clock, status, register('1.0.1.8.0.255')]), bytes, 1);
    assert.ok(Number.isNaN(rows.timestamps[0]!));
    assert.equal(rows.values[1]![23], 109568);
  });
});

describe('Profile Generic buffer: variations', () => {
  const objects = [clock, register('1.0.1.8.0.255'), register('1.0.2.8.0.255')];
  const dt = (ms: number, dev = -60): DlmsData => ({ type: 'octet-string', value: encodeDateTime(dateTimeFromUtcMs(ms, dev, 0)) });
  const t0 = Date.UTC(2024, 2, 31, 0, 45);

  it('compressed profile: null-data timestamps follow the capture period', () => {
    const buffer: DlmsData = {
      type: 'array',
      value: [0, 1, 2, 3].map((i): DlmsData => ({
        type: 'structure',
        value: [i === 0 ? dt(t0) : { type: 'null-data' }, { type: 'double-long-unsigned', value: i }, { type: 'long', value: -i }],
      })),
    };
    const b = encodeDataBytes(buffer);
    const layout = compileRowLayout(objects, { capturePeriod: 900 });
    const rows = decodeProfileBuffer(layout, b);
    assert.deepEqual(Array.from(rows.timestamps.subarray(0, 4)), [t0, t0 + 900_000, t0 + 1_800_000, t0 + 2_700_000]);
    assert.deepEqual(Array.from(rows.clockStatus.subarray(0, 4)), [0, 0xff, 0xff, 0xff]);
    assert.deepEqual(genericAsRows(decodeDataBytes(encodeDataBytes(buffer)), layout), fastAsRows(rows));
    const unknownPeriod = decodeProfileBuffer(compileRowLayout(objects), b);
    assert.equal(unknownPeriod.timestamps[0], t0);
    assert.ok(Number.isNaN(unknownPeriod.timestamps[1]!));
  });
  it('date-time as tag 25, columns of other numeric types, inverted deviation', () => {
    const value: CosemDateTime = { ...dateTimeFromUtcMs(t0, 120, 0x80) };
    const buffer: DlmsData = {
      type: 'array',
      value: [
        { type: 'structure', value: [{ type: 'date-time', value }, { type: 'float32', value: 1.5 }, { type: 'long64', value: -5n }] },
        { type: 'structure', value: [{ type: 'date-time', value }, { type: 'long-unsigned', value: 7 }, { type: 'null-data' }] },
      ],
    };
    const layout = compileRowLayout(objects, { deviationSign: 'inverted', scalerUnits: [null, { scaler: 1, unit: 27 }, { scaler: -1, unit: 27 }] });
    const rows = decodeProfileBuffer(layout, encodeDataBytes(buffer));
    assert.equal(rows.timestamps[0], t0 - 240 * 60_000);
    assert.equal(rows.clockStatus[0], 0x80);
    assert.deepEqual([rows.values[0]![0], rows.values[1]![0], rows.values[0]![1]], [15, -0.5, 70]);
    assert.ok(Number.isNaN(rows.values[1]![1]!));
    assert.deepEqual(genericAsRows(decodeDataBytes(encodeDataBytes(buffer)), layout), fastAsRows(rows));
  });
  it('non-numeric cells become NaN without breaking the row', () => {
    const buffer: DlmsData = {
      type: 'array',
      value: [{ type: 'structure', value: [dt(t0), { type: 'visible-string', value: 'x' }, { type: 'structure', value: [{ type: 'unsigned', value: 1 }] }] }],
    };
    const layout = compileRowLayout(objects);
    const rows = decodeProfileBuffer(layout, encodeDataBytes(buffer));
    assert.equal(rows.timestamps[0], t0);
    assert.ok(Number.isNaN(rows.values[0]![0]!) && Number.isNaN(rows.values[1]![0]!));
    assert.deepEqual(genericAsRows(decodeDataBytes(encodeDataBytes(buffer)), layout), fastAsRows(rows));
  });
  it('reuses the output arrays and grows them when needed', () => {
    const layout = compileRowLayout(objects);
    const make = (n: number) =>
      encodeDataBytes({
        type: 'array',
        value: Array.from({ length: n }, (_, i): DlmsData => ({ type: 'structure', value: [dt(t0 + i * 900_000), { type: 'unsigned', value: i }, { type: 'unsigned', value: 1 }] })),
      });
    const out = createProfileRows(layout, 4);
    const first = out.timestamps;
    decodeProfileBuffer(layout, make(3), 0, undefined, out);
    assert.equal(out.timestamps, first);
    assert.equal(out.count, 3);
    decodeProfileBuffer(layout, make(10), 0, undefined, out);
    assert.equal(out.count, 10);
    assert.equal(out.timestamps[9], t0 + 9 * 900_000);
    assert.equal(out.values[0]![9], 9);
  });
  it('no timestamp column', () => {
    const layout = compileRowLayout([register('1.0.1.8.0.255')]);
    assert.equal(layout.timestampColumn, -1);
    const rows = decodeProfileBuffer(layout, fromHex('01 02 02 01 06 00 00 00 01 02 01 06 00 00 00 02'));
    assert.deepEqual(Array.from(rows.values[0]!.subarray(0, 2)), [1, 2]);
    assert.ok(Number.isNaN(rows.timestamps[0]!));
  });
});

describe('Profile Generic buffer: shape errors', () => {
  const layout = compileRowLayout([clock, register('1.0.1.8.0.255')], { defaultDeviation: 0 });
  const row = '02 02 09 0C 07E8 01 01 01 00 00 00 00 8000 00 06 00 00 00 01';
  it('not an array', () => assertDlmsError(() => decodeProfileBuffer(layout, fromHex('02 00')), 'DLMS_ERR_TAG', 0));
  it('row not a structure', () => assertDlmsError(() => decodeProfileBuffer(layout, fromHex(`01 02 ${row} 01 02 00 00`)), 'DLMS_ERR_TAG', 23));
  it('row with the wrong number of columns', () => assertDlmsError(() => decodeProfileBuffer(layout, fromHex(`01 02 ${row} 02 03 00 00 00`)), 'DLMS_ERR_VALUE', 24));
  it('row count larger than the bytes can hold', () => assertDlmsError(() => decodeProfileBuffer(layout, fromHex(`01 83 FF FF FF ${row}`)), 'DLMS_ERR_LENGTH', 1));
  it('truncated value', () => assertDlmsError(() => decodeProfileBuffer(layout, fromHex(`01 02 ${row} 02 02 00 06 00 00`)), 'DLMS_ERR_TRUNCATED', 27));
  it('truncated date-time', () => assertDlmsError(() => decodeProfileBuffer(layout, fromHex('01 01 02 02 09 0C 07 E8 01 01 00 06 00 00 00 01')), 'DLMS_ERR_TRUNCATED', 6));
  it('trailing bytes', () => assertDlmsError(() => decodeProfileBuffer(layout, fromHex(`01 01 ${row} 00`)), 'DLMS_ERR_TRAILING', 23));
  it('bad cell inside a skipped value', () => assertDlmsError(() => decodeProfileBuffer(layout, fromHex('01 01 02 02 00 0C 02 C3 28')), 'DLMS_ERR_VALUE', 7));
  it('invalid bcd', () => assertDlmsError(() => decodeProfileBuffer(layout, fromHex('01 01 02 02 00 0D AA')), 'DLMS_ERR_VALUE', 6));
  it('entry count of an encoded buffer: rows, -1 when not an array, an error when the count is cut or too large', () => {
    assert.equal(bufferEntryCount(fromHex(`01 02 ${row} ${row}`)), 2);
    assert.equal(bufferEntryCount(fromHex('01 00')), 0);
    assert.equal(bufferEntryCount(fromHex(`01 82 00 02 ${row} ${row}`)), 2);
    assertDlmsError(() => bufferEntryCount(fromHex('01 82 01 2C')), 'DLMS_ERR_LENGTH');
    assert.equal(bufferEntryCount(fromHex('02 00')), -1);
    assert.equal(bufferEntryCount(new Uint8Array(0)), -1);
    assertDlmsError(() => bufferEntryCount(fromHex('01 82 01')), 'DLMS_ERR_TRUNCATED');
  });
  it('generic path: row shape mismatch', () => {
    assertDlmsError(() => profileRowsFromData(decodeDataBytes(fromHex('01 01 02 01 00')), layout), 'DLMS_ERR_VALUE');
  });
  it('never throws anything but DlmsError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        try {
          decodeProfileBuffer(layout, b);
        } catch (e) {
          assert.ok(e instanceof DlmsError, String(e));
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('Profile Generic buffer: fast path agrees with the generic path on random buffers', () => {
  const byte = fc.integer({ min: 0, max: 255 });
  const anyDateTime = fc
    .record({
      year: fc.oneof(fc.integer({ min: 1990, max: 2100 }), fc.constant(0xffff)),
      month: fc.oneof(fc.integer({ min: 1, max: 12 }), byte),
      dayOfMonth: fc.oneof(fc.integer({ min: 1, max: 31 }), byte),
      dayOfWeek: byte,
      hour: fc.oneof(fc.integer({ min: 0, max: 23 }), byte),
      minute: fc.integer({ min: 0, max: 60 }),
      second: fc.integer({ min: 0, max: 59 }),
      hundredths: fc.oneof(fc.integer({ min: 0, max: 99 }), fc.constant(0xff), byte),
      deviation: fc.oneof(fc.integer({ min: -720, max: 720 }), fc.constant(-0x8000)),
      clockStatus: byte,
    })
    .map((r): CosemDateTime => ({ ...r }));
  const timestampCell: fc.Arbitrary<DlmsData> = fc.oneof(
    { arbitrary: anyDateTime.map((v): DlmsData => ({ type: 'octet-string', value: encodeDateTime(v) })), weight: 4 },
    { arbitrary: anyDateTime.map((v): DlmsData => ({ type: 'date-time', value: v })), weight: 2 },
    { arbitrary: fc.constant<DlmsData>({ type: 'null-data' }), weight: 2 },
    { arbitrary: fc.uint8Array({ maxLength: 13 }).map((value): DlmsData => ({ type: 'octet-string', value })), weight: 1 },
    { arbitrary: fc.integer({ min: 0, max: 0xffffffff }).map((value): DlmsData => ({ type: 'double-long-unsigned', value })), weight: 1 },
  );
  const valueCell: fc.Arbitrary<DlmsData> = fc.oneof(
    fc.integer({ min: 0, max: 0xffffffff }).map((value): DlmsData => ({ type: 'double-long-unsigned', value })),
    fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((value): DlmsData => ({ type: 'double-long', value })),
    byte.map((value): DlmsData => ({ type: 'unsigned', value })),
    byte.map((value): DlmsData => ({ type: 'enum', value })),
    fc.integer({ min: -128, max: 127 }).map((value): DlmsData => ({ type: 'integer', value })),
    fc.integer({ min: 0, max: 0xffff }).map((value): DlmsData => ({ type: 'long-unsigned', value })),
    fc.integer({ min: -0x8000, max: 0x7fff }).map((value): DlmsData => ({ type: 'long', value })),
    fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((value): DlmsData => ({ type: 'long64', value })),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((value): DlmsData => ({ type: 'long64-unsigned', value })),
    fc.float({ noNaN: true }).map((value): DlmsData => ({ type: 'float32', value })),
    fc.float({ noNaN: true }).map((value): DlmsData => ({ type: 'floating-point', value })),
    fc.double({ noNaN: true }).map((value): DlmsData => ({ type: 'float64', value })),
    fc.integer({ min: 0, max: 99 }).map((value): DlmsData => ({ type: 'bcd', value })),
    fc.boolean().map((value): DlmsData => ({ type: 'boolean', value })),
    fc.constant<DlmsData>({ type: 'null-data' }),
    anyDateTime.map((v): DlmsData => ({ type: 'octet-string', value: encodeDateTime(v) })),
    fc.uint8Array({ maxLength: 5 }).map((value): DlmsData => ({ type: 'octet-string', value })),
    fc.constant<DlmsData>({ type: 'structure', value: [{ type: 'visible-string', value: 'ab' }] }),
  );
  const scenario = fc.integer({ min: 1, max: 6 }).chain((columns) =>
    fc.record({
      columns: fc.constant(columns),
      timestampColumn: fc.integer({ min: -1, max: columns - 1 }),
      scalers: fc.array(fc.integer({ min: -6, max: 6 }), { minLength: columns, maxLength: columns }),
      capturePeriod: fc.constantFrom(0, 60, 900),
      defaultDeviation: fc.option(fc.integer({ min: -720, max: 720 }), { nil: undefined }),
      deviationSign: fc.constantFrom('standard' as const, 'inverted' as const),
      rows: fc.array(fc.tuple(timestampCell, fc.array(valueCell, { minLength: columns, maxLength: columns })), { maxLength: 20 }),
    }),
  );

  it('same timestamps, clock status and scaled values', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const objects = Array.from({ length: s.columns }, (_, c) => (c === s.timestampColumn ? clock : register(`1.0.${c}.8.0.255`)));
        const layout = compileRowLayout(objects, {
          timestampColumn: s.timestampColumn,
          scalerUnits: s.scalers.map((scaler) => ({ scaler, unit: 30 })),
          capturePeriod: s.capturePeriod,
          deviationSign: s.deviationSign,
          ...(s.defaultDeviation === undefined ? {} : { defaultDeviation: s.defaultDeviation }),
        });
        const buffer: DlmsData = {
          type: 'array',
          value: s.rows.map(([ts, cells]): DlmsData => ({
            type: 'structure',
            value: cells.map((cell, c) => (c === s.timestampColumn ? ts : cell)),
          })),
        };
        const b = encodeDataBytes(buffer);
        const padded = new Uint8Array(b.length + 7);
        padded.set(b, 3);
        assert.deepEqual(fastAsRows(decodeProfileBuffer(layout, padded, 3, 3 + b.length)), genericAsRows(decodeDataBytes(b), layout));
      }),
      { numRuns: 1500 },
    );
  });
});
