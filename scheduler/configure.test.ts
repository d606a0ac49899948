import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calendarFromJson, calendarToJson, limitsFromJson, specialDaysFromJson, specialDaysToJson, thresholdData, type CalendarJson } from './configure.js';

const calendar: CalendarJson = {
  name: 'T',
  seasons: [
    { name: '0x00FF', start: '****-DB-LDT02:00:00.00-05:30', week: 'W' },
    { name: 'S2', start: '2026-**-01T**:**:**', week: 'W' },
  ],
  weeks: [{ name: 'W', monday: 3, tuesday: 3, wednesday: 3, thursday: 3, friday: 3, saturday: 3, sunday: 3 }],
  days: [{ dayId: 3, schedule: [{ start: '06:30:15', script: '0.0.10.0.100.255', selector: 4 }] }],
};

test('a calendar read back as JSON equals the JSON written: wildcards, DST and last-day marks, offsets, hex names', () => {
  const c = calendarFromJson(calendar);
  assert.deepEqual(c.seasons[0]!.name, new Uint8Array([0, 0xff]));
  assert.deepEqual([c.seasons[0]!.start.month, c.seasons[0]!.start.dayOfMonth, c.seasons[0]!.start.deviation], [0xfe, 0xfe, 330]);
  assert.deepEqual(calendarToJson(c), calendar);
  // Short times: seconds 0, hundredths not specified.
  const short = calendarFromJson({ ...calendar, days: [{ dayId: 3, schedule: [{ start: '06:30', script: '0.0.10.0.100.255', selector: 4 }] }] });
  assert.equal(calendarToJson(short).days[0]!.schedule[0]!.start, '06:30:00');
});

test('malformed calendars name the field', () => {
  const bad = (c: unknown, field: string) => assert.throws(() => calendarFromJson(c), (e: Error) => e.name === 'ParamError' && e.message.startsWith(`${field}: `));
  bad({ ...calendar, extra: 1 }, 'calendar.extra');
  bad({ ...calendar, name: 'Ж' }, 'calendar.name');
  bad({ ...calendar, seasons: [{ ...calendar.seasons[0], start: '2026-02-30T00:00' }] }, 'calendar.seasons[0].start');
  const action = (a: object) => ({ ...calendar, days: [{ dayId: 3, schedule: [{ start: '06:00', script: '0.0.10.0.100.255', selector: 1, ...a }] }] });
  bad(action({ start: '24:00' }), 'calendar.days[0].schedule[0].start');
  bad(action({ script: '0.0.10.0.100' }), 'calendar.days[0].schedule[0].script');
  bad(action({ selector: 70000 }), 'calendar.days[0].schedule[0].selector');
});

test('special days take the index of the entry with the same date, else the next free one', () => {
  const existing = [{ index: 4, date: { year: 0xffff, month: 1, dayOfMonth: 7, dayOfWeek: 0xff }, dayId: 2 }];
  const days = specialDaysFromJson([{ date: '2030-01-07', yearly: true, dayId: 1 }, { date: '2030-01-08', dayId: 1 }, { index: 2, date: '2030-01-09', dayId: 1 }, { date: '2030-01-10', dayId: 1 }], existing);
  assert.deepEqual(specialDaysToJson(days), [
    { index: 4, date: '****-01-07', yearly: true, dayId: 1 },
    { index: 5, date: '2030-01-08', yearly: false, dayId: 1 },
    { index: 2, date: '2030-01-09', yearly: false, dayId: 1 },
    { index: 6, date: '2030-01-10', yearly: false, dayId: 1 },
  ]);
  assert.throws(() => specialDaysFromJson([{ date: '2030-01-07', dayId: 256 }], []), /^ParamError: days\[0\]\.dayId: expected an integer 0\.\.255/);
});

test('limits: only the named attributes; thresholds in the type the meter keeps them', () => {
  assert.deepEqual(limitsFromJson({ thresholdEmergency: 5.5, minUnderThresholdDuration: 30 }), { thresholdEmergency: 5.5, minUnderThresholdDuration: 30 });
  assert.throws(() => limitsFromJson({ thresholdActive: '1' }), /limits\.thresholdActive: expected a number/);
  assert.deepEqual(thresholdData(7, { type: 'long-unsigned', value: 1 }, 'x'), { type: 'long-unsigned', value: 7 });
  assert.deepEqual(thresholdData(7.5, { type: 'float32', value: 1 }, 'x'), { type: 'float32', value: 7.5 });
  assert.throws(() => thresholdData(7.5, { type: 'long-unsigned', value: 1 }, 'x'), /^ParamError: x: 7.5 is outside long-unsigned/);
  assert.throws(() => thresholdData(1, { type: 'octet-string', value: new Uint8Array(1) }, 'x'), /x: the meter keeps this threshold as octet-string/);
});
