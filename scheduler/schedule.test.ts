/** Schedules: cron and the human form, time zones, daylight-saving gaps and overlaps. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from '../registry/errors.js';
import { cronFromText, describeCron, instantsOf, nextFire, normalizeSchedule, offsetMinutes, parseCron, showTime, upcoming } from './schedule.js';

const utc = (s: string) => Date.parse(s);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

test('human forms become cron and cron reads back as words', () => {
  const cases: [string, string][] = [
    ['every day at 01:00', '0 1 * * *'],
    ['every 15 minutes', '*/15 * * * *'],
    ['every 30 minutes', '*/30 * * * *'],
    ['every hour', '0 * * * *'],
    ['every hour at :05', '5 * * * *'],
    ['every 6 hours', '0 */6 * * *'],
    ['every monday at 02:30', '30 2 * * 1'],
    ['every Monday, Friday at 23:59', '59 23 * * 1,5'],
    ['every month on day 1 at 00:30', '30 0 1 * *'],
  ];
  for (const [text, cron] of cases) {
    assert.equal(cronFromText(text), cron, text);
    assert.equal(describeCron(cron), text.toLowerCase(), cron);
  }
  assert.equal(describeCron('0 1 1-5 * *'), '0 1 1-5 * *', 'no human form: the cron itself');
});

test('bad schedules are refused with a coded error naming the field', () => {
  for (const bad of ['every 7 minutes', 'every day at 25:00', '* * * *', '61 * * * *', '0 0 0 * *', '0 0 * 13 *', '*/0 * * * *', 'every blue moon', 'every funday at 01:00']) {
    assert.throws(() => normalizeSchedule(bad), (e: unknown) => e instanceof RegistryError && e.code === 'INVALID_SCHEDULE' && e.field === 'body.schedule', bad);
  }
  assert.deepEqual(parseCron('0 0 * * 7').weekdays, [0], 'day-of-week 7 is Sunday');
});

test('"every day at 01:00" in Moscow fires at 22:00 UTC the day before (seed 003 figure 115)', () => {
  const next = nextFire('0 1 * * *', 'Europe/Moscow', utc('2025-05-28T12:00:00Z'));
  assert.equal(iso(next), '2025-05-28T22:00:00.000Z');
  assert.deepEqual(showTime('Europe/Moscow', next!), { local: '2025-05-29T01:00:00+03:00', utc: '2025-05-28T22:00:00.000Z', offsetMinutes: 180 });
  assert.equal(iso(nextFire('0 1 * * *', 'Europe/Moscow', next!)), '2025-05-29T22:00:00.000Z', 'strictly after');
});

test('day-of-month and day-of-week: either matches when both are restricted', () => {
  // 2025-06-01 is a Sunday; "on the 13th or on Fridays".
  const fires = upcoming('0 12 13 * 5', 'UTC', utc('2025-06-01T00:00:00Z'), 3).map(iso);
  assert.deepEqual(fires, ['2025-06-06T12:00:00.000Z', '2025-06-13T12:00:00.000Z', '2025-06-20T12:00:00.000Z']);
  assert.equal(nextFire('0 0 31 2 *', 'UTC', 0), undefined, 'never');
  assert.equal(iso(nextFire('0 0 29 2 *', 'UTC', utc('2025-01-01T00:00:00Z'))), '2028-02-29T00:00:00.000Z');
});

test('spring forward: a wall time in the gap fires an hour later; hourly schedules skip nothing', () => {
  // Europe/Berlin 2025-03-30: 02:00 CET → 03:00 CEST (01:00 UTC).
  assert.equal(offsetMinutes('Europe/Berlin', utc('2025-03-30T00:59:00Z')), 60);
  assert.equal(offsetMinutes('Europe/Berlin', utc('2025-03-30T01:00:00Z')), 120);
  assert.equal(iso(nextFire('30 2 * * *', 'Europe/Berlin', utc('2025-03-29T12:00:00Z'))), '2025-03-30T01:30:00.000Z', '02:30 does not exist → 03:30 CEST');
  assert.equal(iso(nextFire('30 2 * * *', 'Europe/Berlin', utc('2025-03-30T12:00:00Z'))), '2025-03-31T00:30:00.000Z', 'back to normal next day');
  const hourly = upcoming('0 * * * *', 'Europe/Berlin', utc('2025-03-29T23:30:00Z'), 3).map(iso);
  assert.deepEqual(hourly, ['2025-03-30T00:00:00.000Z', '2025-03-30T01:00:00.000Z', '2025-03-30T02:00:00.000Z'], 'one hour of real time between firings');
});

test('fall back: daily fires once at the first 02:30; 15-minute fires through both repeated hours', () => {
  // Europe/Berlin 2025-10-26: 03:00 CEST → 02:00 CET (01:00 UTC); 02:30 happens at 00:30Z and 01:30Z.
  assert.deepEqual(instantsOf('Europe/Berlin', { year: 2025, month: 10, day: 26, hour: 2, minute: 30 }).map(iso), ['2025-10-26T00:30:00.000Z', '2025-10-26T01:30:00.000Z']);
  const daily = upcoming('30 2 * * *', 'Europe/Berlin', utc('2025-10-25T12:00:00Z'), 2).map(iso);
  assert.deepEqual(daily, ['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z']);
  const q = upcoming('*/15 * * * *', 'Europe/Berlin', utc('2025-10-26T00:30:00Z'), 8).map(iso);
  assert.deepEqual(q, [
    '2025-10-26T00:45:00.000Z', '2025-10-26T01:00:00.000Z', '2025-10-26T01:15:00.000Z', '2025-10-26T01:30:00.000Z',
    '2025-10-26T01:45:00.000Z', '2025-10-26T02:00:00.000Z', '2025-10-26T02:15:00.000Z', '2025-10-26T02:30:00.000Z',
  ], 'every 15 minutes of real time, none lost or doubled');
});

test('zones with half-hour offsets and southern-hemisphere DST', () => {
  assert.equal(iso(nextFire('0 1 * * *', 'Asia/Kolkata', utc('2025-01-01T00:00:00Z'))), '2025-01-01T19:30:00.000Z');
  // Australia/Sydney 2025-04-06: 03:00 AEDT → 02:00 AEST; daily 02:30 fires once, at the first (AEDT) one.
  assert.equal(iso(nextFire('30 2 * * *', 'Australia/Sydney', utc('2025-04-05T12:00:00Z'))), '2025-04-05T15:30:00.000Z');
});
