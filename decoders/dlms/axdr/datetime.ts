/**
 * COSEM date, time and date-time (IEC 62056-6-2 §4.1.6.1, Blue Book "Date and time formats").
 *
 *   date      ::= year(u16, 0xFFFF) month(u8) day-of-month(u8) day-of-week(u8)          5 bytes
 *   time      ::= hour(u8) minute(u8) second(u8) hundredths(u8)                         4 bytes
 *   date-time ::= date time deviation(i16, 0x8000) clock-status(u8, 0xFF)              12 bytes
 *
 * In brackets: the "not specified" value; every u8 field uses 0xFF. month 0xFD/0xFE = daylight saving
 * end/begin, day-of-month 0xFD/0xFE = second-last/last day of the month, day-of-week 1 = Monday.
 *
 * Deviation: minutes of local time to UTC, so UTC = local + deviation and UTC+3 local time carries
 * deviation -180 (OSGP/Documentation Domains/Smartmetering/smartmeteringwebservices/SynchronizeTime.md:
 * CEST → -120). Some meters send the opposite sign; `deviationSign: 'inverted'` reads those.
 *
 * Decoding keeps every byte as sent (so it re-encodes identically); validity is a separate question
 * answered by `isValidDateTime` and `dateTimeToUtcMs`.
 */
import { DlmsError } from '../errors.js';
import type { CosemDate, CosemDateTime, CosemTime } from './types.js';

export const NOT_SPECIFIED = 0xff;
export const YEAR_NOT_SPECIFIED = 0xffff;
export const DEVIATION_NOT_SPECIFIED = -0x8000;
export const MONTH_DST_END = 0xfd;
export const MONTH_DST_BEGIN = 0xfe;
export const DAY_SECOND_LAST = 0xfd;
export const DAY_LAST = 0xfe;

/** Clock status bits (Blue Book 4.1.6.1); 0xFF as a whole = not specified. */
export const ClockStatus = {
  invalidValue: 0x01,
  doubtfulValue: 0x02,
  differentClockBase: 0x04,
  invalidClockStatus: 0x08,
  daylightSavingActive: 0x80,
} as const;

export interface DateTimeOptions {
  /** Deviation assumed when the value says "not specified" (0x8000); same sign convention as the field. */
  defaultDeviation?: number;
  /** 'standard': UTC = local + deviation (Blue Book); 'inverted': UTC = local − deviation. */
  deviationSign?: 'standard' | 'inverted';
}

function need(b: Uint8Array, offset: number, n: number, what: string): void {
  if (offset < 0 || offset + n > b.length) {
    throw new DlmsError('DLMS_ERR_TRUNCATED', `expected ${what} (${n} bytes), ${Math.max(0, b.length - offset)} left`, offset);
  }
}

export function decodeDate(b: Uint8Array, offset = 0): CosemDate {
  need(b, offset, 5, 'date');
  return {
    year: (b[offset]! << 8) | b[offset + 1]!,
    month: b[offset + 2]!,
    dayOfMonth: b[offset + 3]!,
    dayOfWeek: b[offset + 4]!,
  };
}

export function decodeTime(b: Uint8Array, offset = 0): CosemTime {
  need(b, offset, 4, 'time');
  return { hour: b[offset]!, minute: b[offset + 1]!, second: b[offset + 2]!, hundredths: b[offset + 3]! };
}

export function decodeDateTime(b: Uint8Array, offset = 0): CosemDateTime {
  need(b, offset, 12, 'date-time');
  const dev = (b[offset + 9]! << 8) | b[offset + 10]!;
  return {
    year: (b[offset]! << 8) | b[offset + 1]!,
    month: b[offset + 2]!,
    dayOfMonth: b[offset + 3]!,
    dayOfWeek: b[offset + 4]!,
    hour: b[offset + 5]!,
    minute: b[offset + 6]!,
    second: b[offset + 7]!,
    hundredths: b[offset + 8]!,
    deviation: dev > 0x7fff ? dev - 0x10000 : dev,
    clockStatus: b[offset + 11]!,
  };
}

function checkByte(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new DlmsError('DLMS_ERR_ENCODE', `${what} ${v} is not a byte`);
  return v;
}

function writeDate(out: Uint8Array, at: number, d: CosemDate): void {
  if (!Number.isInteger(d.year) || d.year < 0 || d.year > 0xffff) throw new DlmsError('DLMS_ERR_ENCODE', `year ${d.year} out of range`);
  out[at] = d.year >>> 8;
  out[at + 1] = d.year & 0xff;
  out[at + 2] = checkByte(d.month, 'month');
  out[at + 3] = checkByte(d.dayOfMonth, 'day-of-month');
  out[at + 4] = checkByte(d.dayOfWeek, 'day-of-week');
}

function writeTime(out: Uint8Array, at: number, t: CosemTime): void {
  out[at] = checkByte(t.hour, 'hour');
  out[at + 1] = checkByte(t.minute, 'minute');
  out[at + 2] = checkByte(t.second, 'second');
  out[at + 3] = checkByte(t.hundredths, 'hundredths');
}

export function encodeDate(d: CosemDate): Uint8Array {
  const out = new Uint8Array(5);
  writeDate(out, 0, d);
  return out;
}

export function encodeTime(t: CosemTime): Uint8Array {
  const out = new Uint8Array(4);
  writeTime(out, 0, t);
  return out;
}

export function encodeDateTime(dt: CosemDateTime): Uint8Array {
  const out = new Uint8Array(12);
  writeDate(out, 0, dt);
  writeTime(out, 5, dt);
  if (!Number.isInteger(dt.deviation) || dt.deviation < -0x8000 || dt.deviation > 0x7fff) {
    throw new DlmsError('DLMS_ERR_ENCODE', `deviation ${dt.deviation} out of range`);
  }
  const dev = dt.deviation & 0xffff;
  out[9] = dev >>> 8;
  out[10] = dev & 0xff;
  out[11] = checkByte(dt.clockStatus, 'clock status');
  return out;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil); no Date object. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeap(year) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * True when every field is either in range or its "not specified" / special value. The day-of-month
 * is checked against the month only when both year and month are given.
 */
export function isValidDateTime(dt: CosemDateTime): boolean {
  const { year, month, dayOfMonth: d, dayOfWeek: w, hour, minute, second, hundredths, deviation } = dt;
  if (!((month >= 1 && month <= 12) || month === 0xfd || month === 0xfe || month === 0xff)) return false;
  if (!((d >= 1 && d <= 31) || d === 0xfd || d === 0xfe || d === 0xff)) return false;
  if (d <= 31 && month <= 12 && year !== 0xffff && d > daysInMonth(year, month)) return false;
  if (!((w >= 1 && w <= 7) || w === 0xff)) return false;
  if (!(hour <= 23 || hour === 0xff) || !(minute <= 59 || minute === 0xff)) return false;
  if (!(second <= 59 || second === 0xff) || !(hundredths <= 99 || hundredths === 0xff)) return false;
  return (deviation >= -720 && deviation <= 720) || deviation === DEVIATION_NOT_SPECIFIED;
}

/**
 * The UTC instant in ms, or null when the value does not name one instant (unspecified or special
 * date/time fields, out-of-range values, no deviation and no default). Unspecified hundredths count as 0.
 */
export function dateTimeToUtcMs(dt: CosemDateTime, opts?: DateTimeOptions): number | null {
  const local = civilDay(dt.year, dt.month, dt.dayOfMonth) * 86400000 + timeOfDayMs(dt.hour, dt.minute, dt.second, dt.hundredths);
  if (Number.isNaN(local)) return null;
  let dev = dt.deviation;
  if (dev === DEVIATION_NOT_SPECIFIED) {
    if (opts?.defaultDeviation === undefined) return null;
    dev = opts.defaultDeviation;
  }
  if (opts?.deviationSign === 'inverted') dev = -dev;
  return local + dev * 60000;
}

/**
 * Days since 1970-01-01 of a specified date that exists, else NaN. With timeOfDayMs, the rules of
 * dateTimeToUtcMs for decoders that read fields straight from bytes (cosem/profile-generic.ts).
 */
export function civilDay(year: number, month: number, dayOfMonth: number): number {
  if (year === YEAR_NOT_SPECIFIED || month < 1 || month > 12 || dayOfMonth < 1 || dayOfMonth > daysInMonth(year, month)) return NaN;
  return daysFromCivil(year, month, dayOfMonth);
}

/** Milliseconds since midnight of in-range time fields (hundredths 0xFF counts as 0), else NaN. */
export function timeOfDayMs(hour: number, minute: number, second: number, hundredths: number): number {
  const hs = hundredths === NOT_SPECIFIED ? 0 : hundredths;
  if (hour > 23 || minute > 59 || second > 59 || hs > 99) return NaN;
  return ((hour * 60 + minute) * 60 + second) * 1000 + hs * 10;
}

/**
 * The COSEM date-time of a UTC instant as local time with the given deviation (standard sign), or as
 * UTC fields with deviation "not specified" when `deviation` is null.
 */
export function dateTimeFromUtcMs(ms: number, deviation: number | null, clockStatus = 0): CosemDateTime {
  if (!Number.isFinite(ms)) throw new DlmsError('DLMS_ERR_ENCODE', `invalid instant ${ms}`);
  const local = new Date(Math.floor(ms / 10) * 10 - (deviation ?? 0) * 60000);
  const year = local.getUTCFullYear();
  if (year < 0 || year > 0xfffe) throw new DlmsError('DLMS_ERR_ENCODE', `year ${year} out of range`);
  return {
    year,
    month: local.getUTCMonth() + 1,
    dayOfMonth: local.getUTCDate(),
    dayOfWeek: ((local.getUTCDay() + 6) % 7) + 1,
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    hundredths: Math.floor(local.getUTCMilliseconds() / 10),
    deviation: deviation ?? DEVIATION_NOT_SPECIFIED,
    clockStatus,
  };
}

function pad(v: number, n: number): string {
  return String(v).padStart(n, '0');
}

/** A field as digits, or '*' repeated when not specified (wildcards as in Blue Book schedules). */
function field(v: number, n: number, unspecified: number): string {
  return v === unspecified ? '*'.repeat(n) : pad(v, n);
}

/** `YYYY-MM-DD`; unspecified fields as `*`, DST end/begin months as `DE`/`DB`, second-last/last day as `SL`/`LD`. */
export function formatDate(d: CosemDate): string {
  const month = d.month === MONTH_DST_END ? 'DE' : d.month === MONTH_DST_BEGIN ? 'DB' : field(d.month, 2, 0xff);
  const day = d.dayOfMonth === DAY_SECOND_LAST ? 'SL' : d.dayOfMonth === DAY_LAST ? 'LD' : field(d.dayOfMonth, 2, 0xff);
  return `${field(d.year, 4, 0xffff)}-${month}-${day}`;
}

/** `hh:mm:ss.cc` (the hundredths only when specified). */
export function formatTime(t: CosemTime): string {
  const base = `${field(t.hour, 2, 0xff)}:${field(t.minute, 2, 0xff)}:${field(t.second, 2, 0xff)}`;
  return t.hundredths === 0xff ? base : `${base}.${pad(t.hundredths, 2)}`;
}

/**
 * ISO 8601 local time with its UTC offset (offset = −deviation), e.g. `2022-05-31T12:30:00+03:00`;
 * no offset when the deviation is not specified. Unspecified fields as in `formatDate`.
 */
export function formatDateTime(dt: CosemDateTime): string {
  const s = `${formatDate(dt)}T${formatTime(dt)}`;
  if (dt.deviation === DEVIATION_NOT_SPECIFIED) return s;
  const off = -dt.deviation;
  if (off === 0) return `${s}Z`;
  const a = Math.abs(off);
  return `${s}${off < 0 ? '-' : '+'}${pad(Math.floor(a / 60), 2)}:${pad(a % 60, 2)}`;
}
