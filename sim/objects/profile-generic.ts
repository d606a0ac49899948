/**
 * Profile Generic (class 7) objects of a simulated meter: load profiles, daily / monthly billing
 * profiles and event journals. No buffer is stored: the rows a request selects are generated from the
 * energy model and the event model for the meter, and only those (selective access by range or by
 * entry picks row times first, then computes the values of those rows).
 *
 * Buffer order is FIFO (sort_method 1): entry 1 is the oldest row kept, entries_in_use the newest.
 */
import { dateTimeToUtcMs } from '../../decoders/dlms/axdr/datetime.js';
import type { DlmsData } from '../../decoders/dlms/axdr/types.js';
import { ActionResult, DataAccessResult, parseProfileAccess, type SelectiveAccess } from '../../decoders/dlms/apdu/index.js';
import { ClassId, codecs, encodeCaptureObject, encodeCaptureObjects, SortMethod, type CaptureObject } from '../../decoders/dlms/cosem/index.js';
import { parseObis } from '../../decoders/dlms/obis.js';
import { EnergyCursor, SLOT_MS, SLOTS_PER_DAY, localSlotOf, outageOf, utcOfSlot } from '../model/energy.js';
import { journalEvents } from '../model/events.js';
import type { Meter } from '../meter.js';
import { energyObis, parseColumn, type CompiledProfile } from '../profiles/profile.js';
import { deviationOf, logicalNameOf, meterDateTime } from './measurements.js';
import { NO_ATTRIBUTE, data, failure, type ObjectContext, type ObjectHandler } from './types.js';

const DAY_MS = 86_400_000;

/** What a kind of profile contributes: its columns, and its rows at a given time. */
interface RowSource {
  captureObjects: CaptureObject[];
  /** Seconds; 0 = asynchronous (journals, monthly billing). */
  capturePeriod: number;
  entries: number;
  /** UTC ms of every row kept at `nowMs`, oldest first. */
  times(m: Meter, nowMs: number): RowTimes;
  /** Values of the rows at `times` (ascending, a subset of times()), without the clock column. */
  values(m: Meter, times: number[], nowMs: number): DlmsData[][];
}

/** Row times, oldest first: only the rows a request selects are listed. */
interface RowTimes {
  readonly length: number;
  /** Rows [start, end) (0-based). */
  slice(start: number, end: number): number[];
  /** Rows with from ≤ time ≤ to. */
  between(fromMs: number, toMs: number): number[];
}

class TimeList implements RowTimes {
  constructor(private readonly list: number[]) {}
  get length(): number {
    return this.list.length;
  }
  slice(start: number, end: number): number[] {
    return this.list.slice(start, end);
  }
  between(fromMs: number, toMs: number): number[] {
    return this.list.filter((t) => t >= fromMs && t <= toMs);
  }
}

/** Evenly spaced rows (a load profile without missing intervals): nothing listed until asked. */
class TimeSeries implements RowTimes {
  constructor(
    private readonly first: number,
    private readonly step: number,
    readonly length: number,
  ) {}
  slice(start: number, end: number): number[] {
    const out: number[] = [];
    for (let i = Math.max(0, start); i < Math.min(end, this.length); i++) out.push(this.first + i * this.step);
    return out;
  }
  between(fromMs: number, toMs: number): number[] {
    return this.slice(Math.ceil((fromMs - this.first) / this.step), Math.floor((toMs - this.first) / this.step) + 1);
  }
}

function clockColumn(p: CompiledProfile): CaptureObject {
  return { classId: ClassId.clock, logicalName: parseObis(p.objects.clock), attributeIndex: 2, dataIndex: 0 };
}

function registerColumn(obis: string): CaptureObject {
  return { classId: ClassId.register, logicalName: parseObis(obis), attributeIndex: 2, dataIndex: 0 };
}

const u32 = (v: number): DlmsData => ({ type: 'double-long-unsigned', value: v });

/** Register values at each instant of `times` (ascending, on slot boundaries) for the given columns. */
function registerRows(m: Meter, columns: readonly [number, number][], times: number[], deltaSlots: number): DlmsData[][] {
  const scale = 10 ** m.profile.energyScaler;
  const cursors: (EnergyCursor | undefined)[] = [];
  const rows: DlmsData[][] = [];
  for (const t of times) {
    const slot = localSlotOf(m.load, t);
    const row: DlmsData[] = [];
    for (const [ch, k] of columns) {
      const c = (cursors[ch] ??= new EnergyCursor(m.load, ch, slot - deltaSlots));
      const offsets = m.offsetsWh[ch]!;
      let v: number;
      if (deltaSlots > 0) {
        c.advanceTo(slot - deltaSlots);
        const before = c.registerWh(k, offsets);
        c.advanceTo(slot);
        v = c.registerWh(k, offsets) - before;
      } else {
        c.advanceTo(slot);
        v = c.registerWh(k, offsets);
      }
      row.push(u32(Math.round(v / scale)));
    }
    rows.push(row);
  }
  return rows;
}

/**
 * The clock column of rows: octet-string(12) date-times (year, month, day, weekday, hour, minute, second,
 * hundredths, deviation, status) in one buffer. Each local day is encoded once; its rows patch hour,
 * minute and second.
 */
function rowStamps(m: Meter, times: number[]): DlmsData[] {
  const all = new Uint8Array(times.length * 12);
  const shift = m.profile.utcOffsetMinutes * 60_000;
  const out: DlmsData[] = [];
  let day = NaN;
  let head: Uint8Array = all;
  for (let r = 0; r < times.length; r++) {
    const t = times[r]!;
    const local = t + shift;
    const d = Math.floor(local / DAY_MS);
    const b = all.subarray(r * 12, r * 12 + 12);
    if (d !== day) {
      day = d;
      head = (codecs.dateTime.encode(meterDateTime(m, d * DAY_MS - shift), 'time') as { value: Uint8Array }).value;
    }
    b.set(head);
    const ms = local - d * DAY_MS;
    b[5] = Math.floor(ms / 3_600_000);
    b[6] = Math.floor(ms / 60_000) % 60;
    b[7] = Math.floor(ms / 1000) % 60;
    b[8] = Math.floor(ms / 10) % 100;
    out.push({ type: 'octet-string', value: b });
  }
  return out;
}

function loadProfile(p: CompiledProfile, i: number): RowSource {
  const spec = p.loadProfiles[i]!;
  const k = spec.period / 900;
  const columns = spec.columns.map(parseColumn);
  return {
    captureObjects: [
      clockColumn(p),
      ...columns.map(([ch, t]) => registerColumn(spec.values === 'delta' ? p.intervalEnergy![(['A+', 'A-', 'R+', 'R-'] as const)[ch]!] : energyObis(p, ch, t))),
    ],
    capturePeriod: spec.period,
    entries: spec.entries,
    times(m, nowMs) {
      const last = Math.floor(localSlotOf(m.load, nowMs) / k) * k;
      const first = Math.max(Math.ceil((m.load.startSlot + k) / k) * k, last - (spec.entries - 1) * k);
      const shift = m.load.utcOffsetMinutes / 15;
      if (!m.load.outages) return new TimeSeries((first - shift) * SLOT_MS, k * SLOT_MS, Math.max(0, (last - first) / k + 1));
      const out: number[] = [];
      // a row is missing when the interval it closes ends in an outage (one outage look-up per day)
      let day = NaN;
      let o: readonly [number, number] | null = null;
      for (let b = first; b <= last; b += k) {
        const d = Math.floor((b - 1) / SLOTS_PER_DAY);
        if (d !== day) o = outageOf(m.load, (day = d));
        const s = b - 1 - d * SLOTS_PER_DAY;
        if (o === null || s < o[0] || s >= o[1]) out.push((b - shift) * SLOT_MS);
      }
      return new TimeList(out);
    },
    values: (m, times) => registerRows(m, columns, times, spec.values === 'delta' ? k : 0),
  };
}

function civilOfDay(day: number): { y: number; mo: number; d: number } {
  const dt = new Date(day * DAY_MS);
  return { y: dt.getUTCFullYear(), mo: dt.getUTCMonth() + 1, d: dt.getUTCDate() };
}

function billingProfile(p: CompiledProfile, i: number): RowSource {
  const spec = p.billing[i]!;
  const columns = spec.columns.map(parseColumn);
  return {
    captureObjects: [clockColumn(p), ...columns.map(([ch, t]) => registerColumn(energyObis(p, ch, t)))],
    capturePeriod: spec.kind === 'daily' ? 86_400 : 0,
    entries: spec.entries,
    times(m, nowMs) {
      const startDay = Math.floor(m.load.startSlot / SLOTS_PER_DAY);
      const today = Math.floor(localSlotOf(m.load, nowMs) / SLOTS_PER_DAY);
      const out: number[] = [];
      for (let d = today; d > startDay && out.length < spec.entries; d--) {
        if (spec.kind === 'monthly' && civilOfDay(d).d !== 1) continue;
        out.push(utcOfSlot(m.load, d * SLOTS_PER_DAY));
      }
      return new TimeList(out.reverse());
    },
    values: (m, times) => registerRows(m, columns, times, 0),
  };
}

function journal(p: CompiledProfile, i: number): RowSource {
  const spec = p.journals[i]!;
  return {
    captureObjects: [clockColumn(p), { classId: ClassId.data, logicalName: parseObis(spec.codeObis), attributeIndex: 2, dataIndex: 0 }],
    capturePeriod: 0,
    entries: spec.entries,
    times: (m, nowMs) => new TimeList(journalEvents(m, i, nowMs).map((e) => e.timeMs)),
    values(m, times, nowMs) {
      const byTime = journalEvents(m, i, nowMs);
      let j = 0;
      return times.map((t) => {
        while (j < byTime.length && byTime[j]!.timeMs < t) j++;
        return [{ type: 'long-unsigned', value: byTime[j]?.code ?? 0 }];
      });
    },
  };
}

function sameColumn(a: CaptureObject, b: CaptureObject): boolean {
  return a.classId === b.classId && a.attributeIndex === b.attributeIndex && a.logicalName.every((x, i) => x === b.logicalName[i]);
}

/** Row times and column indexes a selective access picks, or a Data-Access-Result code. */
function select(src: RowSource, m: Meter, times: RowTimes, access: SelectiveAccess): { times: number[]; columns: number[] } | number {
  const all = src.captureObjects.map((_, i) => i);
  let parsed;
  try {
    parsed = parseProfileAccess(access);
  } catch {
    return DataAccessResult.typeUnmatched;
  }
  if ('range' in parsed) {
    const r = parsed.range;
    if (r.restrictingObject.classId !== ClassId.clock || r.restrictingObject.attributeIndex !== 2) return DataAccessResult.otherReason;
    let from: number | null, to: number | null;
    try {
      const opts = { defaultDeviation: deviationOf(m) };
      from = dateTimeToUtcMs(codecs.dateTime.decode(r.fromValue, 'from_value'), opts);
      to = dateTimeToUtcMs(codecs.dateTime.decode(r.toValue, 'to_value'), opts);
    } catch {
      return DataAccessResult.typeUnmatched;
    }
    if (from === null || to === null) return DataAccessResult.otherReason;
    const columns = r.selectedValues.length ? r.selectedValues.map((s) => src.captureObjects.findIndex((c) => sameColumn(c, s))) : all;
    if (columns.some((c) => c < 0)) return DataAccessResult.otherReason;
    return { times: times.between(from, to), columns };
  }
  if ('entry' in parsed) {
    const e = parsed.entry;
    const lastRow = e.toEntry === 0 ? times.length : Math.min(e.toEntry, times.length);
    const lastCol = e.toSelectedValue === 0 ? all.length : Math.min(e.toSelectedValue, all.length);
    if (e.fromEntry < 1 || e.fromSelectedValue < 1 || e.fromSelectedValue > lastCol) return DataAccessResult.otherReason;
    return { times: times.slice(e.fromEntry - 1, Math.max(e.fromEntry - 1, lastRow)), columns: all.slice(e.fromSelectedValue - 1, lastCol) };
  }
  return DataAccessResult.otherReason;
}

function profileObject(p: CompiledProfile, obis: string, src: RowSource): ObjectHandler {
  const captureObjects = encodeCaptureObjects(src.captureObjects);
  return {
    classId: ClassId.profileGeneric,
    obis,
    logicalName: parseObis(obis),
    writable: [],
    methods: [1, 2],
    selective: [2],
    get(ctx: ObjectContext, attr, access) {
      const m = ctx.meter;
      switch (attr) {
        case 1:
          return data(logicalNameOf(obis));
        case 2: {
          const all = src.times(m, ctx.nowMs);
          const sel = access ? select(src, m, all, access) : { times: all.slice(0, all.length), columns: src.captureObjects.map((_, i) => i) };
          if (typeof sel === 'number') return failure(sel);
          const values = src.values(m, sel.times, ctx.nowMs);
          const stamps = sel.columns.includes(0) ? rowStamps(m, sel.times) : [];
          const rows: DlmsData[] = sel.times.map((_, r) => {
            const v = values[r]!;
            return { type: 'structure', value: sel.columns.map((c) => (c === 0 ? stamps[r]! : v[c - 1]!)) };
          });
          return data({ type: 'array', value: rows });
        }
        case 3:
          return data(captureObjects);
        case 4:
          return data(u32(src.capturePeriod));
        case 5:
          return data({ type: 'enum', value: SortMethod.fifo });
        case 6:
          return data(encodeCaptureObject(clockColumn(p)));
        case 7:
          return data(u32(src.times(m, ctx.nowMs).length));
        case 8:
          return data(u32(src.entries));
      }
      return NO_ATTRIBUTE;
    },
    // the buffer is the meter's history: reset is refused, capture changes nothing generated
    action: (_ctx, method) => ({ result: method === 2 ? ActionResult.success : ActionResult.readWriteDenied }),
  };
}

export function profileObjects(p: CompiledProfile): ObjectHandler[] {
  return [
    ...p.loadProfiles.map((l, i) => profileObject(p, l.obis, loadProfile(p, i))),
    ...p.billing.map((b, i) => profileObject(p, b.obis, billingProfile(p, i))),
    ...p.journals.map((j, i) => profileObject(p, j.obis, journal(p, i))),
  ];
}

/** The last event code of each journal (the journal's event-code Data object). */
export function eventCodeObjects(p: CompiledProfile): ObjectHandler[] {
  return p.journals.map((j, i) => ({
    classId: ClassId.data,
    obis: j.codeObis,
    logicalName: parseObis(j.codeObis),
    writable: [],
    methods: [],
    get(ctx: ObjectContext, attr: number) {
      if (attr === 1) return data(logicalNameOf(j.codeObis));
      if (attr !== 2) return NO_ATTRIBUTE;
      const events = journalEvents(ctx.meter, i, ctx.nowMs);
      return data({ type: 'long-unsigned', value: events.at(-1)?.code ?? 0 });
    },
  }));
}

