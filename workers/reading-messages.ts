/**
 * `hes.readings` messages from a block of decoded readings: one Confluent-framed Avro record of
 * schemas/avro/reading.avsc per reading. Encoded by hand straight from the block's columns — a batch is
 * up to a million readings, and avsc's generic `toBuffer` per object costs several times more (the
 * tests check the bytes against avsc). Strings come from the block's dictionaries, encoded once.
 */
import type { ReadingColumns } from './readings-block.js';

export interface ReadingMessages {
  /** Message values back to back; `bounds[i]..bounds[i+1]` is message i. */
  data: Uint8Array;
  bounds: Uint32Array;
  /** Device id of each message (its key). */
  deviceIds: Float64Array;
}

const TWO_32 = 4294967296;
const SERVER_TZ = 'UTC';

/** An Avro string: zigzag varint length, then the UTF-8 bytes. */
function avroString(s: string): Uint8Array {
  const bytes = Buffer.from(s, 'utf8');
  const out = new Uint8Array(10 + bytes.length);
  const p = writeLong(out, 0, bytes.length);
  out.set(bytes, p);
  return out.subarray(0, p + bytes.length);
}

/** Copies a short byte string: a plain loop beats Buffer#copy's native call for a few dozen bytes. */
function put(out: Uint8Array, p: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) out[p + i] = bytes[i]!;
  return p + bytes.length;
}

/** Avro long/int: zigzag, then base-128 varint; exact for every safe integer, in 32-bit integer steps. */
function writeLong(out: Uint8Array, p: number, n: number): number {
  if (n >= -0x40000000 && n < 0x40000000) {
    let m = n >= 0 ? n << 1 : (~n << 1) | 1;
    while (m > 0x7f) {
      out[p++] = (m & 0x7f) | 0x80;
      m >>>= 7;
    }
    out[p++] = m;
    return p;
  }
  const z = n >= 0 ? n * 2 : -n * 2 - 1; // zigzag, exact below 2^54
  let hi = Math.floor(z / TWO_32) >>> 0;
  let lo = (z - hi * TWO_32) >>> 0;
  while (hi !== 0) {
    out[p++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  while (lo > 0x7f) {
    out[p++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  out[p++] = lo;
  return p;
}

/**
 * Encodes every row of `columns`. `serverTimeMs[i]` is when the HES received row i's frame; the value is
 * `raw × 10^scaler` as a double (a division for negative scalers, so 12345 with scaler -1 is exactly
 * the double nearest 1234.5, as a reader expects).
 */
export function encodeReadingMessages(columns: ReadingColumns, serverTimeMs: Float64Array, schemaId: number): ReadingMessages {
  const n = columns.count;
  const dict = (v: { values: readonly string[] }) => v.values.map(avroString);
  const archive = dict(columns.archive);
  const obis = dict(columns.obis);
  const readingType = dict(columns.readingType);
  const unit = dict(columns.unit);
  const source = dict(columns.source);
  const serverTz = avroString(SERVER_TZ);
  const longest = (d: Uint8Array[]) => d.reduce((a, b) => Math.max(a, b.length), 0);
  // Framing 5, four longs ≤ 10 each (deviceId, timestamp, serverTime, collectedAt), four ints ≤ 5 each, a double 8.
  const maxRow = 5 + 40 + 20 + 8 + longest(archive) + longest(obis) + longest(readingType) + longest(unit) + longest(source) + serverTz.length;
  const out: Uint8Array = Buffer.allocUnsafeSlow(n * maxRow); // never from the shared pool: it is transferred
  const framing = Uint8Array.of(0, schemaId >>> 24, (schemaId >>> 16) & 0xff, (schemaId >>> 8) & 0xff, schemaId & 0xff);
  const double = new Float64Array(1);
  const doubleBytes = new Uint8Array(double.buffer);
  const bounds = new Uint32Array(n + 1);
  const deviceIds = new Float64Array(n);
  const { deviceId, raw, ts, scaler, tariff, quality, deviceStatus, deviceTz, collectedAt } = columns;
  let p = 0;
  for (let i = 0; i < n; i++) {
    const device = deviceId[2 * i + 1]! * TWO_32 + deviceId[2 * i]!;
    const rawValue = (raw[2 * i + 1]! | 0) * TWO_32 + raw[2 * i]!;
    const s = scaler[i]!;
    deviceIds[i] = device;
    p = put(out, p, framing);
    p = writeLong(out, p, device);
    p = put(out, p, archive[columns.archive.ids[i]!]!);
    p = put(out, p, obis[columns.obis.ids[i]!]!);
    p = put(out, p, readingType[columns.readingType.ids[i]!]!);
    p = writeLong(out, p, tariff[i]!);
    p = writeLong(out, p, ts[i]! * 1000);
    double[0] = s < 0 ? rawValue / 10 ** -s : rawValue * 10 ** s; // Avro doubles are little-endian, as is the host
    p = put(out, p, doubleBytes);
    p = put(out, p, unit[columns.unit.ids[i]!]!);
    p = writeLong(out, p, quality[i]!);
    p = writeLong(out, p, deviceStatus[i]!);
    p = writeLong(out, p, deviceTz[i]!);
    p = writeLong(out, p, serverTimeMs[i]!);
    p = put(out, p, serverTz);
    p = put(out, p, source[columns.source.ids[i]!]!);
    p = writeLong(out, p, collectedAt[i]! * 1000);
    bounds[i + 1] = p;
  }
  return { data: out.subarray(0, p), bounds, deviceIds };
}
