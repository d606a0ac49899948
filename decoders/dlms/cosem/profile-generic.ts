/**
 * Profile Generic (interface class 7, version 1): capture objects and the buffer.
 *
 *   capture_objects (attr 3) ::= array capture_object_definition
 *   capture_object_definition ::= structure {
 *     class_id       long-unsigned,
 *     logical_name   octet-string (6),
 *     attribute_index integer,        -- 0 = the whole object
 *     data_index     long-unsigned }  -- 0 = the whole attribute
 *   buffer (attr 2) ::= array structure { one Data per capture object, in capture-object order }
 *
 * A row's timestamp is the value of the clock column (class 8, attribute 2) as date-time [25] or
 * octet-string (SIZE(12)). Compressed profiles send null-data instead of a timestamp on rows whose
 * time follows from the previous row: timestamp = previous + capture_period (attr 4, seconds).
 * Numeric columns may be any integer, float, enum, bcd or boolean type and change type from row to
 * row; null-data means "no value".
 *
 * Two decoders share those rules:
 * - `decodeProfileBuffer`: the fast path. A `RowLayout` compiled once from the capture objects decodes
 *   the buffer's bytes straight into reusable columnar arrays (UTC ms timestamps, clock status, one
 *   Float64Array per value column with scalers applied) without allocating per value.
 * - `profileRowsFromData`: row objects from an already decoded buffer Data, for any column types.
 */
import { DlmsError } from '../errors.js';
import { Reader } from '../axdr/reader.js';
import { dataToNumber, decodeData } from '../axdr/data.js';
import { civilDay, decodeDateTime, dateTimeToUtcMs, DEVIATION_NOT_SPECIFIED, timeOfDayMs } from '../axdr/datetime.js';
import { DataTag, type CosemDateTime, type DlmsData } from '../axdr/types.js';
import { applyScaler, type ScalerUnit } from '../units.js';

export const PROFILE_GENERIC_CLASS_ID = 7;
export const CLOCK_CLASS_ID = 8;

export const ProfileGenericAttribute = {
  logicalName: 1,
  buffer: 2,
  captureObjects: 3,
  capturePeriod: 4,
  sortMethod: 5,
  sortObject: 6,
  entriesInUse: 7,
  profileEntries: 8,
} as const;

export const ProfileGenericMethod = { reset: 1, capture: 2 } as const;

/** sort_method (attr 5). */
export const SortMethod = { fifo: 1, lifo: 2, largest: 3, smallest: 4, nearestToZero: 5, farthestFromZero: 6 } as const;

export interface CaptureObject {
  classId: number;
  /** 6-byte OBIS code. */
  logicalName: Uint8Array;
  attributeIndex: number;
  dataIndex: number;
}

function invalid(what: string): never {
  throw new DlmsError('DLMS_ERR_VALUE', what);
}

function captureObjectFromData(d: DlmsData, i: number): CaptureObject {
  if (d.type !== 'structure' || d.value.length !== 4) invalid(`capture object ${i}: expected structure of 4, got ${d.type}`);
  const [c, ln, a, di] = d.value as [DlmsData, DlmsData, DlmsData, DlmsData];
  if (c.type !== 'long-unsigned') invalid(`capture object ${i}: class_id is ${c.type}, expected long-unsigned`);
  if (ln.type !== 'octet-string' || ln.value.length !== 6) invalid(`capture object ${i}: logical_name is not an octet-string of 6`);
  if (a.type !== 'integer') invalid(`capture object ${i}: attribute_index is ${a.type}, expected integer`);
  if (di.type !== 'long-unsigned') invalid(`capture object ${i}: data_index is ${di.type}, expected long-unsigned`);
  return { classId: c.value, logicalName: ln.value, attributeIndex: a.value, dataIndex: di.value };
}

/** capture_objects (attr 3) from its Data value. */
export function decodeCaptureObjects(d: DlmsData): CaptureObject[] {
  if (d.type !== 'array') invalid(`capture_objects: expected array, got ${d.type}`);
  return d.value.map(captureObjectFromData);
}

export function encodeCaptureObject(o: CaptureObject): DlmsData {
  if (o.logicalName.length !== 6) throw new DlmsError('DLMS_ERR_ENCODE', `capture object logical name has ${o.logicalName.length} bytes, expected 6`);
  return {
    type: 'structure',
    value: [
      { type: 'long-unsigned', value: o.classId },
      { type: 'octet-string', value: o.logicalName },
      { type: 'integer', value: o.attributeIndex },
      { type: 'long-unsigned', value: o.dataIndex },
    ],
  };
}

export function encodeCaptureObjects(list: readonly CaptureObject[]): DlmsData {
  return { type: 'array', value: list.map(encodeCaptureObject) };
}

/**
 * Selective access to the buffer by range (access selector 1): rows whose `restricting` column value
 * lies in [from, to]; `selected` empty = all columns.
 */
export function rangeDescriptor(restricting: CaptureObject, from: DlmsData, to: DlmsData, selected: readonly CaptureObject[] = []): DlmsData {
  return { type: 'structure', value: [encodeCaptureObject(restricting), from, to, encodeCaptureObjects(selected)] };
}

/** Selective access by entry (access selector 2): rows and columns are 1-based, 0 as `toEntry`/`toValue` = last. */
export function entryDescriptor(fromEntry: number, toEntry: number, fromValue = 1, toValue = 0): DlmsData {
  return {
    type: 'structure',
    value: [
      { type: 'double-long-unsigned', value: fromEntry },
      { type: 'double-long-unsigned', value: toEntry },
      { type: 'long-unsigned', value: fromValue },
      { type: 'long-unsigned', value: toValue },
    ],
  };
}

export const AccessSelector = { range: 1, entry: 2 } as const;

export interface RowLayoutOptions {
  /** Capture-object index of the timestamp; default: the first clock time (class 8, attribute 2), -1 for none. */
  timestampColumn?: number;
  /** scaler_unit per capture object (by capture-object index); missing = no scaling. */
  scalerUnits?: readonly (ScalerUnit | null | undefined)[];
  /** capture_period in seconds, for null-data timestamps of compressed profiles (0 = unknown). */
  capturePeriod?: number;
  /** Deviation for date-times whose deviation is not specified (standard sign). */
  defaultDeviation?: number;
  deviationSign?: 'standard' | 'inverted';
}

/** A compiled row shape: which column is the timestamp and how each value column is scaled. */
export interface RowLayout {
  readonly columns: number;
  /** Capture-object index of the timestamp, or -1. */
  readonly timestampColumn: number;
  /** Capture-object index of each value column, in output order. */
  readonly valueColumns: readonly number[];
  /** Per capture object: the factor (10^scaler when scaler ≥ 0, else 1) and divisor (10^-scaler or 1). */
  readonly scaleMul: Float64Array;
  readonly scaleDiv: Float64Array;
  /** Per capture object: the scaler as given (for the generic path). */
  readonly scalers: Int8Array;
  readonly capturePeriodMs: number;
  /** Minutes, or NaN when not given. */
  readonly defaultDeviation: number;
  /** +1 standard, -1 inverted. */
  readonly deviationSign: number;
}

export function compileRowLayout(captureObjects: readonly CaptureObject[], opts: RowLayoutOptions = {}): RowLayout {
  const columns = captureObjects.length;
  const ts = opts.timestampColumn ?? captureObjects.findIndex((o) => o.classId === CLOCK_CLASS_ID && o.attributeIndex === 2);
  if (!Number.isInteger(ts) || ts < -1 || ts >= columns) throw new DlmsError('DLMS_ERR_VALUE', `timestamp column ${ts} is not one of ${columns} columns`);
  const scaleMul = new Float64Array(columns).fill(1);
  const scaleDiv = new Float64Array(columns).fill(1);
  const scalers = new Int8Array(columns);
  const valueColumns: number[] = [];
  for (let c = 0; c < columns; c++) {
    if (c !== ts) valueColumns.push(c);
    const s = opts.scalerUnits?.[c]?.scaler ?? 0;
    if (!Number.isInteger(s) || s < -128 || s > 127) throw new DlmsError('DLMS_ERR_VALUE', `scaler ${s} of column ${c} is not an integer`);
    scalers[c] = s;
    if (s >= 0) scaleMul[c] = applyScaler(1, s);
    else scaleDiv[c] = applyScaler(1, -s);
  }
  const period = opts.capturePeriod ?? 0;
  return {
    columns,
    timestampColumn: ts,
    valueColumns,
    scaleMul,
    scaleDiv,
    scalers,
    capturePeriodMs: period > 0 ? period * 1000 : 0,
    defaultDeviation: opts.defaultDeviation ?? NaN,
    deviationSign: opts.deviationSign === 'inverted' ? -1 : 1,
  };
}

/** Decoded rows in columns. Arrays may be longer than `count` (they are reused); read only [0, count). */
export interface ProfileRows {
  count: number;
  /** UTC ms; NaN when the row has no full date-time and none follows from the previous row. */
  timestamps: Float64Array;
  /** Clock status of the timestamp; 0xFF when not specified or not sent. */
  clockStatus: Uint8Array;
  /** One column per `layout.valueColumns` entry; NaN for null-data or a non-numeric value. */
  values: Float64Array[];
}

export function createProfileRows(layout: RowLayout, capacity = 0): ProfileRows {
  return {
    count: 0,
    timestamps: new Float64Array(capacity),
    clockStatus: new Uint8Array(capacity),
    values: layout.valueColumns.map(() => new Float64Array(capacity)),
  };
}

function truncated(what: string, at: number, end: number, n: number): DlmsError {
  return new DlmsError('DLMS_ERR_TRUNCATED', `expected ${what} (${n} bytes), ${Math.max(0, end - at)} left`, at);
}

/**
 * Decode a Profile Generic buffer (`b[start]` is the array tag) into `out` (grown when too small).
 * Throws on a non-array, a row that is not a structure of `layout.columns` elements, truncation or a
 * malformed cell; well-formed cells that are not numbers (strings, structures) become NaN.
 */
export function decodeProfileBuffer(layout: RowLayout, b: Uint8Array, start = 0, end = b.length, out?: ProfileRows): ProfileRows {
  if (end > b.length || start < 0 || start > end) throw new DlmsError('DLMS_ERR_LENGTH', `invalid range ${start}..${end} of ${b.length} bytes`);
  const r = new Reader(b, start, end);
  const columns = layout.columns;
  const tsCol = layout.timestampColumn;
  const { scaleMul, scaleDiv, capturePeriodMs, defaultDeviation, deviationSign } = layout;
  const tag = r.u8('buffer tag');
  if (tag !== DataTag.array) throw new DlmsError('DLMS_ERR_TAG', `buffer: expected array (1), got tag ${tag}`, start);
  const countAt = r.pos;
  const n = r.length('buffer entries');
  // Every row is at least its structure tag, a length byte and one byte per column.
  if (n * (2 + columns) > end - r.pos) throw new DlmsError('DLMS_ERR_LENGTH', `${n} rows of ${columns} columns cannot fit in ${end - r.pos} bytes`, countAt);
  const rows = out ?? createProfileRows(layout, n);
  if (rows.timestamps.length < n || rows.values.length !== layout.valueColumns.length) {
    rows.timestamps = new Float64Array(n);
    rows.clockStatus = new Uint8Array(n);
    rows.values = layout.valueColumns.map(() => new Float64Array(n));
  }
  const { timestamps, clockStatus, values } = rows;
  // Output slot per capture object (-1 = timestamp column).
  const slot = new Int32Array(columns);
  for (let v = 0; v < layout.valueColumns.length; v++) slot[layout.valueColumns[v]!] = v;
  if (tsCol >= 0) slot[tsCol] = -1;

  let dv: DataView | undefined;
  // Day cache: a profile's rows share few days, and days-from-civil is the costliest step.
  let dayKey = -1;
  let dayMs = 0;
  let prevTs = NaN;
  let p = r.pos;

  for (let i = 0; i < n; i++) {
    if (p + 2 > end) throw truncated('row structure', p, end, 2);
    if (b[p] !== DataTag.structure) throw new DlmsError('DLMS_ERR_TAG', `row ${i}: expected structure (2), got tag ${b[p]}`, p);
    let cols = b[p + 1]!;
    if (cols >= 0x80) {
      r.pos = p + 1;
      cols = r.length('row element count');
      p = r.pos;
    } else p += 2;
    if (cols !== columns) throw new DlmsError('DLMS_ERR_VALUE', `row ${i}: ${cols} elements, the capture objects define ${columns}`, p - 1);
    let ts = NaN;
    let status = 0xff;
    for (let c = 0; c < columns; c++) {
      if (p >= end) throw truncated('data tag', p, end, 1);
      const t = b[p]!;
      const at = p;
      p++;
      let x: number;
      let dtStatus = -1; // clock status when the cell is a date-time
      switch (t) {
        case DataTag.doubleLongUnsigned:
          if (p + 4 > end) throw truncated('double-long-unsigned', p, end, 4);
          x = b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
          p += 4;
          break;
        case DataTag.doubleLong:
          if (p + 4 > end) throw truncated('double-long', p, end, 4);
          x = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
          p += 4;
          break;
        case DataTag.unsigned:
        case DataTag.enum:
        case DataTag.boolean:
          if (p >= end) throw truncated('unsigned', p, end, 1);
          x = b[p++]!;
          if (t === DataTag.boolean && x !== 0) x = 1;
          break;
        case DataTag.integer:
          if (p >= end) throw truncated('integer', p, end, 1);
          x = (b[p++]! << 24) >> 24;
          break;
        case DataTag.longUnsigned:
          if (p + 2 > end) throw truncated('long-unsigned', p, end, 2);
          x = (b[p]! << 8) | b[p + 1]!;
          p += 2;
          break;
        case DataTag.long:
          if (p + 2 > end) throw truncated('long', p, end, 2);
          x = (((b[p]! << 8) | b[p + 1]!) << 16) >> 16;
          p += 2;
          break;
        case DataTag.long64:
        case DataTag.long64Unsigned:
          if (p + 8 > end) throw truncated('long64', p, end, 8);
          x = (t === DataTag.long64 ? (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]! : b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!)) * 0x100000000 +
            (b[p + 4]! * 0x1000000 + ((b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!));
          p += 8;
          break;
        case DataTag.floatingPoint:
        case DataTag.float32:
          if (p + 4 > end) throw truncated('float32', p, end, 4);
          x = (dv ??= new DataView(b.buffer, b.byteOffset, b.byteLength)).getFloat32(p, false);
          p += 4;
          break;
        case DataTag.float64:
          if (p + 8 > end) throw truncated('float64', p, end, 8);
          x = (dv ??= new DataView(b.buffer, b.byteOffset, b.byteLength)).getFloat64(p, false);
          p += 8;
          break;
        case DataTag.bcd: {
          if (p >= end) throw truncated('bcd', p, end, 1);
          const v = b[p++]!;
          if ((v >> 4) > 9 || (v & 15) > 9) throw new DlmsError('DLMS_ERR_VALUE', `bcd 0x${v.toString(16)} has a non-decimal digit`, p - 1);
          x = (v >> 4) * 10 + (v & 15);
          break;
        }
        case DataTag.nullData:
          x = NaN;
          break;
        case DataTag.octetString:
        case DataTag.dateTime:
          if (t === DataTag.dateTime || (p < end && b[p] === 12)) {
            if (t === DataTag.octetString) p++;
            if (p + 12 > end) throw truncated('date-time', p, end, 12);
            // The date-time straight from the bytes (no CosemDateTime per row), by dateTimeToUtcMs's rules.
            const year = (b[p]! << 8) | b[p + 1]!;
            const month = b[p + 2]!;
            const day = b[p + 3]!;
            let dev = (((b[p + 9]! << 8) | b[p + 10]!) << 16) >> 16;
            if (dev === DEVIATION_NOT_SPECIFIED) dev = defaultDeviation;
            const key = year * 65536 + month * 256 + day;
            if (key !== dayKey) {
              dayKey = key;
              dayMs = civilDay(year, month, day) * 86400000;
            }
            x = dayMs + timeOfDayMs(b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!) + deviationSign * dev * 60000;
            dtStatus = b[p + 11]!;
            p += 12;
            break;
          }
          p = skipData(r, at);
          x = NaN;
          break;
        default:
          p = skipData(r, at);
          x = NaN;
      }
      const s = slot[c]!;
      if (s >= 0) values[s]![i] = (x * scaleMul[c]!) / scaleDiv[c]!;
      else if (dtStatus >= 0) {
        ts = x;
        status = dtStatus;
      } else if (t === DataTag.nullData && capturePeriodMs > 0) ts = prevTs + capturePeriodMs;
    }
    timestamps[i] = ts;
    clockStatus[i] = status;
    prevTs = ts;
  }
  rows.count = n;
  r.pos = p;
  r.done('end of buffer');
  return rows;
}

/** The number of rows of an encoded buffer (attribute 2), or -1 when the Data is not an array. */
export function bufferEntryCount(data: Uint8Array): number {
  if (data[0] !== DataTag.array) return -1;
  const r = new Reader(data, 1);
  return r.length('buffer entries');
}

/** Step over one Data value (rare cells the fast path does not convert); returns the position after it. */
function skipData(r: Reader, at: number): number {
  r.pos = at;
  decodeData(r, 2);
  return r.pos;
}

export interface ProfileRow {
  /** UTC ms of the timestamp column; null when absent, not a full date-time, or not derivable. */
  timestamp: number | null;
  /** Clock status of the timestamp, or null when not sent. */
  clockStatus: number | null;
  /** Every column as decoded, timestamp included. */
  data: DlmsData[];
  /** Per `layout.valueColumns` entry: the scaled number (date-times as UTC ms), or null. */
  values: (number | null)[];
}

/** The date-time of a cell sent as date-time or as octet-string(12), else null. */
export function dateTimeOf(d: DlmsData): CosemDateTime | null {
  if (d.type === 'date-time') return d.value;
  if (d.type === 'octet-string' && d.value.length === 12) return decodeDateTime(d.value);
  return null;
}

/** Row objects from a decoded buffer (attr 2) value; same rules as the fast path, any column types. */
export function profileRowsFromData(buffer: DlmsData, layout: RowLayout): ProfileRow[] {
  if (buffer.type !== 'array') invalid(`buffer: expected array, got ${buffer.type}`);
  const dtOpts = {
    deviationSign: layout.deviationSign < 0 ? ('inverted' as const) : ('standard' as const),
    ...(Number.isNaN(layout.defaultDeviation) ? {} : { defaultDeviation: layout.defaultDeviation }),
  };
  const toNumber = (d: DlmsData): number | null => {
    const dt = dateTimeOf(d);
    return dt ? dateTimeToUtcMs(dt, dtOpts) : dataToNumber(d);
  };
  let prev: number | null = null;
  return buffer.value.map((row, i) => {
    if (row.type !== 'structure' || row.value.length !== layout.columns) {
      invalid(`row ${i}: expected structure of ${layout.columns}, got ${row.type} of ${'value' in row && Array.isArray(row.value) ? row.value.length : 0}`);
    }
    const cells = row.value;
    let timestamp: number | null = null;
    let clockStatus: number | null = null;
    if (layout.timestampColumn >= 0) {
      const cell = cells[layout.timestampColumn]!;
      if (cell.type === 'null-data') timestamp = prev !== null && layout.capturePeriodMs > 0 ? prev + layout.capturePeriodMs : null;
      else {
        const dt = dateTimeOf(cell);
        timestamp = dt ? dateTimeToUtcMs(dt, dtOpts) : null;
        clockStatus = dt ? dt.clockStatus : null;
      }
    }
    prev = timestamp;
    const values = layout.valueColumns.map((c) => {
      const v = toNumber(cells[c]!);
      return v === null ? null : applyScaler(v, layout.scalers[c]!);
    });
    return { timestamp, clockStatus, data: cells, values };
  });
}
