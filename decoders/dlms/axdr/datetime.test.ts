import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from './writer.js';
import {
  ClockStatus,
  DEVIATION_NOT_SPECIFIED,
  dateTimeFromUtcMs,
  dateTimeToUtcMs,
  daysFromCivil,
  decodeDate,
  decodeDateTime,
  decodeTime,
  encodeDate,
  encodeDateTime,
  encodeTime,
  formatDate,
  formatDateTime,
  formatTime,
  isValidDateTime,
} from './datetime.js';
import { DlmsError } from '../errors.js';

// Published vectors: u9n/dlms-cosem tests/test_time.py (bytes ↔ ISO date-time with offset).
const published: [string, string, number | null][] = [
  ['07E40101FF00030000FF88FF', '2020-01-01T00:03:00.00+02:00', Date.UTC(2019, 11, 31, 22, 3)],
  ['07E40106FF00030000FFC4FF', '2020-01-06T00:03:00.00+01:00', Date.UTC(2020, 0, 5, 23, 3)],
  ['07E2020CFF000000008000FF', '2018-02-12T00:00:00.00', null],
];

describe('COSEM date-time', () => {
  it('published vectors decode, format and convert with the standard deviation sign', () => {
    for (const [hex, iso, utc] of published) {
      const dt = decodeDateTime(fromHex(hex));
      assert.equal(formatDateTime(dt), iso);
      assert.equal(dateTimeToUtcMs(dt), utc);
      assert.equal(toHex(encodeDateTime(dt)), hex);
      assert.ok(isValidDateTime(dt));
    }
  });
  it('field layout: deviation is bytes 9-10, clock status byte 11', () => {
    const dt = decodeDateTime(fromHex('07E6 05 1F 02 0C 1E 00 32 FF4C 80'));
    assert.deepEqual(dt, { year: 2022, month: 5, dayOfMonth: 31, dayOfWeek: 2, hour: 12, minute: 30, second: 0, hundredths: 50, deviation: -180, clockStatus: 0x80 });
    assert.equal(formatDateTime(dt), '2022-05-31T12:30:00.50+03:00');
    assert.equal(dateTimeToUtcMs(dt), Date.UTC(2022, 4, 31, 9, 30, 0, 500));
    assert.ok(dt.clockStatus & ClockStatus.daylightSavingActive);
  });
  it('inverted deviation sign (meters that send +180 for UTC+3)', () => {
    const dt = decodeDateTime(fromHex('07E6 05 1F 02 0C 1E 00 00 00B4 00'));
    assert.equal(dateTimeToUtcMs(dt, { deviationSign: 'inverted' }), Date.UTC(2022, 4, 31, 9, 30));
    assert.equal(dateTimeToUtcMs(dt), Date.UTC(2022, 4, 31, 15, 30));
  });
  it('unspecified deviation uses the default, else gives null', () => {
    const dt = decodeDateTime(fromHex('07E6 01 01 FF 00 00 00 FF 8000 FF'));
    assert.equal(dt.deviation, DEVIATION_NOT_SPECIFIED);
    assert.equal(dateTimeToUtcMs(dt), null);
    assert.equal(dateTimeToUtcMs(dt, { defaultDeviation: -60 }), Date.UTC(2021, 11, 31, 23, 0));
    assert.equal(formatDateTime(dt), '2022-01-01T00:00:00');
  });
  it('not fully specified or out of range → null', () => {
    const base = decodeDateTime(fromHex('07E6 02 1C FF 0A 00 00 00 0000 00'));
    assert.equal(dateTimeToUtcMs(base), Date.UTC(2022, 1, 28, 10));
    for (const patch of [{ year: 0xffff }, { month: 0xff }, { month: 0xfe }, { dayOfMonth: 0xfe }, { dayOfMonth: 29 }, { hour: 0xff }, { minute: 60 }, { second: 0xff }, { hundredths: 100 }]) {
      assert.equal(dateTimeToUtcMs({ ...base, ...patch }), null, JSON.stringify(patch));
    }
    assert.equal(dateTimeToUtcMs({ ...base, year: 2024, dayOfMonth: 29 }), Date.UTC(2024, 1, 29, 10));
  });
  it('wildcards and special values format', () => {
    const dt = decodeDateTime(fromHex('FFFF FE FE 07 02 00 FF FF 8000 FF'));
    assert.equal(formatDateTime(dt), '****-DB-LDT02:00:**');
    assert.ok(isValidDateTime(dt));
    assert.equal(formatDate(decodeDate(fromHex('07E8 FD FD FF'))), '2024-DE-SL');
    assert.equal(formatTime(decodeTime(fromHex('FF FF FF FF'))), '**:**:**');
    assert.equal(isValidDateTime({ ...dt, month: 13 }), false);
    assert.equal(isValidDateTime({ ...dt, deviation: 721 }), false);
  });
  it('positive/negative offsets with minutes format as ISO 8601', () => {
    const dt = decodeDateTime(fromHex('07E6 01 01 FF 00 00 00 00 FDE5 00'));
    assert.equal(dt.deviation, -539);
    assert.equal(formatDateTime(dt), '2022-01-01T00:00:00.00+08:59');
    assert.equal(formatDateTime({ ...dt, deviation: 300 }), '2022-01-01T00:00:00.00-05:00');
    assert.equal(formatDateTime({ ...dt, deviation: 0 }), '2022-01-01T00:00:00.00Z');
  });
  it('round trips UTC instants through any deviation', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2200, 0, 1) }),
        fc.integer({ min: -720, max: 720 }),
        (ms, dev) => {
          const dt = dateTimeFromUtcMs(ms, dev, 0);
          assert.equal(dateTimeToUtcMs(dt), Math.floor(ms / 10) * 10);
          assert.ok(isValidDateTime(dt));
          assert.equal(new Date(Date.UTC(dt.year, dt.month - 1, dt.dayOfMonth)).getUTCDay() || 7, dt.dayOfWeek);
          assert.deepEqual(decodeDateTime(encodeDateTime(dt)), dt);
          assert.equal(new Date(formatDateTime(dt).replace(/\.(\d\d)/, '.$10')).getTime(), Math.floor(ms / 10) * 10);
        },
      ),
      { numRuns: 2000 },
    );
  });
  it('days-from-civil agrees with Date.UTC', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), (y, m, d) => {
        const ref = new Date(0);
        ref.setUTCFullYear(y, m - 1, d);
        assert.equal(daysFromCivil(y, m, d) * 86400000, ref.getTime());
      }),
    );
  });
  it('no deviation: UTC fields, deviation 0x8000', () => {
    const dt = dateTimeFromUtcMs(Date.UTC(2023, 6, 4, 5, 6, 7, 890), null);
    assert.equal(toHex(encodeDateTime(dt)), '07E707040205060759800000');
  });
  it('date and time round trip and errors', () => {
    assert.equal(toHex(encodeDate({ year: 2024, month: 2, dayOfMonth: 29, dayOfWeek: 4 })), '07E8021D04');
    assert.equal(toHex(encodeTime({ hour: 23, minute: 59, second: 59, hundredths: 99 })), '173B3B63');
    assert.throws(() => decodeDateTime(new Uint8Array(11)), (e: unknown) => e instanceof DlmsError && e.code === 'DLMS_ERR_TRUNCATED' && e.offset === 0);
    assert.throws(() => decodeDate(new Uint8Array(6), 2), (e: unknown) => e instanceof DlmsError && e.code === 'DLMS_ERR_TRUNCATED' && e.offset === 2);
    assert.throws(() => encodeTime({ hour: 256, minute: 0, second: 0, hundredths: 0 }), (e: unknown) => e instanceof DlmsError && e.code === 'DLMS_ERR_ENCODE');
    assert.throws(() => encodeDateTime({ ...dateTimeFromUtcMs(0, 0), deviation: 0x8000 }), (e: unknown) => e instanceof DlmsError && e.code === 'DLMS_ERR_ENCODE');
  });
});
