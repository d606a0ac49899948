/**
 * Splits a TCP byte stream into WPDUs. Chunks arrive in arbitrary sizes: a WPDU contained in one chunk is
 * returned as a view of it; only a WPDU spanning chunks is copied, into a buffer of exactly its length.
 * The stream has no flags to resynchronise on, so a bad version or an oversize length throws a DlmsError
 * (offset = position in the stream) and the connection must be dropped; `reset()` starts over.
 */
import { decodeWrapperHeader, WRAPPER_HEADER_SIZE, WRAPPER_MAX_LENGTH, type WrapperHeader, type Wpdu } from './wpdu.js';
import { allocBytes } from '../bytes.js';

export interface WrapperAssemblerOptions {
  /** Largest APDU accepted (default 65535, the most the length field can say). */
  maxApduSize?: number;
}

export class WrapperAssembler {
  private readonly maxLength: number;
  private readonly header = new Uint8Array(WRAPPER_HEADER_SIZE);
  private headerLength = 0;
  private pending: WrapperHeader | undefined;
  private body: Uint8Array | undefined;
  private bodyLength = 0;
  /** Stream position of the next chunk's first byte. */
  private streamOffset = 0;

  constructor(opts: WrapperAssemblerOptions = {}) {
    this.maxLength = Math.min(opts.maxApduSize ?? WRAPPER_MAX_LENGTH, WRAPPER_MAX_LENGTH);
  }

  push(chunk: Uint8Array): Wpdu[] {
    const out: Wpdu[] = [];
    let pos = 0;
    try {
      while (pos < chunk.length) {
        if (this.pending === undefined && this.headerLength === 0) {
          // Fast path: header (and maybe the whole APDU) within this chunk.
          if (chunk.length - pos < WRAPPER_HEADER_SIZE) {
            this.header.set(chunk.subarray(pos));
            this.headerLength = chunk.length - pos;
            pos = chunk.length;
            break;
          }
          const h = decodeWrapperHeader(chunk, pos, this.maxLength, this.streamOffset);
          const start = pos + WRAPPER_HEADER_SIZE;
          if (chunk.length - start >= h.length) {
            out.push({ sourceWPort: h.sourceWPort, destinationWPort: h.destinationWPort, apdu: chunk.subarray(start, start + h.length) });
            pos = start + h.length;
            continue;
          }
          this.startBody(h);
          pos = start;
        } else if (this.pending === undefined) {
          const n = Math.min(WRAPPER_HEADER_SIZE - this.headerLength, chunk.length - pos);
          this.header.set(chunk.subarray(pos, pos + n), this.headerLength);
          this.headerLength += n;
          pos += n;
          if (this.headerLength < WRAPPER_HEADER_SIZE) break;
          const headerAt = this.streamOffset + pos - WRAPPER_HEADER_SIZE;
          this.startBody(decodeWrapperHeader(this.header, 0, this.maxLength, headerAt));
        }
        if (this.pending !== undefined) {
          const n = Math.min(this.pending.length - this.bodyLength, chunk.length - pos);
          this.body!.set(chunk.subarray(pos, pos + n), this.bodyLength);
          this.bodyLength += n;
          pos += n;
          if (this.bodyLength === this.pending.length) {
            out.push({ sourceWPort: this.pending.sourceWPort, destinationWPort: this.pending.destinationWPort, apdu: this.body! });
            this.pending = undefined;
            this.body = undefined;
            this.headerLength = 0;
          }
        }
      }
    } finally {
      this.streamOffset += chunk.length;
    }
    return out;
  }

  reset(): void {
    this.headerLength = 0;
    this.pending = undefined;
    this.body = undefined;
    this.streamOffset = 0;
  }

  /** The header is known and the APDU continues in later chunks: collect it in a buffer of its length. */
  private startBody(h: WrapperHeader): void {
    this.pending = h;
    this.body = allocBytes(h.length);
    this.bodyLength = 0;
  }
}
