/**
 * A-XDR encoding of the COSEM Data CHOICE (IEC 62056-6-2 §4.1.5, Green Book A-XDR rules).
 *
 *   Data ::= CHOICE {
 *     null-data [0] NULL,                  array [1] SEQUENCE OF Data,        structure [2] SEQUENCE OF Data,
 *     boolean [3] BOOLEAN,                 bit-string [4] BIT STRING,         double-long [5] Integer32,
 *     double-long-unsigned [6] Unsigned32, floating-point [7] OCTET STRING (SIZE(4)),
 *     octet-string [9] OCTET STRING,       visible-string [10] VisibleString, utf8-string [12] UTF8String,
 *     bcd [13] Integer8,                   integer [15] Integer8,             long [16] Integer16,
 *     unsigned [17] Unsigned8,             long-unsigned [18] Unsigned16,
 *     compact-array [19] SEQUENCE { contents-description [0] TypeDescription, array-contents [1] OCTET STRING },
 *     long64 [20] Integer64,               long64-unsigned [21] Unsigned64,   enum [22] Unsigned8,
 *     float32 [23] OCTET STRING (SIZE(4)), float64 [24] OCTET STRING (SIZE(8)),
 *     date-time [25] OCTET STRING (SIZE(12)), date [26] OCTET STRING (SIZE(5)), time [27] OCTET STRING (SIZE(4)),
 *     dont-care [255] NULL }
 *   TypeDescription ::= CHOICE { <simple type tag>,
 *     array [1] SEQUENCE { number-of-elements Unsigned16, type-description TypeDescription },
 *     structure [2] SEQUENCE OF TypeDescription }
 *
 * On the wire: one tag byte, then the content. SEQUENCE OF and variable-length strings carry an A-XDR
 * definite length (0..0x7F, or 0x8N + N bytes); bit-string counts bits, not bytes. Integers are big
 * endian, floats IEEE 754, bcd holds two decimal digits. compact-array contents are its elements
 * concatenated without tags, shaped by the type description.
 *
 * Nesting is limited to MAX_DEPTH containers. Counts are checked against the bytes left before any
 * element is decoded, and compact-array element types must occupy at least one byte, so the work and
 * memory spent are bounded by the input length.
 */
import { DlmsError } from '../errors.js';
import { Reader } from './reader.js';
import { Writer, toHex } from './writer.js';
import { decodeDate, decodeDateTime, decodeTime, encodeDate, encodeDateTime, encodeTime, formatDate, formatDateTime, formatTime, isValidDateTime } from './datetime.js';
import { DataTag, type DataTypeName, type DlmsData, type TypeDescription } from './types.js';

/** Maximum container nesting (array, structure, compact-array, type descriptions). */
export const MAX_DEPTH = 32;

const TAG_OF: Record<DataTypeName, number> = {
  'null-data': DataTag.nullData,
  array: DataTag.array,
  structure: DataTag.structure,
  boolean: DataTag.boolean,
  'bit-string': DataTag.bitString,
  'double-long': DataTag.doubleLong,
  'double-long-unsigned': DataTag.doubleLongUnsigned,
  'floating-point': DataTag.floatingPoint,
  'octet-string': DataTag.octetString,
  'visible-string': DataTag.visibleString,
  'utf8-string': DataTag.utf8String,
  bcd: DataTag.bcd,
  integer: DataTag.integer,
  long: DataTag.long,
  unsigned: DataTag.unsigned,
  'long-unsigned': DataTag.longUnsigned,
  'compact-array': DataTag.compactArray,
  long64: DataTag.long64,
  'long64-unsigned': DataTag.long64Unsigned,
  enum: DataTag.enum,
  float32: DataTag.float32,
  float64: DataTag.float64,
  'date-time': DataTag.dateTime,
  date: DataTag.date,
  time: DataTag.time,
  'dont-care': DataTag.dontCare,
};

const NAME_OF: ReadonlyMap<number, DataTypeName> = new Map(
  (Object.entries(TAG_OF) as [DataTypeName, number][]).map(([name, tag]) => [tag, name]),
);

/** The A-XDR tag of a data type. */
export function dataTag(type: DataTypeName): number {
  return TAG_OF[type];
}

/** The data type of an A-XDR tag, or undefined for a tag the Data CHOICE does not define. */
export function dataTypeName(tag: number): DataTypeName | undefined {
  return NAME_OF.get(tag);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

function enterContainer(depth: number, at: number): void {
  if (depth >= MAX_DEPTH) throw new DlmsError('DLMS_ERR_DEPTH', `nesting deeper than ${MAX_DEPTH}`, at);
}

/** Content of a type whose encoding does not depend on a count (everything but array, structure, compact-array). */
function decodeSimple(r: Reader, tag: number, at: number): DlmsData {
  switch (tag) {
    case DataTag.nullData:
      return { type: 'null-data' };
    case DataTag.dontCare:
      return { type: 'dont-care' };
    case DataTag.boolean:
      return { type: 'boolean', value: r.u8('boolean') !== 0 };
    case DataTag.bitString: {
      const lenAt = r.pos;
      const bits = r.length('bit-string length', false);
      const n = Math.ceil(bits / 8);
      if (n > r.remaining) throw new DlmsError('DLMS_ERR_LENGTH', `bit-string of ${bits} bits exceeds the ${r.remaining} bytes left`, lenAt);
      return { type: 'bit-string', value: { length: bits, bytes: r.bytes(n, 'bit-string') } };
    }
    case DataTag.doubleLong:
      return { type: 'double-long', value: r.i32() };
    case DataTag.doubleLongUnsigned:
      return { type: 'double-long-unsigned', value: r.u32() };
    case DataTag.floatingPoint:
      return { type: 'floating-point', value: r.f32('floating-point') };
    case DataTag.octetString:
      return { type: 'octet-string', value: r.bytes(r.length('octet-string length'), 'octet-string') };
    case DataTag.visibleString:
      return { type: 'visible-string', value: latin1(r.bytes(r.length('visible-string length'), 'visible-string')) };
    case DataTag.utf8String: {
      const b = r.bytes(r.length('utf8-string length'), 'utf8-string');
      try {
        return { type: 'utf8-string', value: utf8.decode(b) };
      } catch {
        throw new DlmsError('DLMS_ERR_VALUE', 'utf8-string is not valid UTF-8', r.pos - b.length);
      }
    }
    case DataTag.bcd: {
      const p = r.pos;
      const v = r.u8('bcd');
      if ((v >> 4) > 9 || (v & 15) > 9) throw new DlmsError('DLMS_ERR_VALUE', `bcd 0x${v.toString(16)} has a non-decimal digit`, p);
      return { type: 'bcd', value: (v >> 4) * 10 + (v & 15) };
    }
    case DataTag.integer:
      return { type: 'integer', value: r.i8() };
    case DataTag.long:
      return { type: 'long', value: r.i16() };
    case DataTag.unsigned:
      return { type: 'unsigned', value: r.u8('unsigned') };
    case DataTag.longUnsigned:
      return { type: 'long-unsigned', value: r.u16() };
    case DataTag.long64:
      return { type: 'long64', value: r.i64() };
    case DataTag.long64Unsigned:
      return { type: 'long64-unsigned', value: r.u64() };
    case DataTag.enum:
      return { type: 'enum', value: r.u8('enum') };
    case DataTag.float32:
      return { type: 'float32', value: r.f32() };
    case DataTag.float64:
      return { type: 'float64', value: r.f64() };
    case DataTag.dateTime: {
      r.need(12, 'date-time');
      const v = decodeDateTime(r.buf, r.pos);
      r.pos += 12;
      return { type: 'date-time', value: v };
    }
    case DataTag.date: {
      r.need(5, 'date');
      const v = decodeDate(r.buf, r.pos);
      r.pos += 5;
      return { type: 'date', value: v };
    }
    case DataTag.time: {
      r.need(4, 'time');
      const v = decodeTime(r.buf, r.pos);
      r.pos += 4;
      return { type: 'time', value: v };
    }
    default:
      throw new DlmsError('DLMS_ERR_TAG', `unknown data tag ${tag}`, at);
  }
}

/** Decode one Data value; `r` is at its tag byte. */
export function decodeData(r: Reader, depth = 0): DlmsData {
  const at = r.pos;
  const tag = r.u8('data tag');
  switch (tag) {
    case DataTag.array:
    case DataTag.structure: {
      enterContainer(depth, at);
      // Bounded by the bytes left: every element is at least its tag byte.
      const n = r.length(tag === DataTag.array ? 'array count' : 'structure count');
      const value: DlmsData[] = new Array<DlmsData>(n);
      for (let i = 0; i < n; i++) value[i] = decodeData(r, depth + 1);
      return tag === DataTag.array ? { type: 'array', value } : { type: 'structure', value };
    }
    case DataTag.compactArray: {
      enterContainer(depth, at);
      const description = decodeTypeDescription(r, depth + 1);
      const lenAt = r.pos;
      const n = r.length('compact-array contents length');
      const end = r.pos + n;
      const contents = new Reader(r.buf, r.pos, end);
      const value: DlmsData[] = [];
      if (n > 0 && !occupiesBytes(description)) {
        throw new DlmsError('DLMS_ERR_VALUE', 'compact-array element type has no content bytes', lenAt);
      }
      while (contents.pos < end) value.push(decodeUntagged(contents, description, depth + 1));
      r.pos = end;
      return { type: 'compact-array', description, value };
    }
    default:
      return decodeSimple(r, tag, at);
  }
}

/** Decode a compact-array TypeDescription; `r` is at its tag byte. */
export function decodeTypeDescription(r: Reader, depth = 0): TypeDescription {
  const at = r.pos;
  const tag = r.u8('type description tag');
  if (tag === DataTag.array) {
    enterContainer(depth, at);
    const count = r.u16('number-of-elements');
    return { type: 'array', count, element: decodeTypeDescription(r, depth + 1) };
  }
  if (tag === DataTag.structure) {
    enterContainer(depth, at);
    const n = r.length('structure description count');
    const elements: TypeDescription[] = new Array<TypeDescription>(n);
    for (let i = 0; i < n; i++) elements[i] = decodeTypeDescription(r, depth + 1);
    return { type: 'structure', elements };
  }
  const type = NAME_OF.get(tag);
  if (type === undefined || type === 'compact-array') throw new DlmsError('DLMS_ERR_TAG', `invalid type description tag ${tag}`, at);
  return { type } as TypeDescription;
}

/**
 * Every leaf of a compact-array element must take at least one byte; otherwise a few description
 * bytes could demand unbounded values out of empty contents.
 */
function occupiesBytes(td: TypeDescription): boolean {
  switch (td.type) {
    case 'null-data':
    case 'dont-care':
      return false;
    case 'array':
      return td.count > 0 && occupiesBytes(td.element);
    case 'structure':
      return td.elements.length > 0 && td.elements.every(occupiesBytes);
    default:
      return true;
  }
}

function decodeUntagged(r: Reader, td: TypeDescription, depth: number): DlmsData {
  if (td.type === 'array' || td.type === 'structure') {
    enterContainer(depth, r.pos);
    const value: DlmsData[] = [];
    if (td.type === 'array') for (let i = 0; i < td.count; i++) value.push(decodeUntagged(r, td.element, depth + 1));
    else for (const e of td.elements) value.push(decodeUntagged(r, e, depth + 1));
    return { type: td.type, value };
  }
  return decodeSimple(r, TAG_OF[td.type], r.pos);
}

/** Decode exactly one Data value filling `b`. */
export function decodeDataBytes(b: Uint8Array): DlmsData {
  const r = new Reader(b);
  const v = decodeData(r);
  r.done('end of data');
  return v;
}

function encodeError(v: DlmsData, why: string): never {
  throw new DlmsError('DLMS_ERR_ENCODE', `${v.type}: ${why}`);
}

function intIn(v: DlmsData & { value: number }, min: number, max: number): number {
  if (!Number.isInteger(v.value) || v.value < min || v.value > max) encodeError(v, `${v.value} is not an integer in ${min}..${max}`);
  return v.value;
}

function bigIn(v: DlmsData & { value: bigint }, min: bigint, max: bigint): bigint {
  if (typeof v.value !== 'bigint' || v.value < min || v.value > max) encodeError(v, `${String(v.value)} out of range`);
  return v.value;
}

function encodeSimple(w: Writer, v: DlmsData): void {
  switch (v.type) {
    case 'null-data':
    case 'dont-care':
      return;
    case 'boolean':
      w.u8(v.value ? 1 : 0);
      return;
    case 'bit-string': {
      const { length, bytes } = v.value;
      if (!Number.isInteger(length) || length < 0 || bytes.length !== Math.ceil(length / 8)) {
        encodeError(v, `${bytes.length} bytes cannot hold exactly ${length} bits`);
      }
      w.length(length).bytes(bytes);
      return;
    }
    case 'double-long':
      w.i32(intIn(v, -0x80000000, 0x7fffffff));
      return;
    case 'double-long-unsigned':
      w.u32(intIn(v, 0, 0xffffffff));
      return;
    case 'floating-point':
    case 'float32':
      w.f32(v.value);
      return;
    case 'float64':
      w.f64(v.value);
      return;
    case 'octet-string':
      w.length(v.value.length).bytes(v.value);
      return;
    case 'visible-string': {
      const s = v.value;
      const b = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 0xff) encodeError(v, `character U+${c.toString(16)} is not a single byte`);
        b[i] = c;
      }
      w.length(b.length).bytes(b);
      return;
    }
    case 'utf8-string': {
      const b = utf8Encoder.encode(v.value);
      w.length(b.length).bytes(b);
      return;
    }
    case 'bcd': {
      const n = intIn(v, 0, 99);
      w.u8(((n / 10) << 4) | n % 10);
      return;
    }
    case 'integer':
      w.u8(intIn(v, -128, 127));
      return;
    case 'long':
      w.i16(intIn(v, -0x8000, 0x7fff));
      return;
    case 'unsigned':
    case 'enum':
      w.u8(intIn(v, 0, 0xff));
      return;
    case 'long-unsigned':
      w.u16(intIn(v, 0, 0xffff));
      return;
    case 'long64':
      w.i64(bigIn(v, -(1n << 63n), (1n << 63n) - 1n));
      return;
    case 'long64-unsigned':
      w.u64(bigIn(v, 0n, (1n << 64n) - 1n));
      return;
    case 'date-time':
      w.bytes(encodeDateTime(v.value));
      return;
    case 'date':
      w.bytes(encodeDate(v.value));
      return;
    case 'time':
      w.bytes(encodeTime(v.value));
      return;
    default:
      encodeError(v, 'unknown data type');
  }
}

/** Encode one Data value with its tag. */
export function encodeData(w: Writer, v: DlmsData, depth = 0): void {
  const tag = TAG_OF[v.type];
  if (tag === undefined) encodeError(v, 'unknown data type');
  if ((v.type === 'array' || v.type === 'structure' || v.type === 'compact-array') && depth >= MAX_DEPTH) {
    throw new DlmsError('DLMS_ERR_DEPTH', `nesting deeper than ${MAX_DEPTH}`);
  }
  w.u8(tag);
  if (v.type === 'array' || v.type === 'structure') {
    w.length(v.value.length);
    for (const e of v.value) encodeData(w, e, depth + 1);
  } else if (v.type === 'compact-array') {
    encodeTypeDescription(w, v.description, depth + 1);
    if (v.value.length > 0 && !occupiesBytes(v.description)) encodeError(v, 'element type has no content bytes');
    const contents = new Writer();
    for (const e of v.value) encodeUntagged(contents, v.description, e, depth + 1);
    w.length(contents.pos).bytes(contents.finish());
  } else encodeSimple(w, v);
}

/** Encode a compact-array TypeDescription. */
export function encodeTypeDescription(w: Writer, td: TypeDescription, depth = 0): void {
  const tag = TAG_OF[td.type];
  if (tag === undefined || td.type === ('compact-array' as string)) throw new DlmsError('DLMS_ERR_ENCODE', `invalid type description ${td.type}`);
  if ((td.type === 'array' || td.type === 'structure') && depth >= MAX_DEPTH) {
    throw new DlmsError('DLMS_ERR_DEPTH', `nesting deeper than ${MAX_DEPTH}`);
  }
  w.u8(tag);
  if (td.type === 'array') {
    if (!Number.isInteger(td.count) || td.count < 0 || td.count > 0xffff) throw new DlmsError('DLMS_ERR_ENCODE', `array description count ${td.count}`);
    w.u16(td.count);
    encodeTypeDescription(w, td.element, depth + 1);
  } else if (td.type === 'structure') {
    w.length(td.elements.length);
    for (const e of td.elements) encodeTypeDescription(w, e, depth + 1);
  }
}

function encodeUntagged(w: Writer, td: TypeDescription, v: DlmsData, depth: number): void {
  if (v.type !== td.type) encodeError(v, `compact-array element is not ${td.type}`);
  if (td.type === 'array' || td.type === 'structure') {
    if (depth >= MAX_DEPTH) throw new DlmsError('DLMS_ERR_DEPTH', `nesting deeper than ${MAX_DEPTH}`);
    const items = (v as { value: DlmsData[] }).value;
    const types = td.type === 'array' ? null : td.elements;
    const count = td.type === 'array' ? td.count : td.elements.length;
    if (items.length !== count) encodeError(v, `${items.length} elements where the description says ${count}`);
    for (let i = 0; i < count; i++) encodeUntagged(w, types ? types[i]! : (td as { element: TypeDescription }).element, items[i]!, depth + 1);
    return;
  }
  encodeSimple(w, v);
}

/** Encode one Data value into new bytes. */
export function encodeDataBytes(v: DlmsData): Uint8Array {
  const w = new Writer();
  encodeData(w, v);
  return w.toBytes();
}

function jsonNumber(n: number): number | string {
  return Number.isFinite(n) ? n : String(n);
}

function bitsText(b: { length: number; bytes: Uint8Array }): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b.bytes[i >> 3]! >> (7 - (i & 7))) & 1 ? '1' : '0';
  return s;
}

/**
 * A JSON-safe view: `{ "<type-name>": value }`. Octet-strings as hex (plus `"dateTime"` when the 12
 * bytes are a valid COSEM date-time), bigints as strings, date/time values in ISO 8601, bit-strings as
 * '0'/'1' text, non-finite floats as strings.
 */
export function dataToJson(v: DlmsData): unknown {
  switch (v.type) {
    case 'null-data':
    case 'dont-care':
      return { [v.type]: null };
    case 'array':
    case 'structure':
      return { [v.type]: v.value.map(dataToJson) };
    case 'compact-array':
      return { 'compact-array': v.value.map(dataToJson) };
    case 'octet-string': {
      const out: Record<string, unknown> = { 'octet-string': toHex(v.value) };
      if (v.value.length === 12) {
        const dt = decodeDateTime(v.value);
        if (isValidDateTime(dt)) out['dateTime'] = formatDateTime(dt);
      }
      return out;
    }
    case 'bit-string':
      return { 'bit-string': bitsText(v.value) };
    case 'long64':
    case 'long64-unsigned':
      return { [v.type]: v.value.toString() };
    case 'floating-point':
    case 'float32':
    case 'float64':
      return { [v.type]: jsonNumber(v.value) };
    case 'date-time':
      return { 'date-time': formatDateTime(v.value) };
    case 'date':
      return { date: formatDate(v.value) };
    case 'time':
      return { time: formatTime(v.value) };
    default:
      return { [v.type]: v.value };
  }
}

/** The numeric value of an integer, enum, bcd, boolean or float; null for anything else. */
export function dataToNumber(v: DlmsData): number | null {
  switch (v.type) {
    case 'double-long':
    case 'double-long-unsigned':
    case 'floating-point':
    case 'bcd':
    case 'integer':
    case 'long':
    case 'unsigned':
    case 'long-unsigned':
    case 'enum':
    case 'float32':
    case 'float64':
      return v.value;
    case 'long64':
    case 'long64-unsigned':
      return Number(v.value);
    case 'boolean':
      return v.value ? 1 : 0;
    default:
      return null;
  }
}
