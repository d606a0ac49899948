/**
 * Messages made ready for the bus off the main thread (the decoder pool's workers build the `hes.readings`
 * feed this way): placed in their partitions and laid out back to back as records of the embedded log
 * (bus/embedded/log.ts), flagged "offset outside the CRC". A worker cannot know the offsets a partition
 * will give, so it writes everything else — length, CRC, timestamp, key, value — and leaves the offset at
 * 0: the embedded log stamps offsets into the bytes and writes them as they are (no copy, no CRC on the
 * main thread); the Kafka producer takes key and value from each record. Pure: no I/O.
 *
 * Record: u32 payload length | FLAG | u32 CRC-32 of payload after the offset | payload:
 *   f64 offset | f64 timestamp (ms) | i32 key length (-1 = null) | key | value
 */
import { crc32 } from 'node:zlib';
import { murmur2 } from './types.js';

export const RECORD_HEADER = 8;
export const RECORD_FIXED = 20;
/** Set in the length word: the CRC covers the payload from the timestamp on (the offset is stamped later). */
export const OFFSET_OUTSIDE_CRC = 0x80000000;

export interface FramedMessages {
  /** Records back to back, grouped by partition. */
  records: Uint8Array;
  /** Byte position of each record, then the end: record i is `recordStart[i] .. recordStart[i + 1]`. */
  recordStart: Uint32Array;
  /** Partition p holds records `partStart[p] .. partStart[p + 1] - 1`; its length is the topic's partitions + 1. */
  partStart: Uint32Array;
}

/** Bytes a record of this key and value length takes. */
export function recordSize(keyLength: number, valueLength: number): number {
  return RECORD_HEADER + RECORD_FIXED + keyLength + valueLength;
}

/** Starts a record at `p` (timestamp and key); returns where its value goes. Close it with `closeRecord`. */
export function openRecord(out: Buffer, p: number, timestamp: number, key: Uint8Array): number {
  out.writeDoubleLE(0, p + RECORD_HEADER);
  out.writeDoubleLE(timestamp, p + RECORD_HEADER + 8);
  out.writeInt32LE(key.length, p + RECORD_HEADER + 16);
  let q = p + RECORD_HEADER + RECORD_FIXED;
  for (let i = 0; i < key.length; i++) out[q++] = key[i]!;
  return q;
}

/** Ends the record started at `p` whose value ends at `end`: length word and CRC. */
export function closeRecord(out: Buffer, p: number, end: number): void {
  out.writeUInt32LE(((end - p - RECORD_HEADER) | OFFSET_OUTSIDE_CRC) >>> 0, p);
  out.writeUInt32LE(crc32(out.subarray(p + RECORD_HEADER + 8, end)), p + 4);
}

/** Key and value of record i (views, no copy). */
export function recordAt(f: FramedMessages, i: number): { key: Buffer | null; value: Buffer; timestamp: number } {
  const start = f.recordStart[i]!;
  const b = Buffer.from(f.records.buffer, f.records.byteOffset + start, f.recordStart[i + 1]! - start);
  const keyLength = b.readInt32LE(RECORD_HEADER + 16);
  const k = RECORD_HEADER + RECORD_FIXED;
  return {
    key: keyLength < 0 ? null : b.subarray(k, k + keyLength),
    value: b.subarray(k + Math.max(keyLength, 0)),
    timestamp: b.readDoubleLE(RECORD_HEADER + 8),
  };
}

/** The partition of a key, as `partitionOf` places a keyed message (murmur2, Kafka's default). */
export function partitionOfKey(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
