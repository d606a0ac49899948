/**
 * Link layers.
 *
 * Wireless M-Bus (EN 13757-4), the first block of every telegram:
 *
 *   L(1) C(1) M(2, LE) A(6) = ID(4, BCD, LSB first) version(1) device type(1)
 *
 *   frame format A   L counts the bytes after itself, CRCs excluded. Block 1 = L..A (10 bytes) + CRC;
 *                    then blocks of 16 bytes + CRC, the last one shorter + CRC.
 *   frame format B   L counts the bytes after itself, CRCs included. Block 1 = L..A (10 bytes, no CRC);
 *                    block 2 = up to byte 125 + CRC over bytes 0..125 (blocks 1 and 2); block 3 = the
 *                    rest + CRC over block 3 alone.
 *   CRC              crc.ts, high byte first.
 *
 * Gateways forward telegrams with their CRCs (as received) or without (already checked); `linkFormat`
 * tells them apart by the length the L field implies.
 *
 * Wired M-Bus (EN 13757-2), FT1.2 frames on the TCP stream of a converter:
 *
 *   single character  E5                                   (acknowledge)
 *   short frame       10 C A CS 16                         CS = C + A mod 256
 *   control frame     68 03 03 68 C A CI CS 16
 *   long frame        68 L L 68 C A CI data CS 16          L = bytes C..data, CS = their sum mod 256
 *
 *   C (master)  SND_NKE 0x40, SND_UD 0x53, REQ_UD2 0x5B, REQ_UD1 0x5A; FCB 0x20 toggles per new
 *               request, FCV 0x10 says the FCB counts
 *   C (slave)   RSP_UD 0x08 (+ ACD 0x20, DFC 0x10)
 *   A           1-250 primary address, 0xFD the slave selected by secondary address, 0xFE / 0xFF broadcast
 */
import { CRC_TABLE, crc16, crcMatches } from './crc.js';
import { MbusError } from './errors.js';

export type FrameFormat = 'A' | 'B' | 'none';

/** Bytes of the wireless link layer header (L C M A). */
export const LINK_HEADER = 10;

export const C_SND_NKE = 0x40;
export const C_SND_UD = 0x53;
export const C_REQ_UD2 = 0x5b;
export const C_REQ_UD1 = 0x5a;
export const C_RSP_UD = 0x08;
export const C_FCB = 0x20;
export const C_FCV = 0x10;
export const ACK = 0xe5;
export const ADDRESS_SELECTED = 0xfd;
export const ADDRESS_BROADCAST_REPLY = 0xfe;
export const ADDRESS_BROADCAST = 0xff;

/** wM-Bus C fields (EN 13757-4 Table 4) by name, for the translator. */
const WIRELESS_C: Record<number, string> = {
  0x40: 'SND_NKE', 0x44: 'SND_NR', 0x46: 'SND_IR', 0x47: 'ACC_NR', 0x48: 'ACC_DMD', 0x53: 'SND_UD', 0x73: 'SND_UD',
  0x5a: 'REQ_UD1', 0x7a: 'REQ_UD1', 0x5b: 'REQ_UD2', 0x7b: 'REQ_UD2', 0x00: 'ACK', 0x01: 'NACK', 0x06: 'CNF_IR',
  0x08: 'RSP_UD', 0x18: 'RSP_UD', 0x28: 'RSP_UD', 0x38: 'RSP_UD',
};
export function controlName(c: number): string {
  return WIRELESS_C[c] ?? `0x${c.toString(16).padStart(2, '0')}`;
}

/** Bytes a format A telegram with this L field occupies, CRCs included. */
export function formatALength(l: number): number {
  const after = l - 9; // bytes after block 1
  return LINK_HEADER + 2 + after + 2 * Math.ceil(after / 16);
}

/**
 * Which link-layer CRCs `b` carries, from the length its L field implies: L + 1 bytes is either no CRC
 * or format B (format B when its CRCs check); the format A length is format A.
 */
export function linkFormat(b: Uint8Array): FrameFormat {
  if (b.length < 1) throw new MbusError('MBUS_ERR_TRUNCATED', 'empty telegram', 0);
  const l = b[0]!;
  if (l < 9) throw new MbusError('MBUS_ERR_LENGTH', `L field ${l} is shorter than the link-layer header`, 0);
  if (b.length === l + 1) return formatBChecks(b) ? 'B' : 'none';
  if (b.length === formatALength(l)) return 'A';
  throw new MbusError(
    'MBUS_ERR_LENGTH',
    `L field ${l} means ${l + 1} bytes (no CRC or frame format B) or ${formatALength(l)} (frame format A), got ${b.length}`,
    0,
  );
}

function formatBChecks(b: Uint8Array): boolean {
  const n = b.length;
  if (n < 12) return false;
  if (n <= 128) return crcMatches(b, 0, n - 2);
  return crcMatches(b, 0, 126) && n >= 131 && crcMatches(b, 128, n - 2);
}

/**
 * The telegram without its link-layer CRCs, into `out` (at least `b.length` bytes); returns the length.
 * The L field of the result counts the bytes after it (as in format A). Throws MBUS_ERR_CRC naming the
 * first block that fails.
 */
export function stripCrcs(b: Uint8Array, format: 'A' | 'B', out: Uint8Array): number {
  const n = b.length;
  let o = 0;
  if (format === 'A') {
    if (n < LINK_HEADER + 2) throw new MbusError('MBUS_ERR_TRUNCATED', 'format A telegram shorter than its first block', n);
    if (copyChecked(b, 0, LINK_HEADER, out, 0)) throw new MbusError('MBUS_ERR_CRC', 'CRC of block 1 (frame format A) does not match', LINK_HEADER);
    o = LINK_HEADER;
    let p = LINK_HEADER + 2;
    let block = 2;
    while (p < n) {
      const size = Math.min(16, n - p - 2);
      if (size <= 0) throw new MbusError('MBUS_ERR_TRUNCATED', `block ${block} has no room for its CRC`, p);
      if (copyChecked(b, p, size, out, o)) throw new MbusError('MBUS_ERR_CRC', `CRC of block ${block} (frame format A) does not match`, p + size);
      o += size;
      p += size + 2;
      block++;
    }
  } else {
    if (n < 12) throw new MbusError('MBUS_ERR_TRUNCATED', 'format B telegram shorter than two blocks', n);
    const end2 = n <= 128 ? n - 2 : 126;
    if (copyChecked(b, 0, end2, out, 0)) throw new MbusError('MBUS_ERR_CRC', 'CRC of block 2 (frame format B) does not match', end2);
    o = end2;
    if (n > 128) {
      if (n < 131) throw new MbusError('MBUS_ERR_TRUNCATED', 'block 3 (frame format B) has no room for its CRC', 128);
      if (copyChecked(b, 128, n - 130, out, o)) throw new MbusError('MBUS_ERR_CRC', 'CRC of block 3 (frame format B) does not match', n - 2);
      o += n - 130;
    }
  }
  out[0] = o - 1;
  return o;
}

/** Copies `b[from..from+size)` to `out[to..]` while computing its CRC; true when the CRC after it does not match. */
function copyChecked(b: Uint8Array, from: number, size: number, out: Uint8Array, to: number): boolean {
  let c = 0;
  for (let i = 0; i < size; i++) {
    const x = b[from + i]!;
    out[to + i] = x;
    c = (CRC_TABLE[((c >>> 8) ^ x) & 0xff]! ^ (c << 8)) & 0xffff;
  }
  const end = from + size;
  return (c ^ 0xffff) !== ((b[end]! << 8) | b[end + 1]!);
}

/** Adds the link-layer CRCs of `format` to a telegram without them (whose L field counts the bytes after it). */
export function addCrcs(t: Uint8Array, format: 'A' | 'B'): Uint8Array {
  if (t.length < LINK_HEADER) throw new MbusError('MBUS_ERR_ENCODE', 'a telegram has at least the 10-byte link-layer header');
  const parts: Uint8Array[] = [];
  const withCrc = (b: Uint8Array): Uint8Array => {
    const out = new Uint8Array(b.length + 2);
    out.set(b);
    const c = crc16(b);
    out[b.length] = c >> 8;
    out[b.length + 1] = c & 0xff;
    return out;
  };
  // L counts the bytes after it; in format B the CRCs too: 2 for a telegram of up to 126 bytes, 4 above.
  const body = Uint8Array.from(t);
  const l = t.length - 1 + (format === 'A' ? 0 : t.length <= 126 ? 2 : 4);
  if (l > 255) throw new MbusError('MBUS_ERR_ENCODE', `a telegram of ${t.length} bytes does not fit the L field`);
  body[0] = l;
  if (format === 'A') {
    parts.push(withCrc(body.subarray(0, LINK_HEADER)));
    for (let p = LINK_HEADER; p < body.length; p += 16) parts.push(withCrc(body.subarray(p, Math.min(body.length, p + 16))));
  } else {
    parts.push(withCrc(body.subarray(0, Math.min(126, body.length))));
    if (body.length > 126) parts.push(withCrc(body.subarray(126)));
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** The 8 BCD digits of an ID field (A bytes 0..3, or a TPL long header), as text; hex when not BCD. */
export function idText(b: Uint8Array, p: number): string {
  return HEX_BYTE[b[p + 3]!]! + HEX_BYTE[b[p + 2]!]! + HEX_BYTE[b[p + 1]!]! + HEX_BYTE[b[p]!]!;
}
const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

/** Little-endian u16. */
export const u16 = (b: Uint8Array, p: number): number => b[p]! | (b[p + 1]! << 8);
/** Little-endian u32. */
export const u32 = (b: Uint8Array, p: number): number => (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;

// ---- wired M-Bus (EN 13757-2) ----

export type WiredFrame =
  | { type: 'ack' }
  | { type: 'short'; c: number; a: number }
  | { type: 'control' | 'long'; c: number; a: number; ci: number; /** Application data after the CI. */ data: Uint8Array };

/**
 * Bytes of the wired frame that starts at `b[at]`: the frame's length when it is complete, 0 when more
 * bytes are needed, -1 when `b[at]` does not start a frame (the caller skips the byte: line noise).
 */
export function wiredFrameLength(b: Uint8Array, at = 0): number {
  const n = b.length - at;
  if (n < 1) return 0;
  const start = b[at]!;
  if (start === ACK) return 1;
  if (start === 0x10) return n < 5 ? 0 : 5;
  if (start !== 0x68) return -1;
  if (n < 4) return 0;
  if (b[at + 1] !== b[at + 2] || b[at + 3] !== 0x68 || b[at + 1]! < 3) return -1;
  const total = b[at + 1]! + 6;
  return n < total ? 0 : total;
}

/** Decodes one complete wired frame (`b` holds exactly the frame). Throws MBUS_ERR_FRAME on a bad checksum or stop byte. */
export function decodeWiredFrame(b: Uint8Array): WiredFrame {
  const len = wiredFrameLength(b, 0);
  if (len < 0) throw new MbusError('MBUS_ERR_FRAME', `0x${(b[0] ?? 0).toString(16)} does not start a wired M-Bus frame (E5, 10 or 68)`, 0);
  if (len === 0) throw new MbusError('MBUS_ERR_TRUNCATED', `the frame needs more than the ${b.length} bytes given`, b.length);
  if (len !== b.length) throw new MbusError('MBUS_ERR_LENGTH', `the frame is ${len} bytes, ${b.length} given`, len);
  if (len === 1) return { type: 'ack' };
  const sumFrom = len === 5 ? 1 : 4;
  const sumTo = len - 2;
  let cs = 0;
  for (let i = sumFrom; i < sumTo; i++) cs = (cs + b[i]!) & 0xff;
  if (cs !== b[sumTo]) throw new MbusError('MBUS_ERR_FRAME', `checksum 0x${b[sumTo]!.toString(16)} does not match 0x${cs.toString(16)}`, sumTo);
  if (b[len - 1] !== 0x16) throw new MbusError('MBUS_ERR_FRAME', `stop byte 0x${b[len - 1]!.toString(16)} instead of 0x16`, len - 1);
  if (len === 5) return { type: 'short', c: b[1]!, a: b[2]! };
  return { type: len === 9 ? 'control' : 'long', c: b[4]!, a: b[5]!, ci: b[6]!, data: b.subarray(7, len - 2) };
}

/** A short frame: 10 C A CS 16. */
export function encodeShortFrame(c: number, a: number): Uint8Array {
  return Uint8Array.of(0x10, c, a, (c + a) & 0xff, 0x16);
}

/** A long (or, with no data, control) frame: 68 L L 68 C A CI data CS 16. */
export function encodeLongFrame(c: number, a: number, ci: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const l = 3 + data.length;
  if (l > 255) throw new MbusError('MBUS_ERR_ENCODE', `a long frame carries at most 252 data bytes, got ${data.length}`);
  const out = new Uint8Array(l + 6);
  out[0] = 0x68;
  out[1] = l;
  out[2] = l;
  out[3] = 0x68;
  out[4] = c;
  out[5] = a;
  out[6] = ci;
  out.set(data, 7);
  let cs = 0;
  for (let i = 4; i < 4 + l; i++) cs = (cs + out[i]!) & 0xff;
  out[4 + l] = cs;
  out[5 + l] = 0x16;
  return out;
}

/** True when `b` looks like a wired frame rather than a wireless telegram (start byte and length agree). */
export function isWiredFrame(b: Uint8Array): boolean {
  if (b.length === 1 && b[0] === ACK) return true;
  if (b.length === 5 && b[0] === 0x10 && b[4] === 0x16) return true;
  return b.length >= 9 && b[0] === 0x68 && b[3] === 0x68 && b[1] === b[2] && b[1]! + 6 === b.length && b[b.length - 1] === 0x16;
}
