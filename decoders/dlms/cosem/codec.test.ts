import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DlmsData } from '../axdr/types.js';
import { array, dateTime, decodeAttributes, encodeAttributes, int, logicalName, nullable, octets, struct, u16, zero } from './codec.js';
import { clockAttributes } from './clock.js';
import { assertValueError, octets as os } from './test-helpers.js';

test('integers check type and range in both directions', () => {
  assert.equal(u16.decode({ type: 'long-unsigned', value: 65535 }, 'x'), 65535);
  assertValueError(() => u16.decode({ type: 'unsigned', value: 1 }, 'A.b'), 'A.b', 'expected long-unsigned, got unsigned');
  assertValueError(() => u16.encode(65536, 'A.b'), 'A.b', '65536');
  assertValueError(() => u16.encode(1.5, 'A.b'), '1.5');
  const mode = int('enum', 6);
  assertValueError(() => mode.decode({ type: 'enum', value: 7 }, 'Disconnect control.control_mode'), 'control_mode', '7');
  assert.deepEqual(mode.encode(6, 'm'), { type: 'enum', value: 6 });
});

test('integer(0) method parameters accept only 0', () => {
  assert.equal(zero.decode({ type: 'integer', value: 0 }, 'm'), 0);
  assertValueError(() => zero.decode({ type: 'integer', value: 1 }, 'Clock.adjust_to_quarter'), 'adjust_to_quarter', 'integer(0)');
});

test('logical names are dotted OBIS codes of exactly 6 bytes', () => {
  assert.equal(logicalName.decode(os(1, 0, 1, 8, 0, 255), 'ln'), '1.0.1.8.0.255');
  assert.deepEqual(logicalName.encode('1-0:1.8.0*255', 'ln'), os(1, 0, 1, 8, 0, 255));
  assertValueError(() => logicalName.decode(os(1, 0, 1, 8, 0), 'Register.logical_name'), 'Register.logical_name', 'octet-string(5)');
  assertValueError(() => logicalName.encode('1.0.1', 'Register.logical_name'), 'Register.logical_name', 'not an OBIS code');
});

test('date-time accepts octet-string(12) and the tagged type, rejects other lengths', () => {
  const dt = { year: 2024, month: 2, dayOfMonth: 29, dayOfWeek: 4, hour: 12, minute: 0, second: 0, hundredths: 0, deviation: -180, clockStatus: 0 };
  const d = dateTime.encode(dt, 't');
  assert.equal(d.type, 'octet-string');
  assert.deepEqual(dateTime.decode(d, 't'), dt);
  assert.deepEqual(dateTime.decode({ type: 'date-time', value: dt }, 't'), dt);
  assertValueError(() => dateTime.decode(os(1, 2, 3), 'Clock.time'), 'Clock.time', 'octet-string(12)', 'octet-string(3)');
  assertValueError(() => dateTime.encode({ ...dt, month: 300 }, 'Clock.time'), 'Clock.time', 'month');
});

test('structures and arrays name the failing element path', () => {
  const c = array(struct<{ a: number; b: Uint8Array }>({ a: ['a_field', u16], b: ['b_field', octets(2)] }));
  const good: DlmsData = { type: 'array', value: [{ type: 'structure', value: [{ type: 'long-unsigned', value: 1 }, os(1, 2)] }] };
  assert.deepEqual(c.decode(good, 'X.list'), [{ a: 1, b: Uint8Array.of(1, 2) }]);
  const bad: DlmsData = { type: 'array', value: [good.value[0]!, { type: 'structure', value: [{ type: 'long-unsigned', value: 1 }, os(1)] }] };
  assertValueError(() => c.decode(bad, 'X.list'), 'X.list[1].b_field', 'octet-string(2)');
  assertValueError(() => c.decode({ type: 'structure', value: [] }, 'X.list'), 'X.list', 'expected array');
  assertValueError(() => c.decode({ type: 'array', value: [{ type: 'structure', value: [] }] }, 'X.list'), 'X.list[0]', 'structure of 2');
  assertValueError(() => c.encode([{ a: -1, b: Uint8Array.of(1, 2) }], 'X.list'), 'X.list[0].a_field');
});

test('nullable maps null-data to null', () => {
  const c = nullable(u16);
  assert.equal(c.decode({ type: 'null-data' }, 'x'), null);
  assert.deepEqual(c.encode(null, 'x'), { type: 'null-data' });
  assert.equal(c.decode({ type: 'long-unsigned', value: 3 }, 'x'), 3);
});

test('decodeAttributes / encodeAttributes convert the attributes present by id', () => {
  const values = new Map<number, DlmsData>([
    [1, os(0, 0, 1, 0, 0, 255)],
    [3, { type: 'long', value: -60 }],
    [8, { type: 'boolean', value: true }],
  ]);
  const clock = decodeAttributes(clockAttributes, values);
  assert.deepEqual(clock, { logicalName: '0.0.1.0.0.255', timeZone: -60, daylightSavingsEnabled: true });
  assert.deepEqual(encodeAttributes(clockAttributes, clock), values);
  assertValueError(() => decodeAttributes(clockAttributes, new Map([[3, { type: 'unsigned', value: 1 }]])), 'Clock.time_zone', 'expected long');
});
