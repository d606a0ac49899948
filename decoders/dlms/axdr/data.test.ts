import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reader } from './reader.js';
import { fromHex, toHex } from './writer.js';
import { MAX_DEPTH, dataTag, dataToJson, dataToNumber, dataTypeName, decodeData, decodeDataBytes, encodeDataBytes } from './data.js';
import type { CosemDateTime, DlmsData, TypeDescription } from './types.js';
import { DlmsError } from '../errors.js';
import { assertDlmsError } from '../testkit.js';

function roundTrip(v: DlmsData): void {
  const bytes = encodeDataBytes(v);
  const back = decodeDataBytes(bytes);
  assert.deepEqual(back, v);
  assert.equal(toHex(encodeDataBytes(back)), toHex(bytes));
}

// ---- arbitraries -------------------------------------------------------------------------------

const byte = fc.integer({ min: 0, max: 255 });
const dateTimeArb: fc.Arbitrary<CosemDateTime> = fc.record({
  year: fc.integer({ min: 0, max: 0xffff }),
  month: byte,
  dayOfMonth: byte,
  dayOfWeek: byte,
  hour: byte,
  minute: byte,
  second: byte,
  hundredths: byte,
  deviation: fc.integer({ min: -0x8000, max: 0x7fff }),
  clockStatus: byte,
}).map((r) => ({ ...r }));
const f32 = fc.float({ noNaN: true });
const f64 = fc.double({ noNaN: true });
const bits = fc.integer({ min: 0, max: 40 }).chain((length) =>
  fc.uint8Array({ minLength: Math.ceil(length / 8), maxLength: Math.ceil(length / 8) }).map((bytes) => ({ length, bytes })),
);

const simple: fc.Arbitrary<DlmsData> = fc.oneof(
  fc.constant<DlmsData>({ type: 'null-data' }),
  fc.constant<DlmsData>({ type: 'dont-care' }),
  fc.boolean().map((value): DlmsData => ({ type: 'boolean', value })),
  bits.map((value): DlmsData => ({ type: 'bit-string', value })),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((value): DlmsData => ({ type: 'double-long', value })),
  fc.integer({ min: 0, max: 0xffffffff }).map((value): DlmsData => ({ type: 'double-long-unsigned', value })),
  f32.map((value): DlmsData => ({ type: 'floating-point', value })),
  fc.uint8Array({ maxLength: 300 }).map((value): DlmsData => ({ type: 'octet-string', value })),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 140 }).map((value): DlmsData => ({ type: 'visible-string', value })),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((value): DlmsData => ({ type: 'utf8-string', value })),
  fc.integer({ min: 0, max: 99 }).map((value): DlmsData => ({ type: 'bcd', value })),
  fc.integer({ min: -128, max: 127 }).map((value): DlmsData => ({ type: 'integer', value })),
  fc.integer({ min: -0x8000, max: 0x7fff }).map((value): DlmsData => ({ type: 'long', value })),
  byte.map((value): DlmsData => ({ type: 'unsigned', value })),
  fc.integer({ min: 0, max: 0xffff }).map((value): DlmsData => ({ type: 'long-unsigned', value })),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((value): DlmsData => ({ type: 'long64', value })),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((value): DlmsData => ({ type: 'long64-unsigned', value })),
  byte.map((value): DlmsData => ({ type: 'enum', value })),
  f32.map((value): DlmsData => ({ type: 'float32', value })),
  f64.map((value): DlmsData => ({ type: 'float64', value })),
  dateTimeArb.map((value): DlmsData => ({ type: 'date-time', value })),
  dateTimeArb.map(({ year, month, dayOfMonth, dayOfWeek }): DlmsData => ({ type: 'date', value: { year, month, dayOfMonth, dayOfWeek } })),
  dateTimeArb.map(({ hour, minute, second, hundredths }): DlmsData => ({ type: 'time', value: { hour, minute, second, hundredths } })),
);

/** A compact-array: a description whose leaves take bytes, and values generated from it. */
const leafTypes = ['boolean', 'double-long', 'double-long-unsigned', 'octet-string', 'visible-string', 'integer', 'long', 'unsigned', 'long-unsigned', 'long64', 'enum', 'float64', 'date-time'] as const;
const descriptionArb: fc.Arbitrary<TypeDescription> = fc.letrec<{ td: TypeDescription }>((tie) => ({
  td: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...leafTypes).map((type): TypeDescription => ({ type })),
    fc.tuple(fc.integer({ min: 1, max: 3 }), tie('td')).map(([count, element]): TypeDescription => ({ type: 'array', count, element })),
    fc.array(tie('td'), { minLength: 1, maxLength: 3 }).map((elements): TypeDescription => ({ type: 'structure', elements })),
  ),
})).td;

function valueOf(td: TypeDescription): fc.Arbitrary<DlmsData> {
  if (td.type === 'array') return fc.array(valueOf(td.element), { minLength: td.count, maxLength: td.count }).map((value): DlmsData => ({ type: 'array', value }));
  if (td.type === 'structure') return fc.tuple(...td.elements.map(valueOf)).map((value): DlmsData => ({ type: 'structure', value }));
  return simple.filter((v) => v.type === td.type);
}

const compactArrayArb: fc.Arbitrary<DlmsData> = descriptionArb.chain((description) =>
  fc.array(valueOf(description), { maxLength: 4 }).map((value): DlmsData => ({ type: 'compact-array', description, value })),
);

const dataArb: fc.Arbitrary<DlmsData> = fc.letrec<{ data: DlmsData }>((tie) => ({
  data: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    simple,
    fc.array(tie('data'), { maxLength: 5 }).map((value): DlmsData => ({ type: 'array', value })),
    fc.array(tie('data'), { maxLength: 5 }).map((value): DlmsData => ({ type: 'structure', value })),
    compactArrayArb,
  ),
})).data;

// ---- tests -------------------------------------------------------------------------------------

describe('A-XDR data round trips (fast-check)', () => {
  it('every simple type encodes and decodes to itself', () => {
    fc.assert(fc.property(simple, roundTrip), { numRuns: 3000 });
  });
  it('nested arrays, structures and compact-arrays', () => {
    fc.assert(fc.property(dataArb, roundTrip), { numRuns: 1000 });
  });
  it('long lengths use the 0x81/0x82 forms', () => {
    const v: DlmsData = { type: 'octet-string', value: new Uint8Array(300).fill(7) };
    const b = encodeDataBytes(v);
    assert.equal(toHex(b.subarray(0, 4)), '0982012C');
    roundTrip(v);
    const a: DlmsData = { type: 'array', value: Array.from({ length: 200 }, (): DlmsData => ({ type: 'null-data' })) };
    assert.equal(toHex(encodeDataBytes(a).subarray(0, 3)), '0181C8');
    roundTrip(a);
  });
  it('decodeData leaves the reader after the value', () => {
    const r = new Reader(fromHex('11 05 12 00 07'));
    assert.deepEqual(decodeData(r), { type: 'unsigned', value: 5 });
    assert.equal(r.pos, 2);
    assert.deepEqual(decodeData(r), { type: 'long-unsigned', value: 7 });
    assert.equal(r.remaining, 0);
  });
});

describe('A-XDR fixed encodings', () => {
  const cases: [string, DlmsData][] = [
    ['00', { type: 'null-data' }],
    ['FF', { type: 'dont-care' }],
    ['03 01', { type: 'boolean', value: true }],
    ['04 0A 81 40', { type: 'bit-string', value: { length: 10, bytes: fromHex('8140') } }],
    ['05 FF FF FF FE', { type: 'double-long', value: -2 }],
    ['06 00 01 86 A0', { type: 'double-long-unsigned', value: 100000 }],
    ['07 3F C0 00 00', { type: 'floating-point', value: 1.5 }],
    ['09 06 01 00 01 08 00 FF', { type: 'octet-string', value: fromHex('0100010800FF') }],
    ['0A 03 41 42 43', { type: 'visible-string', value: 'ABC' }],
    ['0C 02 C3 A9', { type: 'utf8-string', value: 'é' }],
    ['0D 42', { type: 'bcd', value: 42 }],
    ['0F FE', { type: 'integer', value: -2 }],
    ['10 80 00', { type: 'long', value: -32768 }],
    ['11 FF', { type: 'unsigned', value: 255 }],
    ['12 01 00', { type: 'long-unsigned', value: 256 }],
    ['14 FF FF FF FF FF FF FF FF', { type: 'long64', value: -1n }],
    ['15 00 00 00 01 00 00 00 00', { type: 'long64-unsigned', value: 0x100000000n }],
    ['16 1E', { type: 'enum', value: 30 }],
    ['17 C0 00 00 00', { type: 'float32', value: -2 }],
    ['18 40 09 21 FB 54 44 2D 18', { type: 'float64', value: Math.PI }],
    ['1A 07 E6 0C 1F 06', { type: 'date', value: { year: 2022, month: 12, dayOfMonth: 31, dayOfWeek: 6 } }],
    ['1B 17 3B 3B FF', { type: 'time', value: { hour: 23, minute: 59, second: 59, hundredths: 0xff } }],
    // scaler_unit: scaler -2, unit Wh (30)
    ['02 02 0F FE 16 1E', { type: 'structure', value: [{ type: 'integer', value: -2 }, { type: 'enum', value: 30 }] }],
    // compact-array of 3 long-unsigned
    ['13 12 06 00 01 00 02 00 03', {
      type: 'compact-array',
      description: { type: 'long-unsigned' },
      value: [1, 2, 3].map((value): DlmsData => ({ type: 'long-unsigned', value })),
    }],
    // compact-array of structure{unsigned, array[2] of integer}
    ['13 02 02 11 01 00 02 0F 06 01 FF 02 02 FE 03', {
      type: 'compact-array',
      description: { type: 'structure', elements: [{ type: 'unsigned' }, { type: 'array', count: 2, element: { type: 'integer' } }] },
      value: [
        { type: 'structure', value: [{ type: 'unsigned', value: 1 }, { type: 'array', value: [{ type: 'integer', value: -1 }, { type: 'integer', value: 2 }] }] },
        { type: 'structure', value: [{ type: 'unsigned', value: 2 }, { type: 'array', value: [{ type: 'integer', value: -2 }, { type: 'integer', value: 3 }] }] },
      ],
    }],
  ];
  for (const [hex, v] of cases) {
    it(`${v.type} ${hex}`, () => {
      assert.equal(toHex(encodeDataBytes(v)), hex.replace(/ /g, ''));
      assert.deepEqual(decodeDataBytes(fromHex(hex)), v);
    });
  }

  it('Kamstrup HAN push list (published: u9n/dlms-cosem tests/test_dlms_data.py)', () => {
    const hex =
      '02190A0E4B616D73747275705F563030303109060101000005FF0A103537303635363731393633383234383509060101' +
      '600101FF0A1236383431313331424E31343331303130393009060101010700FF060000092609060101020700FF060000' +
      '000009060101030700FF060000000009060101040700FF06000000DF090601011F0700FF060000005C09060101330700' +
      'FF060000008D09060101470700FF060000037209060101200700FF1200E609060101340700FF1200E609060101480700' +
      'FF1200E4';
    const v = decodeDataBytes(fromHex(hex));
    assert.equal(v.type, 'structure');
    const items = (v as { value: DlmsData[] }).value;
    assert.equal(items.length, 25);
    assert.deepEqual(items[0], { type: 'visible-string', value: 'Kamstrup_V0001' });
    assert.deepEqual(items[4], { type: 'visible-string', value: '6841131BN143101090' });
    assert.deepEqual(items[6], { type: 'double-long-unsigned', value: 0x926 });
    assert.deepEqual(items[24], { type: 'long-unsigned', value: 228 });
    assert.equal(toHex(encodeDataBytes(v)), hex);
  });

  it('any non-zero boolean byte is true', () => {
    assert.deepEqual(decodeDataBytes(fromHex('03 02')), { type: 'boolean', value: true });
    assert.deepEqual(decodeDataBytes(fromHex('03 00')), { type: 'boolean', value: false });
  });

  it('tag names and numbers agree', () => {
    for (let t = 0; t < 256; t++) {
      const name = dataTypeName(t);
      if (name) assert.equal(dataTag(name), t);
    }
    assert.equal(dataTypeName(8), undefined);
  });
});

describe('A-XDR decoding errors', () => {
  it('unknown tag', () => assertDlmsError(() => decodeDataBytes(fromHex('02 01 08')), 'DLMS_ERR_TAG', 2));
  it('truncated fixed-size value', () => assertDlmsError(() => decodeDataBytes(fromHex('06 00 01 86')), 'DLMS_ERR_TRUNCATED', 1));
  it('truncated date-time', () => assertDlmsError(() => decodeDataBytes(fromHex('19 07 E6 01 01 FF 00 00')), 'DLMS_ERR_TRUNCATED', 1));
  it('octet-string longer than the input', () => assertDlmsError(() => decodeDataBytes(fromHex('09 10 01 02')), 'DLMS_ERR_LENGTH', 1));
  it('array count larger than the bytes left, before allocating', () => {
    assertDlmsError(() => decodeDataBytes(fromHex('01 84 7F FF FF FF 00')), 'DLMS_ERR_LENGTH', 1);
    assertDlmsError(() => decodeDataBytes(fromHex('02 05 00 00')), 'DLMS_ERR_LENGTH', 1);
  });
  it('bit-string bit count larger than the bytes left', () => assertDlmsError(() => decodeDataBytes(fromHex('04 84 FF FF FF FF 00')), 'DLMS_ERR_LENGTH', 1));
  it('invalid length form', () => assertDlmsError(() => decodeDataBytes(fromHex('09 85 00 00 00 00 01')), 'DLMS_ERR_LENGTH', 1));
  it('a structure whose element is cut short', () => assertDlmsError(() => decodeDataBytes(fromHex('02 02 11 01 12 00')), 'DLMS_ERR_TRUNCATED', 5));
  it('trailing bytes', () => assertDlmsError(() => decodeDataBytes(fromHex('11 01 00')), 'DLMS_ERR_TRAILING', 2));
  it('empty input', () => assertDlmsError(() => decodeDataBytes(new Uint8Array(0)), 'DLMS_ERR_TRUNCATED', 0));
  it('invalid UTF-8', () => assertDlmsError(() => decodeDataBytes(fromHex('0C 02 C3 28')), 'DLMS_ERR_VALUE', 2));
  it('bcd with a non-decimal digit', () => assertDlmsError(() => decodeDataBytes(fromHex('0D 1A')), 'DLMS_ERR_VALUE', 1));
  it(`nesting: ${MAX_DEPTH} containers decode, one more fails`, () => {
    const nested = (n: number) => fromHex('01 01 '.repeat(n) + '00');
    assert.equal(decodeDataBytes(nested(MAX_DEPTH)).type, 'array');
    assertDlmsError(() => decodeDataBytes(nested(MAX_DEPTH + 1)), 'DLMS_ERR_DEPTH', MAX_DEPTH * 2);
    assertDlmsError(() => decodeDataBytes(fromHex('02 01 '.repeat(10_000) + '00')), 'DLMS_ERR_DEPTH', MAX_DEPTH * 2);
  });
  it('compact-array: contents length beyond the input', () => assertDlmsError(() => decodeDataBytes(fromHex('13 11 05 01 02')), 'DLMS_ERR_LENGTH', 2));
  it('compact-array: contents not a whole number of elements', () => assertDlmsError(() => decodeDataBytes(fromHex('13 12 03 00 01 00')), 'DLMS_ERR_TRUNCATED', 5));
  it('compact-array: element types without content bytes are refused', () => {
    assertDlmsError(() => decodeDataBytes(fromHex('13 00 01 00')), 'DLMS_ERR_VALUE', 2);
    assertDlmsError(() => decodeDataBytes(fromHex('13 01 FF FF 00 01 00')), 'DLMS_ERR_VALUE', 5);
    assert.deepEqual(decodeDataBytes(fromHex('13 00 00')), { type: 'compact-array', description: { type: 'null-data' }, value: [] });
  });
  it('compact-array: nested compact-array and unknown types in the description', () => {
    assertDlmsError(() => decodeDataBytes(fromHex('13 13 00')), 'DLMS_ERR_TAG', 1);
    assertDlmsError(() => decodeDataBytes(fromHex('13 08 00')), 'DLMS_ERR_TAG', 1);
  });
  it('compact-array: description nesting is limited', () => {
    assertDlmsError(() => decodeDataBytes(fromHex('13 ' + '01 00 01 '.repeat(40) + '11 00')), 'DLMS_ERR_DEPTH');
  });
  it('never throws anything but DlmsError on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        try {
          decodeDataBytes(b);
        } catch (e) {
          assert.ok(e instanceof DlmsError, String(e));
        }
      }),
      { numRuns: 5000 },
    );
  });
  it('mutated valid encodings decode or fail with DlmsError', () => {
    fc.assert(
      fc.property(dataArb, fc.nat(), byte, (v, at, x) => {
        const b = encodeDataBytes(v).slice();
        b[at % b.length] = x;
        try {
          decodeDataBytes(b);
        } catch (e) {
          assert.ok(e instanceof DlmsError, String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('A-XDR encoding errors', () => {
  const bad: DlmsData[] = [
    { type: 'unsigned', value: 256 },
    { type: 'integer', value: -129 },
    { type: 'long', value: 1.5 },
    { type: 'double-long-unsigned', value: -1 },
    { type: 'long64-unsigned', value: -1n },
    { type: 'bcd', value: 100 },
    { type: 'visible-string', value: 'é€' },
    { type: 'bit-string', value: { length: 9, bytes: new Uint8Array(1) } },
    { type: 'compact-array', description: { type: 'unsigned' }, value: [{ type: 'long', value: 1 }] },
    { type: 'compact-array', description: { type: 'array', count: 2, element: { type: 'unsigned' } }, value: [{ type: 'array', value: [{ type: 'unsigned', value: 1 }] }] },
    { type: 'compact-array', description: { type: 'null-data' }, value: [{ type: 'null-data' }] },
  ];
  for (const v of bad) {
    it(`${v.type} ${JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? String(x) : x))}`, () => assertDlmsError(() => encodeDataBytes(v), 'DLMS_ERR_ENCODE'));
  }
  it('too deep to decode again', () => {
    let v: DlmsData = { type: 'null-data' };
    for (let i = 0; i <= MAX_DEPTH; i++) v = { type: 'structure', value: [v] };
    assertDlmsError(() => encodeDataBytes(v), 'DLMS_ERR_DEPTH');
  });
});

describe('dataToJson', () => {
  it('names types, hex octet-strings, stringifies bigints, adds dateTime to date-time octet-strings', () => {
    // 2020-01-01 00:03 local, deviation -120 (UTC+2); published: u9n/dlms-cosem tests/test_time.py
    const v = decodeDataBytes(fromHex('02 04 09 0C 07E40101FF000300 00FF88FF 09 02 AB CD 14 00 00 00 00 00 00 00 05 18 7F F0 00 00 00 00 00 00'));
    assert.deepEqual(JSON.parse(JSON.stringify(dataToJson(v))), {
      structure: [
        { 'octet-string': '07E40101FF00030000FF88FF', dateTime: '2020-01-01T00:03:00.00+02:00' },
        { 'octet-string': 'ABCD' },
        { long64: '5' },
        { float64: 'Infinity' },
      ],
    });
  });
  it('a 12-byte octet-string that is not a date-time gets no dateTime', () => {
    assert.deepEqual(dataToJson({ type: 'octet-string', value: new Uint8Array(12).fill(0x55) }), { 'octet-string': '555555555555555555555555' });
  });
  it('date-time, date, time, bit-string, compact-array', () => {
    assert.deepEqual(dataToJson(decodeDataBytes(fromHex('19 07E4 01 06 FF 00 03 00 00 FF C4 00'))), { 'date-time': '2020-01-06T00:03:00.00+01:00' });
    assert.deepEqual(dataToJson(decodeDataBytes(fromHex('1A FFFF FE FD FF'))), { date: '****-DB-SL' });
    assert.deepEqual(dataToJson(decodeDataBytes(fromHex('1B 06 00 FF FF'))), { time: '06:00:**' });
    assert.deepEqual(dataToJson(decodeDataBytes(fromHex('04 05 A8'))), { 'bit-string': '10101' });
    assert.deepEqual(dataToJson(decodeDataBytes(fromHex('13 11 02 01 02'))), { 'compact-array': [{ unsigned: 1 }, { unsigned: 2 }] });
  });
  it('is JSON-serializable for any value', () => {
    fc.assert(fc.property(dataArb, (v) => void JSON.stringify(dataToJson(v))), { numRuns: 500 });
  });
});

describe('dataToNumber', () => {
  it('numbers from numeric types, null otherwise', () => {
    assert.equal(dataToNumber({ type: 'long64', value: -7n }), -7);
    assert.equal(dataToNumber({ type: 'boolean', value: true }), 1);
    assert.equal(dataToNumber({ type: 'float32', value: 1.5 }), 1.5);
    assert.equal(dataToNumber({ type: 'octet-string', value: new Uint8Array(1) }), null);
  });
});
