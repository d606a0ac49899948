import { allocBytes } from '../bytes.js';
import { DlmsError } from '../errors.js';

/** A growable big-endian byte sink. `finish()` returns a view of what was written. */
export class Writer {
  private buf: Uint8Array;
  /** Only for floats and 64-bit integers: most APDUs have none. */
  private dataView: DataView | undefined;
  pos = 0;

  constructor(initial = 256) {
    this.buf = allocBytes(initial);
  }

  private grow(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = Math.max(this.buf.length * 2, 16);
    while (size < this.pos + n) size *= 2;
    const next = allocBytes(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dataView = undefined;
  }

  private get view(): DataView {
    return (this.dataView ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  u8(v: number): this {
    this.grow(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.grow(2);
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  i16(v: number): this {
    return this.u16(v < 0 ? v + 0x10000 : v);
  }

  u32(v: number): this {
    this.grow(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
    this.pos = p + 4;
    return this;
  }

  i32(v: number): this {
    return this.u32(v >>> 0);
  }

  u64(v: bigint): this {
    this.grow(8);
    this.view.setBigUint64(this.pos, v, false);
    this.pos += 8;
    return this;
  }

  i64(v: bigint): this {
    this.grow(8);
    this.view.setBigInt64(this.pos, v, false);
    this.pos += 8;
    return this;
  }

  f32(v: number): this {
    this.grow(4);
    this.view.setFloat32(this.pos, v, false);
    this.pos += 4;
    return this;
  }

  f64(v: number): this {
    this.grow(8);
    this.view.setFloat64(this.pos, v, false);
    this.pos += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.grow(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** A-XDR / BER definite length. */
  length(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new DlmsError('DLMS_ERR_ENCODE', `invalid length ${n}`);
    if (n < 0x80) return this.u8(n);
    if (n <= 0xff) return this.u8(0x81).u8(n);
    if (n <= 0xffff) return this.u8(0x82).u16(n);
    if (n <= 0xffffff) return this.u8(0x83).u8(n >>> 16).u16(n & 0xffff);
    return this.u8(0x84).u32(n);
  }

  /** Reserve `n` bytes to be patched later (e.g. a length known only after the content). */
  reserve(n: number): number {
    this.grow(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  setU8(at: number, v: number): void {
    this.buf[at] = v & 0xff;
  }

  setU16(at: number, v: number): void {
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }

  /** Bytes written so far (a view; valid until the next write). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of the bytes written, safe to keep after further writes. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Encode a hex string (spaces, colons and 0x prefixes allowed) into bytes. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/0x/gi, '').replace(/[\s:,-]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new DlmsError('DLMS_ERR_VALUE', 'invalid hex string');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0').toUpperCase());

export function toHex(b: Uint8Array, sep = ''): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += i > 0 && sep ? sep + HEX[b[i]!]! : HEX[b[i]!]!;
  return s;
}
