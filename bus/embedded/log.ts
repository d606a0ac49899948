/**
 * One partition of the embedded bus: an append-only log split into segment files named by the offset
 * of their first record. Record layout (little-endian):
 *
 *   u32 payload length | u32 CRC-32 of payload | payload:
 *     f64 offset | f64 timestamp (ms) | i32 key length (-1 = null) | key | value
 *
 * Records framed off the main thread (bus/framed.ts) set the length word's top bit: their CRC starts
 * after the offset, which the log stamps in when it appends them.
 *
 * A record with headers (the trace context, telemetry/) says so by a key length of -2 or less: the key is
 * `-length - 3` bytes (-2 = null key) and is followed by u16 n | n bytes of the headers as a JSON object
 * of strings, then the value. Records without headers keep the layout above, so logs written before
 * headers existed read as they were.
 *
 * On open the last segment is scanned and cut at the first torn or corrupt record, so a crash mid-write
 * loses only what was not yet acknowledged. A sparse index (every INDEX_EVERY records) finds a position
 * from an offset without scanning a whole segment.
 */
import { close, closeSync, fstatSync, fsync, open, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { BusMessage, ConsumedMessage } from '../types.js';
import { OFFSET_OUTSIDE_CRC, type FramedMessages } from '../framed.js';

const HEADER = 8;
const FIXED = 20;
const INDEX_EVERY = 64;
const READ_CHUNK = 1 << 20;
const LENGTH = 0x7fffffff;

/** The payload length of a record's length word. */
const lengthOf = (word: number): number => word & LENGTH;
/** Where a record's CRC starts: after the offset when the record was framed off the main thread. */
const crcFrom = (word: number): number => (word & OFFSET_OUTSIDE_CRC ? HEADER + 8 : HEADER);

export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface LogOptions {
  /** Roll to a new segment once the active one exceeds this size. */
  segmentBytes: number;
  /** Delete the oldest segments while the partition is larger than this (0 = no size limit). */
  retentionBytes: number;
  /** Delete segments whose last write is older than this (0 = keep forever). */
  retentionMs: number;
  fsync: FsyncPolicy;
}

interface Segment {
  base: number;
  path: string;
  size: number;
  /** Sparse index: offsets[i] is at positions[i]. Built when the segment is first scanned. */
  offsets: number[];
  positions: number[];
  indexed: boolean;
}

const segmentName = (base: number): string => `${String(base).padStart(20, '0')}.log`;

export class PartitionLog {
  private readonly segments: Segment[] = [];
  private fd = -1;
  private dirty = false;
  nextOffset = 0;
  /** Where the record at `cursorOffset` starts, remembered from the last read so sequential reads never search. */
  private cursor = { offset: -1, segment: -1, position: 0 };

  constructor(
    readonly dir: string,
    private readonly options: LogOptions,
  ) {
    mkdirSync(dir, { recursive: true });
    const names = readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
    for (const name of names) {
      const path = join(dir, name);
      this.segments.push({ base: Number(name.slice(0, -4)), path, size: statSync(path).size, offsets: [], positions: [], indexed: false });
    }
    if (this.segments.length === 0) this.roll(0);
    else this.recoverActive();
  }

  get startOffset(): number {
    return this.segments[0]!.base;
  }

  /** Appends in one write; returns the offset of the first message. */
  append(messages: BusMessage[], now: number): number {
    let total = 0;
    // Headers are rare (traced records only): encoded up front, none = nothing extra.
    let heads: (Buffer | undefined)[] | undefined;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      total += HEADER + FIXED + (m.key?.length ?? 0) + m.value.length;
      if (m.headers) {
        const h = Buffer.from(JSON.stringify(m.headers));
        if (h.length > 0xffff) throw new Error('bus record headers larger than 64 KB');
        (heads ??= new Array<Buffer | undefined>(messages.length))[i] = h;
        total += 2 + h.length;
      }
    }
    const buf = Buffer.allocUnsafe(total);
    const active = this.segments[this.segments.length - 1]!;
    const first = this.nextOffset;
    let p = 0;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const h = heads?.[i];
      const keyLen = m.key ? m.key.length : -1;
      const len = FIXED + Math.max(keyLen, 0) + (h ? 2 + h.length : 0) + m.value.length;
      const offset = this.nextOffset++;
      if (offset % INDEX_EVERY === 0) {
        active.offsets.push(offset);
        active.positions.push(active.size + p);
      }
      buf.writeUInt32LE(len, p);
      buf.writeDoubleLE(offset, p + HEADER);
      buf.writeDoubleLE(m.timestamp ?? now, p + HEADER + 8);
      buf.writeInt32LE(h ? -keyLen - 3 : keyLen, p + HEADER + 16);
      let q = p + HEADER + FIXED;
      if (m.key) q += m.key.copy(buf, q);
      if (h) {
        q = buf.writeUInt16LE(h.length, q);
        q += h.copy(buf, q);
      }
      q += m.value.copy(buf, q);
      buf.writeUInt32LE(crc32(buf.subarray(p + HEADER, q)), p + 4);
      p = q;
    }
    this.written(active, buf);
    return first;
  }

  /**
   * Appends records `from .. to - 1` of `framed` (bus/framed.ts) in one write: stamps their offsets into
   * the bytes, which are then written as they are. Returns the offset of the first.
   */
  appendFramed(framed: FramedMessages, from: number, to: number): number {
    const active = this.segments[this.segments.length - 1]!;
    const { records, recordStart } = framed;
    const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
    const base = recordStart[from]!;
    const first = this.nextOffset;
    for (let i = from; i < to; i++) {
      const offset = this.nextOffset++;
      const at = recordStart[i]!;
      if (offset % INDEX_EVERY === 0) {
        active.offsets.push(offset);
        active.positions.push(active.size + at - base);
      }
      view.setFloat64(at + HEADER, offset, true);
    }
    this.written(active, records.subarray(base, recordStart[to]!));
    return first;
  }

  /** Writes `bytes` at the active segment's end, syncs as configured, rolls a full segment. */
  private written(active: Segment, bytes: Uint8Array): void {
    writeAll(this.fd, bytes, active.size);
    active.size += bytes.length;
    this.dirty = true;
    if (this.options.fsync === 'always') this.sync();
    if (active.size >= this.options.segmentBytes) {
      this.sync();
      this.roll(this.nextOffset);
    }
  }

  sync(): void {
    if (this.dirty) fsyncSync(this.fd);
    this.dirty = false;
  }

  /**
   * fsync off the event loop (policy 'interval'): a synchronous fsync of a second's appends blocks every
   * producer and consumer of the process for as long as the disk takes. It goes through a descriptor of
   * its own (fsync flushes the file, whichever descriptor asks), so a segment roll or close meanwhile
   * does not race it. On failure the log stays dirty: the next tick, or the close, tries again.
   */
  syncInBackground(): void {
    if (!this.dirty) return;
    this.dirty = false;
    fsyncInBackground(this.segments[this.segments.length - 1]!.path, () => (this.dirty = true));
  }

  /** Up to `max` messages from `offset` (clamped to the log start). */
  read(offset: number, max: number): ConsumedMessage[] {
    if (offset < this.startOffset) offset = this.startOffset;
    const out: ConsumedMessage[] = [];
    if (offset >= this.nextOffset) return out;
    let { segment: s, position } = this.locate(offset);
    let next = offset;
    while (out.length < max && s < this.segments.length) {
      const seg = this.segments[s]!;
      if (position >= seg.size) {
        // The end of the last segment stays the cursor: the next append continues there.
        if (s === this.segments.length - 1) break;
        s++;
        position = 0;
        continue;
      }
      const fd = s === this.segments.length - 1 ? this.fd : -1;
      const chunk = readAt(seg.path, fd, position, Math.min(seg.size - position, READ_CHUNK));
      let p = 0;
      while (out.length < max && p + HEADER <= chunk.length) {
        const len = lengthOf(chunk.readUInt32LE(p));
        if (p + HEADER + len > chunk.length) {
          if (p === 0) {
            // A record larger than the chunk: read exactly it.
            const whole = readAt(seg.path, fd, position, HEADER + len);
            out.push(parse(whole, 0, len));
            p = HEADER + len;
            next++;
          }
          break;
        }
        const m = parse(chunk, p, len);
        p += HEADER + len;
        if (m.offset >= next) {
          out.push(m);
          next = m.offset + 1;
        }
      }
      position += p;
    }
    this.cursor = { offset: next, segment: s, position };
    return out;
  }

  /** Deletes whole segments beyond the size or age limit (never the active one). */
  applyRetention(now: number): number {
    let removed = 0;
    const { retentionBytes, retentionMs } = this.options;
    let total = this.segments.reduce((a, s) => a + s.size, 0);
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const tooBig = retentionBytes > 0 && total > retentionBytes;
      const tooOld = retentionMs > 0 && statSync(oldest.path).mtimeMs < now - retentionMs;
      if (!tooBig && !tooOld) break;
      unlinkSync(oldest.path);
      this.segments.shift();
      total -= oldest.size;
      removed++;
      if (this.cursor.segment >= 0) this.cursor.segment--;
    }
    return removed;
  }

  close(): void {
    if (this.fd >= 0) {
      this.sync();
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  private roll(base: number): void {
    if (this.fd >= 0) closeSync(this.fd);
    const path = join(this.dir, segmentName(base));
    this.fd = openSync(path, 'a+');
    this.segments.push({ base, path, size: 0, offsets: [], positions: [], indexed: true });
  }

  private recoverActive(): void {
    const active = this.segments[this.segments.length - 1]!;
    this.fd = openSync(active.path, 'r+');
    const { valid, next } = this.scan(active);
    if (valid < active.size) {
      ftruncateSync(this.fd, valid);
      fsyncSync(this.fd);
      active.size = valid;
    }
    this.nextOffset = next;
    closeSync(this.fd);
    this.fd = openSync(active.path, 'a+');
    if (fstatSync(this.fd).size !== active.size) throw new Error(`segment ${active.path} changed while recovering`);
  }

  /** Builds the sparse index of a segment; returns the length of its valid prefix and the offset after it. */
  private scan(seg: Segment): { valid: number; next: number } {
    seg.offsets = [];
    seg.positions = [];
    seg.indexed = true;
    let position = 0;
    let expected = seg.base;
    while (position < seg.size) {
      const chunk = readAt(seg.path, -1, position, Math.min(seg.size - position, READ_CHUNK));
      let p = 0;
      while (p + HEADER <= chunk.length) {
        const word = chunk.readUInt32LE(p);
        const len = lengthOf(word);
        if (len < FIXED || p + HEADER + len > chunk.length) break;
        if (chunk.readUInt32LE(p + 4) !== crc32(chunk.subarray(p + crcFrom(word), p + HEADER + len))) return { valid: position + p, next: expected };
        if (chunk.readDoubleLE(p + HEADER) !== expected) return { valid: position + p, next: expected };
        if (expected % INDEX_EVERY === 0) {
          seg.offsets.push(expected);
          seg.positions.push(position + p);
        }
        expected++;
        p += HEADER + len;
      }
      if (p === 0) {
        // Either a torn tail or a record larger than the chunk.
        const word = chunk.readUInt32LE(0);
        const len = lengthOf(word);
        if (chunk.length < HEADER || position + HEADER + len > seg.size || len < FIXED) return { valid: position, next: expected };
        const whole = readAt(seg.path, -1, position, HEADER + len);
        if (whole.readUInt32LE(4) !== crc32(whole.subarray(crcFrom(word))) || whole.readDoubleLE(HEADER) !== expected) return { valid: position, next: expected };
        if (expected % INDEX_EVERY === 0) {
          seg.offsets.push(expected);
          seg.positions.push(position);
        }
        expected++;
        p = HEADER + len;
      }
      position += p;
    }
    seg.indexed = true;
    return { valid: position, next: expected };
  }

  private locate(offset: number): { segment: number; position: number } {
    if (offset === this.cursor.offset && this.cursor.segment >= 0) return this.cursor;
    let s = this.segments.length - 1;
    while (s > 0 && this.segments[s]!.base > offset) s--;
    const seg = this.segments[s]!;
    if (!seg.indexed) this.scan(seg);
    let i = seg.offsets.length - 1;
    while (i > 0 && seg.offsets[i]! > offset) i--;
    return i >= 0 && seg.offsets[i]! <= offset ? { segment: s, position: seg.positions[i]! } : { segment: s, position: 0 };
  }
}

/** fsync(2) of `path` on libuv's thread pool; `failed` runs when it could not be done. */
export function fsyncInBackground(path: string, failed: () => void): void {
  open(path, 'r', (e, fd) => {
    if (e) return failed();
    fsync(fd, (e2) => {
      close(fd, () => {});
      if (e2) failed();
    });
  });
}

function parse(chunk: Buffer, p: number, len: number): ConsumedMessage {
  const offset = chunk.readDoubleLE(p + HEADER);
  const timestamp = chunk.readDoubleLE(p + HEADER + 8);
  const field = chunk.readInt32LE(p + HEADER + 16);
  const keyLen = field <= -2 ? -field - 3 : field;
  const k = p + HEADER + FIXED;
  const key = keyLen < 0 ? null : chunk.subarray(k, k + keyLen);
  let v = k + Math.max(keyLen, 0);
  if (field > -2) return { key, value: chunk.subarray(v, p + HEADER + len), timestamp, offset };
  const n = chunk.readUInt16LE(v);
  const headers = JSON.parse(chunk.toString('utf8', v + 2, v + 2 + n)) as Record<string, string>;
  v += 2 + n;
  return { key, value: chunk.subarray(v, p + HEADER + len), timestamp, offset, headers };
}

function readAt(path: string, fd: number, position: number, length: number): Buffer {
  const own = fd < 0;
  const f = own ? openSync(path, 'r') : fd;
  try {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(f, buf, got, length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    return got === length ? buf : buf.subarray(0, got);
  } finally {
    if (own) closeSync(f);
  }
}

function writeAll(fd: number, buf: Uint8Array, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}
