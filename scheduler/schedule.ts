/**
 * Task schedules: five-field cron (minute hour day-of-month month day-of-week) evaluated in the project's
 * time zone, with a human form ("every day at 01:00", "every 15 minutes") both ways. Daylight-saving
 * transitions follow Temporal's "compatible" rule: a wall time that does not exist (spring forward) fires
 * the same length of time later (02:30 → 03:30), a wall time that exists twice (fall back) fires once, at
 * its first occurrence.
 */
import { RegistryError } from '../registry/errors.js';

export interface Cron {
  minutes: number[];
  hours: number[];
  days: number[];
  months: number[];
  weekdays: number[];
  /** Cron's rule: when both day fields are restricted, a day matches either. */
  dayRestricted: boolean;
  weekdayRestricted: boolean;
}

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function invalid(message: string): RegistryError {
  return new RegistryError('INVALID_SCHEDULE', message, 400, 'body.schedule');
}

function parseField(text: string, f: (typeof FIELDS)[number]): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw invalid(`${f.name}: "${part}" is not a cron item`);
    const lo = m[1] === '*' ? f.min : Number(m[2]);
    const hi = m[1] === '*' ? f.max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? f.max : lo;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < f.min || hi > f.max || lo > hi || step < 1) throw invalid(`${f.name}: "${part}" is outside ${f.min}-${f.max}`);
    for (let v = lo; v <= hi; v += step) out.add(f.name === 'day of week' && v === 7 ? 0 : v);
  }
  return [...out].sort((a, b) => a - b);
}

export function parseCron(text: string): Cron {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5) throw invalid(`a cron schedule has 5 fields (minute hour day month weekday), got ${parts.length}`);
  const [minutes, hours, days, months, weekdays] = parts.map((p, i) => parseField(p, FIELDS[i]));
  return { minutes, hours, days, months, weekdays, dayRestricted: parts[2] !== '*', weekdayRestricted: parts[4] !== '*' };
}

const two = (n: number) => String(n).padStart(2, '0');
const hm = (t: string) => {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(t);
  if (!m) throw invalid(`"${t}" is not a time HH:MM`);
  return { h: Number(m[1]), m: Number(m[2]) };
};

/**
 * The human forms an operator types, turned into cron:
 *   every N minutes | every hour [at :MM] | every N hours | every day at HH:MM |
 *   every <weekday>[,<weekday>…] at HH:MM | every month on day D at HH:MM
 */
export function cronFromText(text: string): string {
  const s = text.trim().toLowerCase().replace(/\s+/g, ' ');
  let m: RegExpExecArray | null;
  if ((m = /^every (\d+) minutes?$/.exec(s))) {
    const n = Number(m[1]);
    if (n < 1 || n > 59 || 60 % n) throw invalid('every N minutes: N must divide 60');
    return n === 1 ? '* * * * *' : `*/${n} * * * *`;
  }
  if ((m = /^every hour(?: at :([0-5]\d))?$/.exec(s))) return `${Number(m[1] ?? 0)} * * * *`;
  if ((m = /^every (\d+) hours?$/.exec(s))) {
    const n = Number(m[1]);
    if (n < 1 || n > 23 || 24 % n) throw invalid('every N hours: N must divide 24');
    return `0 */${n} * * *`;
  }
  if ((m = /^every day at (\S+)$/.exec(s))) {
    const t = hm(m[1]);
    return `${t.m} ${t.h} * * *`;
  }
  if ((m = /^every month on day (\d+) at (\S+)$/.exec(s))) {
    const d = Number(m[1]);
    if (d < 1 || d > 31) throw invalid('day of month must be 1-31');
    const t = hm(m[2]);
    return `${t.m} ${t.h} ${d} * *`;
  }
  if ((m = /^every ([a-z, ]+) at (\S+)$/.exec(s))) {
    const days = m[1].split(/,\s*|\s+and\s+/).map((d) => WEEKDAYS.indexOf(d.trim()));
    if (days.some((d) => d < 0)) throw invalid(`"${m[1]}" are not weekday names`);
    const t = hm(m[2]);
    return `${t.m} ${t.h} * * ${[...new Set(days)].sort().join(',')}`;
  }
  throw invalid(`"${text}" is not a schedule: use cron or e.g. "every day at 01:00", "every 15 minutes", "every monday at 02:00", "every month on day 1 at 00:30"`);
}

/** The human form of a cron schedule when it has one, else the cron text itself. */
export function describeCron(cron: string): string {
  const c = parseCron(cron);
  const all = (xs: number[], n: number) => xs.length === n;
  const at = c.hours.length === 1 && c.minutes.length === 1 ? `${two(c.hours[0])}:${two(c.minutes[0])}` : undefined;
  const everyDay = !c.dayRestricted && !c.weekdayRestricted && all(c.months, 12);
  if (everyDay && all(c.hours, 24)) {
    if (c.minutes.length === 1) return c.minutes[0] === 0 ? 'every hour' : `every hour at :${two(c.minutes[0])}`;
    const step = c.minutes[1] - c.minutes[0];
    if (c.minutes[0] === 0 && c.minutes.every((v, i) => v === i * step) && 60 % step === 0 && c.minutes.length === 60 / step) {
      return step === 1 ? 'every 1 minute' : `every ${step} minutes`;
    }
  }
  if (everyDay && c.minutes.length === 1 && c.minutes[0] === 0 && c.hours[0] === 0 && c.hours.length > 1) {
    const step = c.hours[1];
    if (24 % step === 0 && c.hours.length === 24 / step && c.hours.every((v, i) => v === i * step)) return `every ${step} hours`;
  }
  if (at && everyDay) return `every day at ${at}`;
  if (at && !c.dayRestricted && c.weekdayRestricted && all(c.months, 12)) return `every ${c.weekdays.map((d) => WEEKDAYS[d]).join(', ')} at ${at}`;
  if (at && c.dayRestricted && !c.weekdayRestricted && c.days.length === 1 && all(c.months, 12)) return `every month on day ${c.days[0]} at ${at}`;
  return cron;
}

/** A schedule as the API accepts it: cron, or one of the human forms. */
export function normalizeSchedule(input: string): string {
  const s = input.trim();
  const cron = /^every\b/i.test(s) ? cronFromText(s) : s;
  parseCron(cron);
  return cron;
}

export function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new RegistryError('INVALID_TIME_ZONE', `"${tz}" is not an IANA time zone`, 400, 'timeZone');
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** The wall-clock time in `tz` at an instant (seconds dropped). */
export function wallTime(tz: string, utcMs: number): WallTime {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(utcMs))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { year: p.year, month: p.month, day: p.day, hour: p.hour, minute: p.minute };
}

/** Offset of `tz` from UTC at an instant, in minutes (Moscow: +180). */
export function offsetMinutes(tz: string, utcMs: number): number {
  const w = wallTime(tz, utcMs);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  return Math.round((asUtc - Math.floor(utcMs / 60000) * 60000) / 60000);
}

/** Every instant showing a wall time in `tz`, ascending: one, two in a fall-back overlap, or for a wall time in a spring-forward gap the instant it is carried to (by the gap's length). */
export function instantsOf(tz: string, w: WallTime): number[] {
  const naive = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  // The offsets in force around this date: before and after a possible transition.
  const before = offsetMinutes(tz, naive - 26 * 3600_000);
  const after = offsetMinutes(tz, naive + 26 * 3600_000);
  const out = [...new Set([before, after])].map((o) => naive - o * 60000).sort((a, b) => a - b).filter((c) => {
    const back = wallTime(tz, c);
    return back.year === w.year && back.month === w.month && back.day === w.day && back.hour === w.hour && back.minute === w.minute;
  });
  return out.length ? out : [naive - before * 60000];
}

/** The instant of a wall time in `tz` by the "compatible" rule: the first occurrence, gaps carried forward. */
export function instantOf(tz: string, w: WallTime): number {
  return instantsOf(tz, w)[0];
}

/** The first firing strictly after `afterMs`, or undefined when none within 5 years (e.g. "0 0 31 2 *"). */
export function nextFire(cron: Cron | string, tz: string, afterMs: number): number | undefined {
  const c = typeof cron === 'string' ? parseCron(cron) : cron;
  const start = wallTime(tz, afterMs);
  const day = new Date(Date.UTC(start.year, start.month - 1, start.day));
  for (let i = 0; i < 366 * 5 + 2; i++, day.setUTCDate(day.getUTCDate() + 1)) {
    const y = day.getUTCFullYear(), mo = day.getUTCMonth() + 1, d = day.getUTCDate(), wd = day.getUTCDay();
    if (!c.months.includes(mo)) continue;
    const domOk = c.days.includes(d), dowOk = c.weekdays.includes(wd);
    const dayOk = c.dayRestricted && c.weekdayRestricted ? domOk || dowOk : domOk && dowOk;
    if (!dayOk) continue;
    // Hourly and finer schedules fire in both occurrences of a repeated hour (no interval is skipped);
    // daily and coarser ones fire once, at the first occurrence.
    const both = c.hours.length === 24;
    let best: number | undefined;
    for (const h of c.hours) {
      for (const m of c.minutes) {
        const w = { year: y, month: mo, day: d, hour: h, minute: m };
        for (const t of both ? instantsOf(tz, w) : [instantOf(tz, w)]) if (t > afterMs && (best === undefined || t < best)) best = t;
      }
      if (best !== undefined) break;
    }
    if (best !== undefined) return best;
  }
  return undefined;
}

/** The next `count` firings after `afterMs`, for previews ("starts at 22:00 UTC"). */
export function upcoming(cron: string, tz: string, afterMs: number, count: number): number[] {
  const c = parseCron(cron);
  const out: number[] = [];
  let t = afterMs;
  while (out.length < count) {
    const n = nextFire(c, tz, t);
    if (n === undefined) break;
    out.push(n);
    t = n;
  }
  return out;
}

/** A firing time both ways: in the project's zone (ISO with offset) and in UTC. */
export function showTime(tz: string, utcMs: number): { local: string; utc: string; offsetMinutes: number } {
  const w = wallTime(tz, utcMs);
  const off = offsetMinutes(tz, utcMs);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  const local = `${w.year}-${two(w.month)}-${two(w.day)}T${two(w.hour)}:${two(w.minute)}:00${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
  return { local, utc: new Date(utcMs).toISOString(), offsetMinutes: off };
}
