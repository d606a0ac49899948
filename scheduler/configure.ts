/**
 * The configure commands' JSON (COMMAND_PARAMS in scheduler/content.ts) to and from the COSEM values of
 * the activity calendar (class 20), the special days table (11) and the limiter (71). A read answers in
 * the shape the matching write takes, so what was read can be written back. Dates and times are the text
 * of axdr/datetime.ts formatDate/formatTime/formatDateTime (`*` = not specified), octet-string names are
 * text, or `0x` + hex when not printable. Malformed parameters throw ParamError naming the field.
 */
import { dataToJson, dataToNumber } from '../decoders/dlms/axdr/data.js';
import { DEVIATION_NOT_SPECIFIED, daysFromCivil, formatDate, formatDateTime, formatTime, isValidDateTime } from '../decoders/dlms/axdr/datetime.js';
import type { CosemDate, CosemDateTime, CosemTime, DlmsData } from '../decoders/dlms/axdr/types.js';
import { fromHex, toHex } from '../decoders/dlms/axdr/writer.js';
import { codecs, TransportService, type DayProfile, type Limiter, type PushSetup, type Season, type SpecialDay, type WeekProfile } from '../decoders/dlms/cosem/index.js';
import { isDlmsError } from '../decoders/dlms/errors.js';
import { formatObis, parseObis } from '../decoders/dlms/obis.js';

/** A command parameter that cannot be sent; the message starts with the field's path. */
export class ParamError extends Error {
  override readonly name = 'ParamError';
}

/** COSEM date and time text, as regular-expression sources (also the JSON schemas' patterns). */
export const DATE_TEXT = '(\\d{4}|\\*{4})-(\\d{2}|\\*{2}|DE|DB)-(\\d{2}|\\*{2}|SL|LD)';
export const TIME_TEXT = '(\\d{2}|\\*{2}):(\\d{2}|\\*{2})(?::(\\d{2}|\\*{2})(?:\\.(\\d{2}|\\*{2}))?)?';
export const OFFSET_TEXT = '(Z|[+-]\\d{2}:\\d{2})?';
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

export interface CalendarJson {
  name: string;
  seasons: { name: string; start: string; week: string }[];
  weeks: ({ name: string } & Record<(typeof WEEKDAYS)[number], number>)[];
  days: { dayId: number; schedule: { start: string; script: string; selector: number }[] }[];
}

export interface Calendar {
  name: Uint8Array;
  seasons: Season[];
  weeks: WeekProfile[];
  days: DayProfile[];
}

export interface SpecialDayJson {
  index: number;
  date: string;
  yearly: boolean;
  dayId: number;
}

export interface LimitsJson {
  monitoredValue: { classId: number; obis: string; attribute: number };
  thresholdActive: unknown;
  thresholdNormal: unknown;
  thresholdEmergency: unknown;
  minOverThresholdDuration: number;
  minUnderThresholdDuration: number;
}

/** The limiter attributes a write may set, as their class view names them. */
export type LimiterSettings = Partial<Pick<Limiter, 'monitoredValue' | 'minOverThresholdDuration' | 'minUnderThresholdDuration'>> &
  Partial<Record<'thresholdActive' | 'thresholdNormal' | 'thresholdEmergency', number>>;

/** A Push Setup (class 40) as push-setup-read answers it and push-setup-write takes it (all but `pushSetup` optional in a write). */
export interface PushSetupJson {
  objects: { classId: number; obis: string; attribute: number; dataIndex: number }[];
  /** transport_service of send_destination_and_method. */
  service: string;
  /** "host:port" (tcp, udp), a phone number (sms), as the meter keeps it (ASCII, else 0x + hex). */
  destination: string;
  /** communication_window: COSEM date-times, * = not specified (e.g. ****-**-**T00:00 to ****-**-**T06:00). */
  window: { start: string; end: string }[];
  randomisationS: number;
}

const SERVICES = Object.keys(TransportService) as (keyof typeof TransportService)[];

/** The Push Setup attributes a write may set. */
export type PushSetupSettings = Partial<Pick<PushSetup, 'pushObjectList' | 'communicationWindow' | 'randomisationStartInterval'>> & {
  destination?: { transportService?: number; destination: Uint8Array };
};

// ---- reads ----

export function pushSetupToJson(s: Pick<PushSetup, 'pushObjectList' | 'sendDestinationAndMethod' | 'communicationWindow' | 'randomisationStartInterval'>): PushSetupJson {
  const d = s.sendDestinationAndMethod;
  return {
    objects: s.pushObjectList.map((o) => ({ classId: o.classId, obis: o.logicalName, attribute: o.attributeIndex, dataIndex: o.dataIndex })),
    service: SERVICES.find((k) => TransportService[k] === d.transportService) ?? String(d.transportService),
    destination: nameText(d.destination),
    window: s.communicationWindow.map((w) => ({ start: formatDateTime(w.start), end: formatDateTime(w.end) })),
    randomisationS: s.randomisationStartInterval,
  };
}

export function calendarToJson(c: Calendar): CalendarJson {
  return {
    name: nameText(c.name),
    seasons: c.seasons.map((s) => ({ name: nameText(s.name), start: formatDateTime(s.start), week: nameText(s.weekName) })),
    weeks: c.weeks.map((w) => ({ ...w, name: nameText(w.name) })),
    days: c.days.map((d) => ({
      dayId: d.dayId,
      schedule: d.schedule.map((a) => ({ start: formatTime(a.startTime), script: a.scriptLogicalName, selector: a.scriptSelector })),
    })),
  };
}

export function specialDaysToJson(entries: SpecialDay[]): SpecialDayJson[] {
  return entries.map((e) => ({ index: e.index, date: formatDate(e.date), yearly: e.date.year === 0xffff, dayId: e.dayId }));
}

/** Thresholds as numbers when the monitored value is numeric, else as typed JSON. */
export function limitsToJson(l: Pick<Limiter, keyof LimitsJson>): LimitsJson {
  const threshold = (d: DlmsData) => dataToNumber(d) ?? dataToJson(d);
  return {
    monitoredValue: { classId: l.monitoredValue.classId, obis: l.monitoredValue.logicalName, attribute: l.monitoredValue.attributeIndex },
    thresholdActive: threshold(l.thresholdActive),
    thresholdNormal: threshold(l.thresholdNormal),
    thresholdEmergency: threshold(l.thresholdEmergency),
    minOverThresholdDuration: l.minOverThresholdDuration,
    minUnderThresholdDuration: l.minUnderThresholdDuration,
  };
}

// ---- writes ----

/** `params.calendar` as the passive calendar to write; season weeks and week day ids must name existing profiles. */
export function calendarFromJson(v: unknown, path = 'calendar'): Calendar {
  const c = fields(v, path, ['name', 'seasons', 'weeks', 'days']);
  const days = list(c.days, `${path}.days`).map((d, i): DayProfile => {
    const p = `${path}.days[${i}]`;
    const o = fields(d, p, ['dayId', 'schedule']);
    return {
      dayId: integer(o.dayId, `${p}.dayId`, 0, 255),
      schedule: list(o.schedule, `${p}.schedule`).map((a, j) => {
        const q = `${p}.schedule[${j}]`;
        const x = fields(a, q, ['start', 'script', 'selector']);
        return { startTime: timeFromText(text(x.start, `${q}.start`), `${q}.start`), scriptLogicalName: obis(x.script, `${q}.script`), scriptSelector: integer(x.selector, `${q}.selector`, 0, 0xffff) };
      }),
    };
  });
  const dayIds = new Set(days.map((d) => d.dayId));
  const weeks = list(c.weeks, `${path}.weeks`).map((w, i): WeekProfile => {
    const p = `${path}.weeks[${i}]`;
    const o = fields(w, p, ['name', ...WEEKDAYS]);
    const week = { name: nameBytes(o.name, `${p}.name`) } as WeekProfile;
    for (const day of WEEKDAYS) {
      week[day] = integer(o[day], `${p}.${day}`, 0, 255);
      if (!dayIds.has(week[day])) throw new ParamError(`${p}.${day}: no day profile with dayId ${week[day]}`);
    }
    return week;
  });
  const weekNames = new Set(weeks.map((w) => toHex(w.name)));
  const seasons = list(c.seasons, `${path}.seasons`).map((s, i): Season => {
    const p = `${path}.seasons[${i}]`;
    const o = fields(s, p, ['name', 'start', 'week']);
    const weekName = nameBytes(o.week, `${p}.week`);
    if (!weekNames.has(toHex(weekName))) throw new ParamError(`${p}.week: no week profile named "${String(o.week)}"`);
    return { name: nameBytes(o.name, `${p}.name`), start: dateTimeFromText(text(o.start, `${p}.start`), `${p}.start`), weekName };
  });
  return { name: nameBytes(c.name, `${path}.name`), seasons, weeks, days };
}

/** Two special days fall on the same date (a yearly one has the year 0xFFFF). */
const sameDate = (a: CosemDate, b: CosemDate) => a.year === b.year && a.month === b.month && a.dayOfMonth === b.dayOfMonth;

/**
 * `params.days` as special day entries to insert into a table that holds `existing`: an entry without an
 * index takes the index of the existing entry with the same date (which it replaces), else the next free one.
 */
export function specialDaysFromJson(v: unknown, existing: readonly SpecialDay[], path = 'days'): SpecialDay[] {
  const taken = existing.map((e) => ({ index: e.index, date: e.date }));
  let next = Math.max(1, ...existing.map((e) => e.index + 1));
  return list(v, path, 256).map((d, i): SpecialDay => {
    const p = `${path}[${i}]`;
    const o = fields(d, p, ['index', 'date', 'yearly', 'dayId']);
    let date = dateFromText(text(o.date, `${p}.date`), `${p}.date`);
    if (o.yearly !== undefined && typeof o.yearly !== 'boolean') throw new ParamError(`${p}.yearly: expected true or false`);
    if (o.yearly === true) date = { ...date, year: 0xffff, dayOfWeek: 0xff };
    const index = o.index !== undefined ? integer(o.index, `${p}.index`, 0, 0xffff) : taken.find((e) => sameDate(e.date, date))?.index ?? next;
    if (index >= next) next = index + 1;
    taken.push({ index, date });
    return { index, date, dayId: integer(o.dayId, `${p}.dayId`, 0, 255) };
  });
}

/**
 * The entries of a table holding `existing` that `params.indexes` and `params.dates` name, each once; a name
 * that matches no entry is refused (before anything is deleted).
 */
export function specialDaysToDelete(indexes: unknown, dates: unknown, existing: readonly SpecialDay[]): SpecialDay[] {
  const out = new Map<number, SpecialDay>();
  for (const [i, v] of (indexes === undefined ? [] : list(indexes, 'indexes', 256)).entries()) {
    const index = integer(v, `indexes[${i}]`, 0, 0xffff);
    const e = existing.find((x) => x.index === index);
    if (!e) throw new ParamError(`indexes[${i}]: no special day with index ${index}`);
    out.set(index, e);
  }
  for (const [i, v] of (dates === undefined ? [] : list(dates, 'dates', 256)).entries()) {
    const date = dateFromText(text(v, `dates[${i}]`), `dates[${i}]`);
    const e = existing.find((x) => sameDate(x.date, date));
    if (!e) throw new ParamError(`dates[${i}]: no special day on ${String(v)}`);
    out.set(e.index, e);
  }
  if (!out.size) throw new ParamError('indexes: name the entries to delete by indexes or dates');
  return [...out.values()];
}

/** `params.limits`: the named attributes only (at least one). */
export function limitsFromJson(v: unknown, path = 'limits'): LimiterSettings {
  const o = fields(v, path, ['monitoredValue', 'thresholdActive', 'thresholdNormal', 'thresholdEmergency', 'minOverThresholdDuration', 'minUnderThresholdDuration']);
  const out: LimiterSettings = {};
  if (o.monitoredValue !== undefined) {
    const p = `${path}.monitoredValue`;
    const m = fields(o.monitoredValue, p, ['classId', 'obis', 'attribute']);
    out.monitoredValue = { classId: integer(m.classId, `${p}.classId`, 0, 0xffff), logicalName: obis(m.obis, `${p}.obis`), attributeIndex: integer(m.attribute, `${p}.attribute`, -128, 127) };
  }
  for (const k of ['thresholdActive', 'thresholdNormal', 'thresholdEmergency'] as const) {
    if (o[k] === undefined) continue;
    if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) throw new ParamError(`${path}.${k}: expected a number`);
    out[k] = o[k];
  }
  for (const k of ['minOverThresholdDuration', 'minUnderThresholdDuration'] as const) {
    if (o[k] !== undefined) out[k] = integer(o[k], `${path}.${k}`, 0, 0xffffffff);
  }
  if (!Object.keys(out).length) throw new ParamError(`${path}: names no limiter attribute`);
  return out;
}

/** A threshold in the type the meter keeps it in (the monitored value's type, as read). */
export function thresholdData(value: number, current: DlmsData, path: string): DlmsData {
  switch (current.type) {
    case 'integer':
    case 'long':
    case 'double-long':
    case 'unsigned':
    case 'long-unsigned':
    case 'double-long-unsigned':
      try {
        return codecs.int(current.type).encode(value, path);
      } catch (e) {
        if (isDlmsError(e)) throw new ParamError(e.message);
        throw e;
      }
    case 'float32':
    case 'float64':
    case 'floating-point':
      return { type: current.type, value };
    default:
      throw new ParamError(`${path}: the meter keeps this threshold as ${current.type}, not a number`);
  }
}

/** An instant (ISO 8601) as `params.activateAt` gives it. */
export function pushSetupFromJson(v: unknown, path = 'push'): PushSetupSettings {
  const p = fields(v, path, ['objects', 'service', 'destination', 'window', 'randomisationS']);
  const out: PushSetupSettings = {};
  if (p.objects !== undefined) {
    out.pushObjectList = list(p.objects, `${path}.objects`).map((o, i) => {
      const at = `${path}.objects[${i}]`;
      const f = fields(o, at, ['classId', 'obis', 'attribute', 'dataIndex']);
      return {
        classId: integer(f.classId, `${at}.classId`, 0, 65535), logicalName: obis(f.obis, `${at}.obis`), attributeIndex: integer(f.attribute, `${at}.attribute`, -128, 127),
        dataIndex: f.dataIndex === undefined ? 0 : integer(f.dataIndex, `${at}.dataIndex`, 0, 65535),
      };
    });
  }
  if (p.service !== undefined && p.destination === undefined) throw new ParamError(`${path}.destination: required with ${path}.service`);
  if (p.destination !== undefined) {
    const service = p.service === undefined ? undefined : text(p.service, `${path}.service`);
    if (service !== undefined && !SERVICES.includes(service as keyof typeof TransportService)) throw new ParamError(`${path}.service: one of ${SERVICES.join(', ')}`);
    out.destination = { destination: nameBytes(p.destination, `${path}.destination`), ...(service ? { transportService: TransportService[service as keyof typeof TransportService] } : {}) };
  }
  if (p.window !== undefined) {
    out.communicationWindow = list(p.window, `${path}.window`).map((w, i) => {
      const f = fields(w, `${path}.window[${i}]`, ['start', 'end']);
      return { start: dateTimeFromText(text(f.start, `${path}.window[${i}].start`), `${path}.window[${i}].start`), end: dateTimeFromText(text(f.end, `${path}.window[${i}].end`), `${path}.window[${i}].end`) };
    });
  }
  if (p.randomisationS !== undefined) out.randomisationStartInterval = integer(p.randomisationS, `${path}.randomisationS`, 0, 65535);
  return out;
}

export function instantFromText(v: unknown, path: string): number {
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw new ParamError(`${path}: expected a date-time such as 2026-01-01T00:00:00Z`);
  return ms;
}

// ---- text forms ----

const PRINTABLE = /^[\x20-\x7e]*$/;

function nameText(b: Uint8Array): string {
  const s = new TextDecoder().decode(b);
  return PRINTABLE.test(s) && !/^0x/i.test(s) ? s : `0x${toHex(b)}`;
}

function nameBytes(v: unknown, path: string): Uint8Array {
  const s = text(v, path);
  if (/^0x([0-9a-f]{2})*$/i.test(s)) return fromHex(s);
  if (!PRINTABLE.test(s)) throw new ParamError(`${path}: printable ASCII or 0x-prefixed hex expected`);
  return new TextEncoder().encode(s);
}

const field = (s: string | undefined, unspecified: number, special: Record<string, number> = {}) =>
  s === undefined ? undefined : s.startsWith('*') ? unspecified : (special[s] ?? Number(s));

function dateFields(m: RegExpExecArray, at: number): CosemDate {
  const year = field(m[at], 0xffff)!, month = field(m[at + 1], 0xff, { DE: 0xfd, DB: 0xfe })!, dayOfMonth = field(m[at + 2], 0xff, { SL: 0xfd, LD: 0xfe })!;
  // The weekday of a full date, so that meters checking it agree; the text forms do not carry it.
  const plain = year !== 0xffff && month <= 12 && dayOfMonth <= 31;
  return { year, month, dayOfMonth, dayOfWeek: plain ? ((((daysFromCivil(year, month, dayOfMonth) + 3) % 7) + 7) % 7) + 1 : 0xff };
}

/** `hh:mm[:ss[.cc]]`: seconds default to 0, hundredths to not specified. */
function timeFields(m: RegExpExecArray, at: number): CosemTime {
  return { hour: field(m[at], 0xff)!, minute: field(m[at + 1], 0xff)!, second: field(m[at + 2], 0xff) ?? 0, hundredths: field(m[at + 3], 0xff) ?? 0xff };
}

const NO_DATE: CosemDate = { year: 0xffff, month: 0xff, dayOfMonth: 0xff, dayOfWeek: 0xff };
const NO_TIME: CosemTime = { hour: 0xff, minute: 0xff, second: 0xff, hundredths: 0xff };

function checked(dt: CosemDateTime, path: string, shape: string): CosemDateTime {
  if (!isValidDateTime(dt)) throw new ParamError(`${path}: out of range (${shape})`);
  return dt;
}

function dateTimeFromText(s: string, path: string): CosemDateTime {
  const shape = 'YYYY-MM-DDThh:mm[:ss[.cc]][Z|±hh:mm], * = not specified';
  const m = new RegExp(`^${DATE_TEXT}T${TIME_TEXT}${OFFSET_TEXT}$`).exec(s);
  if (!m) throw new ParamError(`${path}: expected ${shape}`);
  const off = m[8]; // groups 1–3 the date, 4–7 the time, 8 the offset
  const deviation = off === undefined ? DEVIATION_NOT_SPECIFIED : off === 'Z' ? 0 : -(off[0] === '-' ? -1 : 1) * (Number(off.slice(1, 3)) * 60 + Number(off.slice(4)));
  return checked({ ...dateFields(m, 1), ...timeFields(m, 4), deviation, clockStatus: 0xff }, path, shape);
}

function dateFromText(s: string, path: string): CosemDate {
  const shape = 'YYYY-MM-DD, **** = every year';
  const m = new RegExp(`^${DATE_TEXT}$`).exec(s);
  if (!m) throw new ParamError(`${path}: expected ${shape}`);
  const { year, month, dayOfMonth, dayOfWeek } = checked({ ...dateFields(m, 1), ...NO_TIME, deviation: DEVIATION_NOT_SPECIFIED, clockStatus: 0xff }, path, shape);
  return { year, month, dayOfMonth, dayOfWeek };
}

function timeFromText(s: string, path: string): CosemTime {
  const shape = 'hh:mm[:ss[.cc]]';
  const m = new RegExp(`^${TIME_TEXT}$`).exec(s);
  if (!m) throw new ParamError(`${path}: expected ${shape}`);
  const { hour, minute, second, hundredths } = checked({ ...NO_DATE, ...timeFields(m, 1), deviation: DEVIATION_NOT_SPECIFIED, clockStatus: 0xff }, path, shape);
  return { hour, minute, second, hundredths };
}

// ---- JSON checks ----

function fields(v: unknown, path: string, known: readonly string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ParamError(`${path}: expected an object`);
  const unknown = Object.keys(v).find((k) => !known.includes(k));
  if (unknown !== undefined) throw new ParamError(`${path}.${unknown}: unknown field (expected ${known.join(', ')})`);
  return v as Record<string, unknown>;
}

function list(v: unknown, path: string, max = 255): unknown[] {
  if (!Array.isArray(v)) throw new ParamError(`${path}: expected an array`);
  if (v.length > max) throw new ParamError(`${path}: at most ${max} entries`);
  return v;
}

function text(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new ParamError(`${path}: expected a string`);
  return v;
}

function integer(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ParamError(`${path}: expected an integer ${min}..${max}`);
  return v;
}

function obis(v: unknown, path: string): string {
  try {
    return formatObis(parseObis(text(v, path)));
  } catch (e) {
    if (isDlmsError(e)) throw new ParamError(`${path}: ${e.message}`);
    throw e;
  }
}
