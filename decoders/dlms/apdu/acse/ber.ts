/**
 * The slice of BER (ITU-T X.690) that the ACSE APDUs use: single-byte tags (every ACSE tag number is
 * below 31), definite lengths in short or long form (indefinite lengths are rejected by
 * Reader.length), INTEGER, BIT STRING, OCTET STRING and OBJECT IDENTIFIER contents.
 *
 * Decoders work on bounded sub-readers over the same buffer, so every DlmsError offset is absolute
 * in the caller's input and no element can read past its declared end.
 */
import { DlmsError } from '../../errors.js';
import { Reader } from '../../axdr/reader.js';
import type { Writer } from '../../axdr/writer.js';
import type { BitString } from '../../axdr/types.js';
import { hex2 } from '../../security/tags.js';

export const BerTag = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  objectIdentifier: 0x06,
} as const;

/** Reads `tag` and a length at r.pos; returns a reader over the content and moves r past it. */
export function openElement(r: Reader, tag: number, what: string): Reader {
  const at = r.pos;
  const got = r.u8(`${what} tag`);
  if (got !== tag) throw new DlmsError('DLMS_ERR_TAG', `${what}: expected tag ${hex2(tag)}, got ${hex2(got)}`, at);
  return openContent(r, what);
}

/** Reads a length at r.pos (the tag already consumed); returns a reader over the content. */
export function openContent(r: Reader, what: string): Reader {
  const n = r.length(`${what} length`);
  const content = new Reader(r.buf, r.pos, r.pos + n);
  r.pos += n;
  return content;
}

/** The single element inside an EXPLICIT wrapper: it must have `tag` and fill the wrapper exactly. */
export function explicitInner(wrapper: Reader, tag: number, what: string): Reader {
  const inner = openElement(wrapper, tag, what);
  wrapper.done(`end of ${what}`);
  return inner;
}

/** BER INTEGER content, two's complement; up to 6 bytes so the value stays a safe JS number. */
export function readInteger(c: Reader, what: string): number {
  const n = c.remaining;
  if (n < 1 || n > 6) throw new DlmsError('DLMS_ERR_LENGTH', `${what}: INTEGER of ${n} bytes (1..6 supported)`, c.pos);
  let v = c.i8(what);
  for (let i = 1; i < n; i++) v = v * 256 + c.u8(what);
  return v;
}

/** BIT STRING content: the unused-bits count, then the bits (a view into the input). */
export function readBitString(c: Reader, what: string): BitString {
  const at = c.pos;
  const unused = c.u8(`${what} unused-bits count`);
  if (unused > 7 || (unused > 0 && c.remaining === 0)) {
    throw new DlmsError('DLMS_ERR_VALUE', `${what}: invalid unused-bits count ${unused}`, at);
  }
  const bytes = c.bytes(c.remaining, what);
  return { length: bytes.length * 8 - unused, bytes };
}

/**
 * OBJECT IDENTIFIER content as its arcs (X.690 §8.19). Also the octet-string form of the Association LN
 * application_context_name and authentication_mechanism_name attributes (cosem/association-ln.ts).
 */
export function readOidArcs(c: Reader, what: string): number[] {
  if (c.remaining === 0) throw new DlmsError('DLMS_ERR_LENGTH', `${what}: empty OBJECT IDENTIFIER`, c.pos);
  const arcs: number[] = [];
  while (c.remaining > 0) {
    const at = c.pos;
    let v = 0;
    let b = c.u8(what);
    if (b === 0x80) throw new DlmsError('DLMS_ERR_VALUE', `${what}: sub-identifier with a leading 0x80 (not minimal)`, at);
    for (;;) {
      v = v * 128 + (b & 0x7f);
      if (v > 2 ** 45) throw new DlmsError('DLMS_ERR_VALUE', `${what}: sub-identifier too large`, at);
      if ((b & 0x80) === 0) break;
      if (c.remaining === 0) throw new DlmsError('DLMS_ERR_TRUNCATED', `${what}: OBJECT IDENTIFIER ends inside a sub-identifier`, c.pos);
      b = c.u8(what);
    }
    if (arcs.length === 0) {
      // The first sub-identifier packs the first two arcs as X * 40 + Y (X.690 §8.19.4).
      const x = v < 40 ? 0 : v < 80 ? 1 : 2;
      arcs.push(x, v - 40 * x);
    } else arcs.push(v);
  }
  return arcs;
}

/** OBJECT IDENTIFIER content as dotted text ("2.16.756.5.8.1.1"). */
export function readOid(c: Reader, what: string): string {
  return readOidArcs(c, what).join('.');
}

/** GraphicString content as text, one character per byte (ISO 8859-1), so any bytes round-trip. */
export function readLatin1(c: Reader, what: string): string {
  const b = c.bytes(c.remaining, what);
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** Throws DLMS_ERR_ENCODE unless v is an integer in [min, max]. */
export function checkInt(v: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new DlmsError('DLMS_ERR_ENCODE', `${what}: ${v} is not an integer in ${min}..${max}`);
  }
}

/**
 * Writes `tag`, a definite length and whatever `content` writes. The length is patched in place
 * when the content is short (the usual case); a long content is moved to make room for the long form.
 */
export function writeElement(w: Writer, tag: number, content: (w: Writer) => void): void {
  w.u8(tag);
  const lengthAt = w.reserve(1);
  content(w);
  const n = w.pos - lengthAt - 1;
  if (n < 0x80) {
    w.setU8(lengthAt, n);
    return;
  }
  const body = w.finish().slice(lengthAt + 1);
  w.pos = lengthAt;
  w.length(n).bytes(body);
}

export function writeOctets(w: Writer, tag: number, b: Uint8Array): void {
  w.u8(tag).length(b.length).bytes(b);
}

export function writeInteger(w: Writer, tag: number, v: number, what: string): void {
  checkInt(v, -(2 ** 47), 2 ** 47 - 1, what);
  let n = 1;
  while (v < -(2 ** (8 * n - 1)) || v >= 2 ** (8 * n - 1)) n++;
  let u = v < 0 ? v + 2 ** (8 * n) : v;
  w.u8(tag).u8(n);
  const at = w.reserve(n);
  for (let i = n - 1; i >= 0; i--) {
    w.setU8(at + i, u % 256);
    u = Math.floor(u / 256);
  }
}

export function writeBitString(w: Writer, tag: number, bs: BitString, what: string): void {
  const unused = bs.bytes.length * 8 - bs.length;
  if (unused < 0 || unused > 7 || (unused > 0 && bs.bytes.length === 0)) {
    throw new DlmsError('DLMS_ERR_ENCODE', `${what}: ${bs.length} bits do not fit ${bs.bytes.length} byte(s)`);
  }
  w.u8(tag).length(bs.bytes.length + 1).u8(unused).bytes(bs.bytes);
}

export function writeOid(w: Writer, tag: number, oid: string, what: string): void {
  const arcs = oid.split('.').map((a) => (/^\d+$/.test(a) ? Number(a) : NaN));
  checkOidArcs(arcs, what, oid);
  writeElement(w, tag, (w) => writeOidContent(w, arcs));
}

/** Throws DLMS_ERR_ENCODE unless `arcs` can be written as an OBJECT IDENTIFIER. */
export function checkOidArcs(arcs: readonly number[], what: string, shown = arcs.join('.')): void {
  const [x, y] = arcs;
  if (
    arcs.length < 2 ||
    arcs.some((a) => !Number.isSafeInteger(a) || a < 0 || a > 2 ** 45) ||
    x! > 2 ||
    (x! < 2 && y! >= 40) ||
    y! > 2 ** 45 - 80
  ) {
    throw new DlmsError('DLMS_ERR_ENCODE', `${what}: invalid OBJECT IDENTIFIER "${shown}"`);
  }
}

/** OBJECT IDENTIFIER content (no tag, no length) of arcs that passed checkOidArcs. */
export function writeOidContent(w: Writer, arcs: readonly number[]): void {
  writeSubIdentifier(w, arcs[0]! * 40 + arcs[1]!);
  for (let i = 2; i < arcs.length; i++) writeSubIdentifier(w, arcs[i]!);
}

function writeSubIdentifier(w: Writer, v: number): void {
  let groups = 1;
  while (v >= 128 ** groups) groups++;
  for (let g = groups - 1; g >= 0; g--) {
    const seven = Math.floor(v / 128 ** g) % 128;
    w.u8(g > 0 ? seven | 0x80 : seven);
  }
}

export function writeLatin1(w: Writer, tag: number, s: string, what: string): void {
  w.u8(tag).length(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new DlmsError('DLMS_ERR_ENCODE', `${what}: character U+${c.toString(16)} is not one byte`);
    w.u8(c);
  }
}
