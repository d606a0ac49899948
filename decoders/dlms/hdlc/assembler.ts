/**
 * Finds HDLC frames in a byte stream (TCP, serial) that arrives in arbitrary chunks.
 *
 * A frame starts after a 0x7E flag with a type-3 format byte (0xA_), its 11-bit length says where the
 * closing flag must be, and that flag may open the next frame. Bytes that are not part of a frame are
 * reported as skipped; repeated flags (inter-frame fill) are dropped silently. A candidate whose closing flag
 * is not where its length says is dropped byte by byte until the stream is in step again.
 *
 * Frames are returned without their flags, ready for `decodeFrame` (which checks HCS/FCS). A frame that
 * lies within one chunk is a view of that chunk; only a frame spanning chunks is copied, from a buffer of
 * at most `maxFrameLength` + 1 bytes, so the assembler never grows without bound.
 */
import { HDLC_FLAG, HDLC_MAX_FRAME_LENGTH, HDLC_MIN_FRAME_LENGTH } from './frame.js';

export type HdlcStreamItem =
  | { kind: 'frame'; frame: Uint8Array }
  | { kind: 'skipped'; bytes: Uint8Array };

export interface HdlcAssemblerOptions {
  /** Largest frame length accepted (bytes between the flags); at most 2047. */
  maxFrameLength?: number;
}

export class HdlcFrameAssembler {
  private readonly maxFrameLength: number;
  /** The last byte seen was a flag that may open a frame. */
  private flagSeen = false;
  /** A frame candidate cut by the end of a chunk: content bytes (no opening flag) and the closing flag. */
  private partial: Uint8Array | undefined;
  private partialLength = 0;

  constructor(opts: HdlcAssemblerOptions = {}) {
    this.maxFrameLength = Math.min(opts.maxFrameLength ?? HDLC_MAX_FRAME_LENGTH, HDLC_MAX_FRAME_LENGTH);
  }

  /** Frames and skipped garbage found with this chunk, in stream order. */
  push(chunk: Uint8Array): HdlcStreamItem[] {
    const out: HdlcStreamItem[] = [];
    let pos = 0;
    while (this.partialLength > 0 && pos < chunk.length) pos = this.continuePartial(chunk, pos, out);
    if (pos < chunk.length) this.scan(chunk, pos, chunk.length, out);
    return out;
  }

  /** Forget any buffered bytes (e.g. after the connection was reset). */
  reset(): void {
    this.flagSeen = false;
    this.partialLength = 0;
  }

  private frameLength(b0: number, b1: number): number {
    return ((b0 & 0x07) << 8) | b1;
  }

  private validLength(n: number): boolean {
    return n >= HDLC_MIN_FRAME_LENGTH && n <= this.maxFrameLength;
  }

  /** Scan buf[from, to) with no partial candidate pending. */
  private scan(buf: Uint8Array, from: number, to: number, out: HdlcStreamItem[]): void {
    let garbage = -1;
    let afterFlag = this.flagSeen;
    let i = from;
    const flush = (at: number) => {
      if (garbage >= 0) out.push({ kind: 'skipped', bytes: buf.subarray(garbage, at) });
      garbage = -1;
    };
    while (i < to) {
      const b = buf[i]!;
      if (b === HDLC_FLAG) {
        flush(i);
        afterFlag = true;
        i++;
        continue;
      }
      if (afterFlag && (b & 0xf0) === 0xa0) {
        afterFlag = false;
        if (i + 1 >= to) {
          this.keepPartial(buf, i, to);
          return;
        }
        const length = this.frameLength(b, buf[i + 1]!);
        if (this.validLength(length)) {
          const closing = i + length;
          if (closing >= to) {
            this.keepPartial(buf, i, to);
            return;
          }
          if (buf[closing] === HDLC_FLAG) {
            out.push({ kind: 'frame', frame: buf.subarray(i, closing) });
            i = closing; // the closing flag may open the next frame
            continue;
          }
        }
      }
      afterFlag = false;
      if (garbage < 0) garbage = i;
      i++;
    }
    flush(to);
    this.flagSeen = afterFlag;
  }

  private keepPartial(buf: Uint8Array, from: number, to: number): void {
    this.partial ??= new Uint8Array(this.maxFrameLength + 1);
    this.partial.set(buf.subarray(from, to), 0);
    this.partialLength = to - from;
    this.flagSeen = false;
  }

  /** Feed chunk bytes from `pos` into the pending candidate; returns the new position in the chunk. */
  private continuePartial(chunk: Uint8Array, pos: number, out: HdlcStreamItem[]): number {
    const p = this.partial!;
    if (this.partialLength === 1) {
      p[1] = chunk[pos++]!;
      this.partialLength = 2;
      if (!this.validLength(this.frameLength(p[0]!, p[1]!))) {
        this.resync(out);
        return pos;
      }
    }
    const need = this.frameLength(p[0]!, p[1]!) + 1; // content and closing flag
    const n = Math.min(need - this.partialLength, chunk.length - pos);
    p.set(chunk.subarray(pos, pos + n), this.partialLength);
    this.partialLength += n;
    pos += n;
    if (this.partialLength === need) {
      if (p[need - 1] === HDLC_FLAG) {
        out.push({ kind: 'frame', frame: p.slice(0, need - 1) });
        this.partialLength = 0;
        this.flagSeen = true;
      } else {
        this.resync(out);
      }
    }
    return pos;
  }

  /** The pending candidate was not a frame: rescan its bytes after the first as fresh input. */
  private resync(out: HdlcStreamItem[]): void {
    const bytes = this.partial!.slice(0, this.partialLength);
    this.partialLength = 0;
    this.flagSeen = false;
    this.scan(bytes, 0, bytes.length, out);
  }
}
