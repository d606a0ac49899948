import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../axdr/writer.js';
import { activityCalendarAttributes, activityCalendarMethods, type DayProfile, type Season, type WeekProfile } from './activity-calendar.js';
import { specialDaysAttributes, specialDaysMethods } from './special-days.js';
import { assertValueError, octets, roundTrip, u16, u8 } from './test-helpers.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const start = { year: 0xffff, month: 4, dayOfMonth: 1, dayOfWeek: 0xff, hour: 0, minute: 0, second: 0, hundredths: 0, deviation: -0x8000, clockStatus: 0xff };
const seasons: Season[] = [{ name: ascii('SUMMER'), start, weekName: ascii('W1') }];
const weeks: WeekProfile[] = [{ name: ascii('W1'), monday: 1, tuesday: 1, wednesday: 1, thursday: 1, friday: 1, saturday: 2, sunday: 2 }];
const days: DayProfile[] = [
  {
    dayId: 1,
    schedule: [
      { startTime: { hour: 7, minute: 0, second: 0, hundredths: 0 }, scriptLogicalName: '0.0.10.0.100.255', scriptSelector: 1 },
      { startTime: { hour: 23, minute: 0, second: 0, hundredths: 0 }, scriptLogicalName: '0.0.10.0.100.255', scriptSelector: 2 },
    ],
  },
  { dayId: 2, schedule: [{ startTime: { hour: 0, minute: 0, second: 0, hundredths: 0 }, scriptLogicalName: '0.0.10.0.100.255', scriptSelector: 2 }] },
];

test('Activity calendar active and passive tables round trip', () => {
  roundTrip(activityCalendarAttributes.calendarNameActive, ascii('TARIFF1'));
  roundTrip(activityCalendarAttributes.seasonProfileActive, seasons);
  roundTrip(activityCalendarAttributes.weekProfileTableActive, weeks);
  roundTrip(activityCalendarAttributes.dayProfileTableActive, days);
  roundTrip(activityCalendarAttributes.calendarNamePassive, ascii('TARIFF2'));
  roundTrip(activityCalendarAttributes.seasonProfilePassive, seasons);
  roundTrip(activityCalendarAttributes.weekProfileTablePassive, weeks);
  roundTrip(activityCalendarAttributes.dayProfileTablePassive, days);
  roundTrip(activityCalendarAttributes.activatePassiveCalendarTime, { ...start, year: 2026, month: 1, dayOfMonth: 1 });
  assert.equal(toHex(roundTrip(activityCalendarMethods.activatePassiveCalendar, 0)), '0F00');
});

test('day_profile_action start_time is a 4-byte time octet-string', () => {
  const bytes = roundTrip(activityCalendarAttributes.dayProfileTablePassive, [days[1]!]);
  // array(1) { unsigned 2, array(1) { octet-string(4) 00000000, octet-string(6) LN, long-unsigned 2 } }
  assert.equal(toHex(bytes), '0101' + '0202' + '1102' + '0101' + '0203' + '090400000000' + '0906' + '00000A0064FF' + '120002');
});

test('wrong shapes name the Activity calendar attribute and element', () => {
  const badWeek = { type: 'array' as const, value: [{ type: 'structure' as const, value: [octets(1), u8(1), u8(1), u8(1), u8(1), u8(1), u8(1)] }] };
  assertValueError(() => activityCalendarAttributes.weekProfileTablePassive.decode(badWeek), 'Activity calendar.week_profile_table_passive[0]', 'structure of 8');
  const badDay = {
    type: 'array' as const,
    value: [{ type: 'structure' as const, value: [u8(1), { type: 'array' as const, value: [{ type: 'structure' as const, value: [octets(7, 0, 0), octets(0, 0, 10, 0, 100, 255), u16(1)] }] }] }],
  };
  assertValueError(() => activityCalendarAttributes.dayProfileTableActive.decode(badDay), 'day_profile_table_active[0].day_schedule[0].start_time', 'octet-string(4)');
  assertValueError(() => activityCalendarAttributes.seasonProfileActive.decode({ type: 'structure', value: [] }), 'Activity calendar.season_profile_active', 'expected array');
});

test('Special days table entries and methods', () => {
  const entry = { index: 1, date: { year: 0xffff, month: 1, dayOfMonth: 1, dayOfWeek: 0xff }, dayId: 2 };
  // structure { long-unsigned 1, octet-string(5) FFFF 01 01 FF, unsigned 2 }
  assert.equal(toHex(roundTrip(specialDaysMethods.insert, entry)), '0203' + '120001' + '0905FFFF0101FF' + '1102');
  roundTrip(specialDaysAttributes.entries, [entry, { index: 2, date: { year: 2025, month: 5, dayOfMonth: 9, dayOfWeek: 5 }, dayId: 3 }]);
  assert.equal(toHex(roundTrip(specialDaysMethods.delete, 1)), '120001');
  assertValueError(() => specialDaysMethods.insert.decode({ type: 'structure', value: [u16(1), octets(...fromHex('07E90509')), u8(3)] }), 'Special days table.insert.specialday_date', 'octet-string(5)');
  assertValueError(() => specialDaysAttributes.entries.decode({ type: 'array', value: [{ type: 'structure', value: [u8(1)] }] }), 'Special days table.entries[0]');
});
