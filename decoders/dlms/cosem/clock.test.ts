import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDataBytes, encodeDataBytes } from '../axdr/data.js';
import { dateTimeToUtcMs } from '../axdr/datetime.js';
import { fromHex, toHex } from '../axdr/writer.js';
import { ClockBase, clockAttributes, clockMethods } from './clock.js';
import { assertValueError, roundTrip } from './test-helpers.js';

test('published clock value: 2019-12-31 23:00 local, deviation -60', () => {
  // Clock.time column of a load profile buffer in u9n/dlms-cosem tests/test_parsers.py (test_parse_buffer).
  const bytes = fromHex('09 0C 07 E3 0C 1F 02 17 00 00 00 FF C4 00');
  const t = clockAttributes.time.decode(decodeDataBytes(bytes));
  assert.deepEqual(t, { year: 2019, month: 12, dayOfMonth: 31, dayOfWeek: 2, hour: 23, minute: 0, second: 0, hundredths: 0, deviation: -60, clockStatus: 0 });
  assert.equal(dateTimeToUtcMs(t), Date.UTC(2019, 11, 31, 22, 0, 0));
  assert.equal(toHex(encodeDataBytes(clockAttributes.time.encode(t))), toHex(bytes));
});

test('published clock value with unspecified day of week and status', () => {
  // u9n/dlms-cosem tests/test_time.py: 07E4 01 01 FF 00 03 00 00 FF88 FF = 2020-01-01T00:03:00+02:00.
  const bytes = fromHex('09 0C 07 E4 01 01 FF 00 03 00 00 FF 88 FF');
  const t = clockAttributes.time.decode(decodeDataBytes(bytes));
  assert.equal(t.dayOfWeek, 0xff);
  assert.equal(t.clockStatus, 0xff);
  assert.equal(dateTimeToUtcMs(t), Date.UTC(2019, 11, 31, 22, 3, 0));
  assert.equal(toHex(roundTrip(clockAttributes.time, t)), toHex(bytes));
});

test('Clock attributes round trip', () => {
  const dstBegin = { year: 0xffff, month: 3, dayOfMonth: 0xfe, dayOfWeek: 7, hour: 2, minute: 0, second: 0, hundredths: 0, deviation: -0x8000, clockStatus: 0xff };
  roundTrip(clockAttributes.timeZone, -180);
  roundTrip(clockAttributes.status, 0x80);
  roundTrip(clockAttributes.daylightSavingsBegin, dstBegin);
  roundTrip(clockAttributes.daylightSavingsEnd, { ...dstBegin, month: 10, hour: 3 });
  roundTrip(clockAttributes.daylightSavingsDeviation, 60);
  roundTrip(clockAttributes.daylightSavingsEnabled, false);
  roundTrip(clockAttributes.clockBase, ClockBase.gps);
});

test('Clock methods', () => {
  for (const m of [clockMethods.adjustToQuarter, clockMethods.adjustToMeasuringPeriod, clockMethods.adjustToMinute, clockMethods.adjustToPresetTime]) {
    assert.equal(toHex(roundTrip(m, 0)), '0F00');
  }
  const at = { year: 2025, month: 1, dayOfMonth: 1, dayOfWeek: 3, hour: 0, minute: 0, second: 0, hundredths: 0, deviation: 0, clockStatus: 0 };
  roundTrip(clockMethods.presetAdjustingTime, { presetTime: at, validityIntervalStart: at, validityIntervalEnd: { ...at, hour: 1 } });
  // shift_time(-30 s): long FFE2
  assert.equal(toHex(roundTrip(clockMethods.shiftTime, -30)), '10FFE2');
  assertValueError(() => clockMethods.shiftTime.encode(901), 'Clock.shift_time', '901');
  assertValueError(() => clockMethods.shiftTime.decode({ type: 'long', value: -1000 }), 'Clock.shift_time');
});

test('wrong shapes name the Clock attribute', () => {
  assertValueError(() => clockAttributes.time.decode({ type: 'visible-string', value: 'now' }), 'Clock.time', 'visible-string');
  assertValueError(() => clockAttributes.timeZone.decode({ type: 'integer', value: 3 }), 'Clock.time_zone', 'expected long');
  assertValueError(() => clockAttributes.clockBase.decode({ type: 'enum', value: 6 }), 'Clock.clock_base');
  assertValueError(() => clockMethods.presetAdjustingTime.decode({ type: 'structure', value: [] }), 'Clock.preset_adjusting_time', 'structure of 3');
});
