import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDataBytes } from '../axdr/data.js';
import { fromHex } from '../axdr/writer.js';
import {
  demandRegisterAttributes,
  demandRegisterMethods,
  extendedRegisterAttributes,
  rawValue,
  registerAttributes,
  registerMethods,
  scaledValue,
} from './register.js';
import { assertValueError, roundTrip } from './test-helpers.js';

const capture = { year: 2024, month: 5, dayOfMonth: 31, dayOfWeek: 5, hour: 12, minute: 30, second: 0, hundredths: 0, deviation: -180, clockStatus: 0 };

test('Register round trip and scaled value with unit', () => {
  roundTrip(registerAttributes.logicalName, '1.0.1.8.0.255');
  roundTrip(registerAttributes.value, { type: 'double-long-unsigned', value: 12345 });
  // scaler_unit { integer -2, enum 30 (Wh) }
  const su = registerAttributes.scalerUnit.decode(decodeDataBytes(fromHex('02 02 0F FE 16 1E')));
  assert.deepEqual(su, { scaler: -2, unit: 30 });
  assert.deepEqual(scaledValue({ type: 'double-long-unsigned', value: 12345 }, su), { value: 123.45, unit: 30, symbol: 'Wh' });
  assert.deepEqual(scaledValue({ type: 'long64', value: 7n }, { scaler: 3, unit: 27 }), { value: 7000, unit: 27, symbol: 'W' });
  roundTrip(registerAttributes.scalerUnit, { scaler: 3, unit: 35 });
  roundTrip(registerMethods.reset, 0);
});

test('rawValue is the reverse of scaledValue', () => {
  assert.deepEqual(rawValue(123.45, -2, 'double-long-unsigned'), { type: 'double-long-unsigned', value: 12345 });
  assert.deepEqual(rawValue(-1.5, -1, 'long'), { type: 'long', value: -15 });
  assert.deepEqual(rawValue(2, 0, 'long64-unsigned'), { type: 'long64-unsigned', value: 2n });
  assert.deepEqual(rawValue(0.5, 0, 'float32'), { type: 'float32', value: 0.5 });
  assertValueError(() => rawValue(-1, 0, 'unsigned', 'Register.value'), 'Register.value', 'outside unsigned');
});

test('wrong shapes name the Register attribute', () => {
  assertValueError(() => registerAttributes.scalerUnit.decode({ type: 'structure', value: [] }), 'Register.scaler_unit');
  assertValueError(() => registerAttributes.scalerUnit.encode({ scaler: 200, unit: 30 }), 'Register.scaler_unit', 'scaler 200');
  assertValueError(() => scaledValue({ type: 'octet-string', value: new Uint8Array(2) }, { scaler: 0, unit: 30 }, 'Register.value'), 'Register.value', 'numeric');
  assertValueError(() => registerMethods.reset.decode({ type: 'unsigned', value: 0 }), 'Register.reset', 'integer(0)');
});

test('Extended register round trip (status, capture_time)', () => {
  roundTrip(extendedRegisterAttributes.status, { type: 'unsigned', value: 0x80 });
  roundTrip(extendedRegisterAttributes.captureTime, capture);
  assertValueError(() => extendedRegisterAttributes.captureTime.decode({ type: 'octet-string', value: new Uint8Array(5) }), 'Extended register.capture_time');
});

test('Demand register round trip and methods', () => {
  roundTrip(demandRegisterAttributes.currentAverageValue, { type: 'double-long', value: -250 });
  roundTrip(demandRegisterAttributes.lastAverageValue, { type: 'double-long', value: 1200 });
  roundTrip(demandRegisterAttributes.scalerUnit, { scaler: 0, unit: 27 });
  roundTrip(demandRegisterAttributes.captureTime, capture);
  roundTrip(demandRegisterAttributes.startTimeCurrent, capture);
  roundTrip(demandRegisterAttributes.period, 900);
  roundTrip(demandRegisterAttributes.numberOfPeriods, 1);
  roundTrip(demandRegisterMethods.nextPeriod, 0);
  assertValueError(() => demandRegisterAttributes.period.decode({ type: 'long-unsigned', value: 900 }), 'Demand register.period', 'double-long-unsigned');
  assertValueError(() => demandRegisterAttributes.numberOfPeriods.encode(70000), 'Demand register.number_of_periods');
});
