/**
 * The `hes.readings` feed from a block of decoded readings, made in the decoder thread: one
 * Confluent-framed Avro record of schemas/avro/reading.avsc per reading, keyed `<projectId>/<deviceId>`,
 * placed in its partition and framed for the bus (bus/framed.ts) — the main thread only hands the bytes
 * over. Encoded by hand straight from the block's columns into one buffer: a batch is up to a million
 * readings, and avsc's generic `toBuffer` per object costs several times more (the tests check the
 * bytes against avsc). Strings come from the block's dictionaries and the device names, encoded once.
 */
import { closeRecord, openRecord, partitionOfKey, recordSize, type FramedMessages } from '../bus/framed.js';
import type { ReadingColumns } from './readings-block.js';

/** What the feed says of a device besides its number; null = the registry does not know it. */
export type FeedDevice = { serial: string; projectId: string } | null;

export interface FeedOptions {
  schemaId: number;
  /** Partitions of the feed topic. */
  partitions: number;
  /** The device's registry names, by device number (undefined = not known here, as null). */
  device: (num: number) => FeedDevice | undefined;
  /** Message timestamp (ms). */
  now: number;
}

const TWO_32 = 4294967296;
const SERVER_TZ = 'UTC';
const EMPTY = new Uint8Array(1); // the Avro empty string: length 0

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

/** The message key of a device's readings: a consumer filters by project from the key, without decoding values. */
export function feedKey(projectId: string, deviceId: number): string {
  return `${projectId}/${deviceId}`;
}

interface Run {
  start: number;
  end: number;
  device: number;
  partition: number;
  key: Uint8Array;
  names: Uint8Array;
}

/**
 * Encodes and frames every row of `columns`. `serverTimeMs[i]` is when the HES received row i's frame;
 * the value is `raw × 10^scaler` as a double (a division for negative scalers, so 12345 with scaler -1
 * is exactly the double nearest 1234.5, as a reader expects). A frame's readings are consecutive rows
 * of one device: key, partition and names are made once per such run.
 */
export function encodeReadingFeed(columns: ReadingColumns, serverTimeMs: Float64Array, o: FeedOptions): FramedMessages {
  const n = columns.count;
  const dict = (v: { values: readonly string[] }) => v.values.map(avroString);
  const archive = dict(columns.archive);
  const obis = dict(columns.obis);
  const readingType = dict(columns.readingType);
  const unit = dict(columns.unit);
  const source = dict(columns.source);
  const serverTz = avroString(SERVER_TZ);
  const longest = (d: Uint8Array[]) => d.reduce((a, b) => Math.max(a, b.length), 0);
  const { deviceId, raw, ts, scaler, tariff, quality, deviceStatus, deviceTz, collectedAt } = columns;

  // Runs of one device, with their key, partition and the Avro bytes of serial and project.
  const runs: Run[] = [];
  const byDevice = new Map<number, Run>();
  const perPartition = new Uint32Array(o.partitions);
  let longestExtra = 0;
  for (let i = 0; i < n; ) {
    const device = deviceId[2 * i + 1]! * TWO_32 + deviceId[2 * i]!;
    let end = i + 1;
    while (end < n && deviceId[2 * end] === deviceId[2 * i] && deviceId[2 * end + 1] === deviceId[2 * i + 1]) end++;
    let run = byDevice.get(device);
    if (!run) {
      const names = o.device(device) ?? null;
      const serial = names ? avroString(names.serial) : EMPTY;
      const project = names ? avroString(names.projectId) : EMPTY;
      const both = new Uint8Array(serial.length + project.length);
      both.set(serial);
      both.set(project, serial.length);
      const key = Buffer.from(feedKey(names?.projectId ?? '', device));
      run = { start: 0, end: 0, device, partition: partitionOfKey(key, o.partitions), key, names: both };
      byDevice.set(device, run);
      longestExtra = Math.max(longestExtra, both.length + key.length);
    }
    runs.push({ ...run, start: i, end });
    perPartition[run.partition] += end - i;
    i = end;
  }
  // Framing 5, four longs ≤ 10 each (deviceId, timestamp, serverTime, collectedAt), five ints ≤ 5 each, a double 8.
  const maxValue = 5 + 40 + 25 + 8 + longest(archive) + longest(obis) + longest(readingType) + longest(unit) + longest(source) + serverTz.length;
  const out = Buffer.allocUnsafeSlow(Math.max(1, n * (recordSize(0, maxValue) + longestExtra))); // never from the shared pool: it is transferred
  const framing = Uint8Array.of(0, o.schemaId >>> 24, (o.schemaId >>> 16) & 0xff, (o.schemaId >>> 8) & 0xff, o.schemaId & 0xff);
  const double = new Float64Array(1);
  const doubleBytes = new Uint8Array(double.buffer);
  const recordStart = new Uint32Array(n + 1);
  const partStart = new Uint32Array(o.partitions + 1);
  for (let q = 0; q < o.partitions; q++) partStart[q + 1] = partStart[q]! + perPartition[q]!;
  let r = 0;
  let p = 0;
  for (let part = 0; part < o.partitions; part++) {
    for (const run of runs) {
      if (run.partition !== part) continue;
      for (let i = run.start; i < run.end; i++) {
        const rawValue = (raw[2 * i + 1]! | 0) * TWO_32 + raw[2 * i]!;
        const s = scaler[i]!;
        recordStart[r++] = p;
        const record = p;
        p = openRecord(out, p, o.now, run.key);
        p = put(out, p, framing);
        p = writeLong(out, p, run.device);
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
        p = put(out, p, run.names);
        p = writeLong(out, p, s);
        closeRecord(out, record, p);
      }
    }
  }
  recordStart[n] = p;
  return { records: new Uint8Array(out.buffer, out.byteOffset, p), recordStart, partStart };
}
