/**
 * Data records of the EN 13757-3 application layer (variable data structure, mode 1: LSB first):
 *
 *   record  = DIB VIB data
 *   DIB     = DIF *10DIFE
 *   DIF     = E(7) S(6) F F(5-4) D D D D(3-0)     E extension, S storage number bit 0,
 *                                                 F function (instantaneous, maximum, minimum, error),
 *                                                 D data field (below)
 *   DIFE    = E(7) U(6) T T(5-4) S S S S(3-0)     subunit, tariff and storage bits, least significant first
 *   VIB     = VIF *10VIFE                          VIF 0xFD / 0xFB: the first VIFE is the true VIF from
 *                                                 table FD / FB; 0x7C / 0xFC: plain-text unit, given as
 *                                                 length + ASCII (reversed) after the VIFEs; 0x7F / 0xFF:
 *                                                 manufacturer specific; later VIFEs are combinable (Table 15)
 *   data field D:  0 none, 1/2/3/4/6/7 signed integer of 1/2/3/4/6/8 bytes, 5 real (IEEE 754, 4 bytes),
 *                  8 selection for readout (none), 9/A/B/C/E BCD of 2/4/6/8/12 digits (a high nibble F
 *                  in the last byte is a minus sign), D variable length (LVAR below)
 *   LVAR           0x00-0xBF text of LVAR bytes (reversed), 0xC0-0xC9 / 0xD0-0xD9 positive / negative BCD
 *                  of 2 (LVAR & 0x0F) digits, 0xE0-0xEF binary of LVAR & 0x0F bytes, 0xF0-0xF4 binary of
 *                  4 (LVAR - 0xEC) bytes, 0xF5 48 bytes, 0xF6 64 bytes
 *   special DIF    0x0F / 0x1F manufacturer-specific data to the end (0x1F: more records follow in the
 *                  next telegram), 0x2F idle filler, 0x7F global readout request
 *
 * Records land in a `Records` table (one typed array per field, reused across telegrams): the decoder
 * allocates nothing per record. Byte positions index the payload the table was filled from.
 */
import { MbusError } from './errors.js';
import { dateG, dateTimeF, dateTimeI, timeJ } from './datetime.js';
import { QUANTITIES, QUANTITY_MANUFACTURER, QUANTITY_PLAIN_TEXT, VIF_FB, VIF_FD, VIF_PRIMARY, type VifTable } from './tables.js';

/** How a record's value is held. */
export const enum ValueKind {
  /** No data (data field 0 or 8). */
  None = 0,
  /** `value` is the number; the physical value is value × 10^exponent. NaN when the BCD was not a number. */
  Number = 1,
  /** `value` is local ms (Date.UTC of the meter's fields), NaN when invalid. */
  Date = 2,
  DateTime = 3,
  /** `value` is ms since local midnight. */
  Time = 4,
  /** Text: the bytes `dataStart..dataEnd`, transmitted last character first. */
  Text = 5,
  /** Raw bytes `dataStart..dataEnd` (long binary, manufacturer-specific data). */
  Bytes = 6,
}

export const MAX_DIFE = 10;
export const MAX_VIFE = 10;

/** Sizes of the fixed-length data fields 0..0xE (0xD variable, 0xF special). */
const DATA_SIZE = [0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, -1, 6, -1];


/** Records of one telegram, field by field. Grows when needed; `reset` keeps the arrays. */
export class Records {
  count = 0;
  /** The plaintext bytes the positions below index. */
  payload: Uint8Array = new Uint8Array(0);
  /** Manufacturer-specific data after DIF 0x0F / 0x1F: `mfrStart..payload end`, -1 when none. */
  manufacturerDataStart = -1;
  /** DIF 0x1F was seen: the meter has more records for a further request. */
  moreRecordsFollow = false;

  recordStart!: Uint16Array;
  /** First VIF byte; the DIB is `recordStart..vibStart`. */
  vibStart!: Uint16Array;
  dataStart!: Uint16Array;
  dataEnd!: Uint16Array;
  /** The plain-text unit, when the VIF is 0x7C / 0xFC: `textStart..textStart + textLength` (reversed). */
  textStart!: Uint16Array;
  textLength!: Uint8Array;
  dif!: Uint8Array;
  storage!: Float64Array;
  tariff!: Uint32Array;
  subunit!: Uint16Array;
  /** Function field 0..3 (instantaneous, maximum, minimum, error). */
  func!: Uint8Array;
  /** Index into QUANTITIES. */
  quantity!: Uint8Array;
  /** Index into UNITS. */
  unit!: Uint8Array;
  exponent!: Int8Array;
  /** The VIF (0x7F masked) and, for tables FD/FB, the true code with 0x100 / 0x200 added. */
  vifCode!: Uint16Array;
  /** Combinable VIFEs 0x20..0x3F seen (bit code - 0x20). */
  vifeMask!: Uint32Array;
  /** Record error code from a VIFE 0x00..0x1F, 0xFF when none. */
  recordError!: Uint8Array;
  kind!: Uint8Array;
  value!: Float64Array;
  /** 1: VIFE 0xFF (manufacturer-specific VIFEs/data), 2: summer time flag of a date-time. */
  flags!: Uint8Array;
  private capacity = 0;

  constructor(capacity = 32) {
    this.allocate(capacity);
  }

  reset(payload: Uint8Array): void {
    this.count = 0;
    this.payload = payload;
    this.manufacturerDataStart = -1;
    this.moreRecordsFollow = false;
  }

  private allocate(n: number): void {
    const old = this.capacity > 0 ? this.snapshot() : undefined;
    this.capacity = n;
    this.recordStart = grow(old?.recordStart, new Uint16Array(n));
    this.vibStart = grow(old?.vibStart, new Uint16Array(n));
    this.dataStart = grow(old?.dataStart, new Uint16Array(n));
    this.dataEnd = grow(old?.dataEnd, new Uint16Array(n));
    this.textStart = grow(old?.textStart, new Uint16Array(n));
    this.textLength = grow(old?.textLength, new Uint8Array(n));
    this.dif = grow(old?.dif, new Uint8Array(n));
    this.storage = grow(old?.storage, new Float64Array(n));
    this.tariff = grow(old?.tariff, new Uint32Array(n));
    this.subunit = grow(old?.subunit, new Uint16Array(n));
    this.func = grow(old?.func, new Uint8Array(n));
    this.quantity = grow(old?.quantity, new Uint8Array(n));
    this.unit = grow(old?.unit, new Uint8Array(n));
    this.exponent = grow(old?.exponent, new Int8Array(n));
    this.vifCode = grow(old?.vifCode, new Uint16Array(n));
    this.vifeMask = grow(old?.vifeMask, new Uint32Array(n));
    this.recordError = grow(old?.recordError, new Uint8Array(n));
    this.kind = grow(old?.kind, new Uint8Array(n));
    this.value = grow(old?.value, new Float64Array(n));
    this.flags = grow(old?.flags, new Uint8Array(n));
  }

  private snapshot() {
    const { recordStart, vibStart, dataStart, dataEnd, textStart, textLength, dif, storage, tariff, subunit, func, quantity, unit, exponent, vifCode, vifeMask, recordError, kind, value, flags } = this;
    return { recordStart, vibStart, dataStart, dataEnd, textStart, textLength, dif, storage, tariff, subunit, func, quantity, unit, exponent, vifCode, vifeMask, recordError, kind, value, flags };
  }

  /** Index of a new record; grows the arrays when full. */
  next(): number {
    if (this.count === this.capacity) this.allocate(this.capacity * 2);
    return this.count++;
  }

  /** The physical value of record `i` (value × 10^exponent), exact for decimal values. */
  scaled(i: number): number {
    const v = this.value[i]!;
    const e = this.exponent[i]!;
    return e >= 0 ? v * 10 ** e : v / 10 ** -e;
  }
}

function grow<T extends { set(a: ArrayLike<number>): void }>(old: T | undefined, fresh: T): T {
  if (old) fresh.set(old as unknown as ArrayLike<number>);
  return fresh;
}

/**
 * Decodes the records of `payload[start..end)` into `out` (reset first). Throws MbusError for a record
 * that does not parse; a record whose VIF is unknown is kept (quantity "unknown", raw bytes) rather than
 * failing the telegram.
 */
export function decodeRecords(payload: Uint8Array, start: number, end: number, out: Records): Records {
  out.reset(payload);
  if (end > payload.length) end = payload.length;
  let p = start;
  while (p < end) {
    const dif = payload[p]!;
    if (dif === 0x2f) {
      p++;
      continue;
    }
    if (dif === 0x0f || dif === 0x1f) {
      out.manufacturerDataStart = p + 1;
      out.moreRecordsFollow = dif === 0x1f;
      return out;
    }
    if ((dif & 0x0f) === 0x0f) {
      if (dif === 0x7f) throw new MbusError('MBUS_ERR_RECORD', 'a global readout request (DIF 0x7F) is not a data record', p);
      throw new MbusError('MBUS_ERR_RECORD', `reserved special DIF 0x${dif.toString(16)}`, p);
    }
    const i = out.next();
    out.recordStart[i] = p;
    out.dif[i] = dif;
    out.func[i] = (dif >> 4) & 3;
    let storage = (dif >> 6) & 1;
    let tariff = 0;
    let subunit = 0;
    p++;
    let ext = dif & 0x80;
    for (let n = 0; ext; n++) {
      if (n === MAX_DIFE) throw new MbusError('MBUS_ERR_RECORD', `more than ${MAX_DIFE} DIFEs`, p);
      if (p >= end) throw new MbusError('MBUS_ERR_TRUNCATED', 'telegram ends inside a DIB', p);
      const dife = payload[p++]!;
      storage += (dife & 0x0f) * 2 ** (1 + 4 * n);
      tariff |= ((dife >> 4) & 3) << (2 * n);
      subunit |= ((dife >> 6) & 1) << n;
      ext = dife & 0x80;
    }
    out.storage[i] = storage;
    out.tariff[i] = tariff >>> 0;
    out.subunit[i] = subunit;
    if (p >= end) throw new MbusError('MBUS_ERR_TRUNCATED', 'telegram ends before the VIF', p);
    out.vibStart[i] = p;
    p = decodeVib(payload, p, end, out, i);
    p = decodeData(payload, p, end, out, i);
  }
  return out;
}

/** Reads the VIB of record `i` at `p`; returns the position after it (and after a plain-text unit). */
function decodeVib(b: Uint8Array, p: number, end: number, out: Records, i: number): number {
  const vif = b[p++]!;
  const code = vif & 0x7f;
  let quantity = 0;
  let unit = 0;
  let exponent = 0;
  let vifCode = code;
  let mask = 0;
  let recordError = 0xff;
  let flags = 0;
  let ext = vif & 0x80;
  let vifes = 0;
  let manufacturer = false;
  if (code === 0x7d || code === 0x7b) {
    if (!ext) throw new MbusError('MBUS_ERR_RECORD', `VIF 0x${vif.toString(16)} without the VIFE it announces`, p - 1);
    if (p >= end) throw new MbusError('MBUS_ERR_TRUNCATED', 'telegram ends inside a VIB', p);
    const v = b[p++]!;
    vifes++;
    ext = v & 0x80;
    const c = v & 0x7f;
    const table: VifTable = code === 0x7d ? VIF_FD : VIF_FB;
    vifCode = c | (code === 0x7d ? 0x100 : 0x200);
    quantity = table.quantity[c]!;
    unit = table.unit[c]!;
    exponent = table.exponent[c]!;
  } else if (code === 0x7c) {
    quantity = QUANTITY_PLAIN_TEXT;
  } else {
    quantity = VIF_PRIMARY.quantity[code]!;
    unit = VIF_PRIMARY.unit[code]!;
    exponent = VIF_PRIMARY.exponent[code]!;
    manufacturer = quantity === QUANTITY_MANUFACTURER;
  }
  // Combinable VIFEs; after 0xFF (manufacturer specific) the rest are the manufacturer's.
  while (ext) {
    if (vifes++ === MAX_VIFE) throw new MbusError('MBUS_ERR_RECORD', `more than ${MAX_VIFE} VIFEs`, p);
    if (p >= end) throw new MbusError('MBUS_ERR_TRUNCATED', 'telegram ends inside a VIB', p);
    const v = b[p++]!;
    ext = v & 0x80;
    const c = v & 0x7f;
    if (manufacturer) continue;
    if (c === 0x7f) {
      manufacturer = true;
      flags |= 1;
    } else if (c < 0x20) recordError = c;
    else if (c < 0x40) mask |= 1 << (c - 0x20);
    else if (c >= 0x70 && c <= 0x77) exponent += c - 0x70 - 6;
    else if (c === 0x7d) exponent += 3;
  }
  if (code === 0x7c) {
    if (p >= end) throw new MbusError('MBUS_ERR_TRUNCATED', 'telegram ends before the plain-text unit', p);
    const n = b[p]!;
    if (p + 1 + n > end) throw new MbusError('MBUS_ERR_TRUNCATED', `plain-text unit of ${n} bytes runs past the telegram`, p);
    out.textStart[i] = p + 1;
    out.textLength[i] = n;
    p += 1 + n;
  } else out.textLength[i] = 0;
  out.quantity[i] = quantity;
  out.unit[i] = unit;
  out.exponent[i] = exponent;
  out.vifCode[i] = vifCode;
  out.vifeMask[i] = mask >>> 0;
  out.recordError[i] = recordError;
  out.flags[i] = flags;
  return p;
}

/** Reads the data of record `i` at `p` by its DIF; returns the position after it. */
function decodeData(b: Uint8Array, p: number, end: number, out: Records, i: number): number {
  const field = out.dif[i]! & 0x0f;
  let size = DATA_SIZE[field]!;
  out.dataStart[i] = p;
  if (field === 0x0d) {
    if (p >= end) throw new MbusError('MBUS_ERR_TRUNCATED', 'telegram ends before the LVAR byte', p);
    const lvar = b[p++]!;
    out.dataStart[i] = p;
    if (lvar <= 0xbf) {
      size = lvar;
      need(p, size, end);
      out.kind[i] = ValueKind.Text;
      out.value[i] = NaN;
    } else if (lvar >= 0xc0 && lvar <= 0xc9) {
      size = lvar - 0xc0;
      need(p, size, end);
      out.kind[i] = ValueKind.Number;
      out.value[i] = bcd(b, p, size, false);
    } else if (lvar >= 0xd0 && lvar <= 0xd9) {
      size = lvar - 0xd0;
      need(p, size, end);
      out.kind[i] = ValueKind.Number;
      out.value[i] = -bcd(b, p, size, false);
    } else if (lvar >= 0xe0 && lvar <= 0xef) {
      size = lvar - 0xe0;
      need(p, size, end);
      if (size <= 6) {
        out.kind[i] = ValueKind.Number;
        out.value[i] = unsigned(b, p, size);
      } else {
        out.kind[i] = ValueKind.Bytes;
        out.value[i] = NaN;
      }
    } else if (lvar >= 0xf0 && lvar <= 0xf6) {
      size = lvar <= 0xf4 ? 4 * (lvar - 0xec) : lvar === 0xf5 ? 48 : 64;
      need(p, size, end);
      out.kind[i] = ValueKind.Bytes;
      out.value[i] = NaN;
    } else throw new MbusError('MBUS_ERR_RECORD', `reserved LVAR 0x${lvar.toString(16)}`, p - 1);
    out.dataEnd[i] = p + size;
    return p + size;
  }
  need(p, size, end);
  out.dataEnd[i] = p + size;
  const q = QUANTITIES[out.quantity[i]!]!;
  const manufacturer = (out.flags[i]! & 1) !== 0 || out.quantity[i] === QUANTITY_MANUFACTURER;
  if (size === 0) {
    out.kind[i] = ValueKind.None;
    out.value[i] = NaN;
  } else if (field === 5) {
    out.kind[i] = ValueKind.Number;
    out.value[i] = float32(b, p);
  } else if (field >= 9) {
    out.kind[i] = ValueKind.Number;
    out.value[i] = bcd(b, p, size, true);
  } else if ((q.kind === 'date' || q.kind === 'datetime') && !manufacturer) {
    if (size === 2) {
      out.kind[i] = ValueKind.Date;
      out.value[i] = dateG(b, p);
    } else if (size === 4) {
      out.kind[i] = ValueKind.DateTime;
      out.value[i] = dateTimeF(b, p);
      if (b[p + 1]! & 0x80) out.flags[i]! |= 2;
    } else if (size === 6) {
      out.kind[i] = ValueKind.DateTime;
      out.value[i] = dateTimeI(b, p);
      if (b[p + 2]! & 0x80) out.flags[i]! |= 2;
    } else if (size === 3) {
      out.kind[i] = ValueKind.Time;
      out.value[i] = timeJ(b, p);
    } else {
      out.kind[i] = ValueKind.Bytes;
      out.value[i] = NaN;
    }
  } else {
    out.kind[i] = ValueKind.Number;
    out.value[i] = q.kind === 'binary' || manufacturer ? unsigned(b, p, size) : signed(b, p, size);
  }
  return p + size;
}

function need(p: number, size: number, end: number): void {
  if (p + size > end) throw new MbusError('MBUS_ERR_TRUNCATED', `a ${size}-byte value runs past the telegram`, p);
}

/** Little-endian unsigned integer of `n` ≤ 8 bytes (above 2^53 it is rounded). */
export function unsigned(b: Uint8Array, p: number, n: number): number {
  let v = 0;
  for (let k = n - 1; k >= 0; k--) v = v * 256 + b[p + k]!;
  return v;
}

/** Little-endian two's-complement integer of `n` ≤ 8 bytes. */
export function signed(b: Uint8Array, p: number, n: number): number {
  if (n <= 4) {
    const shift = 32 - 8 * n;
    let v = 0;
    for (let k = n - 1; k >= 0; k--) v = (v << 8) | b[p + k]!;
    return (v << shift) >> shift;
  }
  if (!(b[p + n - 1]! & 0x80)) return unsigned(b, p, n);
  // Negative: -(~x + 1), from the inverted bytes, so small magnitudes stay exact.
  let v = 0;
  for (let k = n - 1; k >= 0; k--) v = v * 256 + (255 - b[p + k]!);
  return -(v + 1);
}

/**
 * BCD of `n` bytes (two digits each, least significant byte first). With `signNibble`, a high nibble F
 * in the last byte is a minus sign (EN 13757-3 Annex B). NaN when a digit is not 0-9.
 */
export function bcd(b: Uint8Array, p: number, n: number, signNibble: boolean): number {
  let v = 0;
  let negative = false;
  for (let k = n - 1; k >= 0; k--) {
    const x = b[p + k]!;
    let hi = x >> 4;
    const lo = x & 0x0f;
    if (k === n - 1 && signNibble && hi === 0x0f) {
      negative = true;
      hi = 0;
    }
    if (hi > 9 || lo > 9) return NaN;
    v = v * 100 + hi * 10 + lo;
  }
  return negative ? -v : v;
}

function float32(b: Uint8Array, p: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getFloat32(p, true);
}

/** Text of a record or plain-text unit: `n` bytes at `p`, transmitted last character first. */
export function reversedText(b: Uint8Array, p: number, n: number): string {
  let s = '';
  for (let k = n - 1; k >= 0; k--) s += String.fromCharCode(b[p + k]!);
  return s;
}

