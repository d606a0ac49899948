import { DlmsError } from '../errors.js';

/**
 * A cursor over bytes. Every read checks the bound first, so a truncated or lying input raises a
 * DlmsError naming the offset instead of reading garbage or allocating what a length field claims.
 * `bytes()` returns a view into the input, never a copy.
 */
export class Reader {
  pos: number;
  readonly end: number;
  private view: DataView | undefined;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new DlmsError(
        'DLMS_ERR_TRUNCATED',
        `expected ${what} (${n} byte${n === 1 ? '' : 's'}), ${this.end - this.pos} left`,
        this.pos,
      );
    }
  }

  u8(what = 'a byte'): number {
    if (this.pos >= this.end) this.need(1, what);
    return this.buf[this.pos++]!;
  }

  peek(what = 'a byte'): number {
    if (this.pos >= this.end) this.need(1, what);
    return this.buf[this.pos]!;
  }

  i8(what = 'integer'): number {
    const v = this.u8(what);
    return v > 127 ? v - 256 : v;
  }

  u16(what = 'long-unsigned'): number {
    this.need(2, what);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  i16(what = 'long'): number {
    const v = this.u16(what);
    return v > 0x7fff ? v - 0x10000 : v;
  }

  u32(what = 'double-long-unsigned'): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }

  i32(what = 'double-long'): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }

  u64(what = 'long64-unsigned'): bigint {
    this.need(8, what);
    const v = this.dataView().getBigUint64(this.pos, false);
    this.pos += 8;
    return v;
  }

  i64(what = 'long64'): bigint {
    this.need(8, what);
    const v = this.dataView().getBigInt64(this.pos, false);
    this.pos += 8;
    return v;
  }

  f32(what = 'float32'): number {
    this.need(4, what);
    const v = this.dataView().getFloat32(this.pos, false);
    this.pos += 4;
    return v;
  }

  f64(what = 'float64'): number {
    this.need(8, what);
    const v = this.dataView().getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }

  /** A view of the next n bytes (no copy). */
  bytes(n: number, what = 'octets'): Uint8Array {
    this.need(n, what);
    const p = this.pos;
    this.pos = p + n;
    return this.buf.subarray(p, p + n);
  }

  skip(n: number, what = 'octets'): void {
    this.need(n, what);
    this.pos += n;
  }

  /**
   * A-XDR / BER definite length: one byte < 0x80, or 0x8N followed by N big-endian bytes (N ≤ 4).
   * The value is checked against the bytes left when `bounded` (the default), since every length we
   * read counts something that is at least one byte long.
   */
  length(what = 'length', bounded = true): number {
    const at = this.pos;
    const first = this.u8(what);
    let n: number;
    if (first < 0x80) n = first;
    else {
      const k = first & 0x7f;
      if (k === 0 || k > 4) throw new DlmsError('DLMS_ERR_LENGTH', `${what}: invalid length form 0x${first.toString(16)}`, at);
      this.need(k, what);
      n = 0;
      for (let i = 0; i < k; i++) n = n * 256 + this.buf[this.pos++]!;
    }
    if (bounded && n > this.end - this.pos) {
      throw new DlmsError('DLMS_ERR_LENGTH', `${what} ${n} exceeds the ${this.end - this.pos} bytes left`, at);
    }
    return n;
  }

  /** Throws unless the cursor is at the end: a complete structure must not leave bytes behind. */
  done(what = 'end of data'): void {
    if (this.pos !== this.end) {
      throw new DlmsError('DLMS_ERR_TRAILING', `expected ${what}, ${this.end - this.pos} byte(s) left`, this.pos);
    }
  }

  private dataView(): DataView {
    return (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }
}
