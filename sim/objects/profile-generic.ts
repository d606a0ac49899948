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
import { EnergyCursor, SLOTS_PER_DAY, inOutage, localSlotOf, utcOfSlot } from '../model/energy.js';
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
  times(m: Meter, nowMs: number): number[];
  /** Values of the rows at `times` (ascending, a subset of times()), without the clock column. */
  values(m: Meter, times: number[], nowMs: number): DlmsData[][];
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
  const cursors = new Map<number, EnergyCursor>();
  const rows: DlmsData[][] = [];
  for (const t of times) {
    const slot = localSlotOf(m.load, t);
    const row: DlmsData[] = [];
    for (const [ch, k] of columns) {
      let c = cursors.get(ch);
      if (!c) cursors.set(ch, (c = new EnergyCursor(m.load, ch, slot - deltaSlots)));
      let v: number;
      if (deltaSlots > 0) {
        c.advanceTo(slot - deltaSlots);
        const before = c.registerWh(k, m.offsetsWh[ch]!);
        c.advanceTo(slot);
        v = c.registerWh(k, m.offsetsWh[ch]!) - before;
      } else {
        c.advanceTo(slot);
        v = c.registerWh(k, m.offsetsWh[ch]!);
      }
      row.push(u32(Math.round(v / scale)));
    }
    rows.push(row);
  }
  return rows;
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
      const out: number[] = [];
      for (let b = first; b <= last; b += k) if (!inOutage(m.load, b - 1)) out.push(utcOfSlot(m.load, b));
      return out;
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
      return out.reverse();
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
    times: (m, nowMs) => journalEvents(m, i, nowMs).map((e) => e.timeMs),
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
function select(src: RowSource, m: Meter, times: number[], access: SelectiveAccess): { times: number[]; columns: number[] } | number {
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
    return { times: times.filter((t) => t >= from && t <= to), columns };
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
          const sel = access ? select(src, m, all, access) : { times: all, columns: src.captureObjects.map((_, i) => i) };
          if (typeof sel === 'number') return failure(sel);
          const values = src.values(m, sel.times, ctx.nowMs);
          const rows: DlmsData[] = sel.times.map((t, r) => {
            const full: DlmsData[] = [codecs.dateTime.encode(meterDateTime(m, t), 'time'), ...values[r]!];
            return { type: 'structure', value: sel.columns.map((c) => full[c]!) };
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

