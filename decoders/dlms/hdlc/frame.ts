/**
 * HDLC frame format type 3 (IEC 62056-46 / ISO/IEC 13239):
 *
 *   7E | format (2) | destination (1|2|4) | source (1|2|4) | control (1) | [HCS (2) | information (n)] | FCS (2) | 7E
 *
 *   format   1010 S LLL LLLLLLLL: type 3, S = segmentation (more segments follow), L = 11-bit count of the
 *            bytes between the flags.
 *   address  7 bits per byte, the lowest bit is the extension bit (1 on the last byte).
 *            1 byte: upper; 2 bytes: upper(7) lower(7); 4 bytes: upper(14) lower(14).
 *            upper = client SAP or logical device of the server, lower = physical device.
 *   control  I    RRR P SSS 0    RR   RRR P 0001    RNR  RRR P 0101
 *            SNRM 100 P 0011     DISC 010 P 0011    UA   011 F 0011
 *            DM   000 F 1111     FRMR 100 F 0111    UI   000 P 0011
 *   HCS      CRC-16/X.25 of format..control, present only when there is an information field.
 *   FCS      CRC-16/X.25 of format..information. Both are sent least significant byte first.
 */
import { DlmsError } from '../errors.js';
import { crc16x25 } from './crc.js';
import { allocBytes } from '../bytes.js';

export const HDLC_FLAG = 0x7e;
/** Largest value of the 11-bit frame length (bytes between the flags). */
export const HDLC_MAX_FRAME_LENGTH = 0x7ff;
/** Smallest frame: format, 1-byte addresses, control and FCS. */
export const HDLC_MIN_FRAME_LENGTH = 7;

export type HdlcFrameType = 'I' | 'RR' | 'RNR' | 'SNRM' | 'DISC' | 'UA' | 'DM' | 'FRMR' | 'UI';

export interface HdlcAddress {
  /** Upper HDLC address: the client SAP, or the logical device of a server. */
  logical: number;
  /** Lower HDLC address: the physical device (2- and 4-byte server addresses only). */
  physical?: number;
  /** Encoded size; when omitted the smallest form that holds the values. Decoding always sets it. */
  size?: 1 | 2 | 4;
}

export interface HdlcFrame {
  type: HdlcFrameType;
  /** Segmentation bit: further frames carry the rest of the same information. */
  segmented: boolean;
  destination: HdlcAddress;
  source: HdlcAddress;
  /** Poll bit of a command, final bit of a response. */
  pf: boolean;
  /** N(S) of an I-frame, 0 otherwise. */
  ns: number;
  /** N(R) of an I, RR or RNR frame, 0 otherwise. */
  nr: number;
  /** Information field: a view into the decoded input, empty when absent. */
  info: Uint8Array;
}

export type HdlcFrameInit = Pick<HdlcFrame, 'type' | 'destination' | 'source'> &
  Partial<Pick<HdlcFrame, 'segmented' | 'pf' | 'ns' | 'nr' | 'info'>>;

/** Control byte of each type with P/F, N(S) and N(R) cleared. */
const CONTROL: Record<HdlcFrameType, number> = {
  I: 0x00,
  RR: 0x01,
  RNR: 0x05,
  SNRM: 0x83,
  DISC: 0x43,
  UA: 0x63,
  DM: 0x0f,
  FRMR: 0x87,
  UI: 0x03,
};

function controlType(c: number): HdlcFrameType | undefined {
  if ((c & 0x01) === 0) return 'I';
  if ((c & 0x03) === 0x01) {
    if ((c & 0x0f) === 0x01) return 'RR';
    if ((c & 0x0f) === 0x05) return 'RNR';
    return undefined; // REJ / SREJ are not used by IEC 62056-46
  }
  switch (c & 0xef) {
    case 0x83: return 'SNRM';
    case 0x43: return 'DISC';
    case 0x63: return 'UA';
    case 0x0f: return 'DM';
    case 0x87: return 'FRMR';
    case 0x03: return 'UI';
    default: return undefined;
  }
}

function readAddress(buf: Uint8Array, at: number, end: number, what: string): HdlcAddress {
  let n = 0;
  while (true) {
    if (at + n >= end) throw new DlmsError('DLMS_ERR_TRUNCATED', `expected ${what}`, at + n);
    if (buf[at + n++]! & 1) break;
    if (n === 4) throw new DlmsError('DLMS_ERR_HDLC_FORMAT', `${what}: no extension bit within 4 bytes`, at);
  }
  if (n === 1) return { logical: buf[at]! >>> 1, size: 1 };
  if (n === 2) return { logical: buf[at]! >>> 1, physical: buf[at + 1]! >>> 1, size: 2 };
  if (n === 4) {
    return {
      logical: ((buf[at]! >>> 1) << 7) | (buf[at + 1]! >>> 1),
      physical: ((buf[at + 2]! >>> 1) << 7) | (buf[at + 3]! >>> 1),
      size: 4,
    };
  }
  throw new DlmsError('DLMS_ERR_HDLC_FORMAT', `${what}: ${n}-byte address (1, 2 or 4 expected)`, at);
}

/** Encoded size of an address (its `size`, else the smallest form); throws when the values do not fit. */
export function hdlcAddressSize(a: HdlcAddress, what = 'address'): 1 | 2 | 4 {
  const size = a.size ?? (a.physical === undefined ? 1 : a.logical <= 0x7f && a.physical <= 0x7f ? 2 : 4);
  const max = size === 4 ? 0x3fff : 0x7f;
  const ok =
    Number.isInteger(a.logical) && a.logical >= 0 && a.logical <= max &&
    (size === 1
      ? a.physical === undefined
      : a.physical !== undefined && Number.isInteger(a.physical) && a.physical >= 0 && a.physical <= max);
  if (!ok) throw new DlmsError('DLMS_ERR_ENCODE', `${what} ${JSON.stringify(a)} does not fit a ${size}-byte HDLC address`);
  return size;
}

function writeAddress(out: Uint8Array, at: number, a: HdlcAddress, size: 1 | 2 | 4): number {
  if (size === 1) {
    out[at] = (a.logical << 1) | 1;
  } else if (size === 2) {
    out[at] = a.logical << 1;
    out[at + 1] = (a.physical! << 1) | 1;
  } else {
    out[at] = (a.logical >>> 7) << 1;
    out[at + 1] = (a.logical & 0x7f) << 1;
    out[at + 2] = (a.physical! >>> 7) << 1;
    out[at + 3] = ((a.physical! & 0x7f) << 1) | 1;
  }
  return at + size;
}

/** Same address value (the encoded size may differ). */
export function sameAddress(a: HdlcAddress, b: HdlcAddress): boolean {
  return a.logical === b.logical && a.physical === b.physical;
}

/**
 * Decode one frame from buf[start, end): either flag to flag (7E … 7E) or the bytes between the flags.
 * The information field is returned as a view; errors name the offset in `buf`.
 */
export function decodeFrame(buf: Uint8Array, start = 0, end = buf.length): HdlcFrame {
  let s = start;
  let e = end;
  if (s < e && buf[s] === HDLC_FLAG) {
    if (e - s < 2 || buf[e - 1] !== HDLC_FLAG) throw new DlmsError('DLMS_ERR_HDLC_FORMAT', 'expected closing flag 0x7E', e - 1);
    s++;
    e--;
  }
  if (e - s < 2) throw new DlmsError('DLMS_ERR_TRUNCATED', 'expected frame format field (2 bytes)', s);
  const f0 = buf[s]!;
  if ((f0 & 0xf0) !== 0xa0) {
    throw new DlmsError('DLMS_ERR_HDLC_FORMAT', `expected frame format type 3 (0xA_), got 0x${f0.toString(16)}`, s);
  }
  const length = ((f0 & 0x07) << 8) | buf[s + 1]!;
  if (length > e - s) throw new DlmsError('DLMS_ERR_TRUNCATED', `frame length ${length} exceeds the ${e - s} bytes available`, s);
  if (length < e - s) throw new DlmsError('DLMS_ERR_HDLC_FORMAT', `frame length ${length} but ${e - s} bytes between the flags`, s);
  let p = s + 2;
  const destination = readAddress(buf, p, e, 'destination address');
  p += destination.size!;
  const source = readAddress(buf, p, e, 'source address');
  p += source.size!;
  if (p >= e) throw new DlmsError('DLMS_ERR_TRUNCATED', 'expected control field', p);
  const control = buf[p]!;
  const type = controlType(control);
  if (type === undefined) throw new DlmsError('DLMS_ERR_HDLC_FORMAT', `unknown control field 0x${control.toString(16)}`, p);
  p++;
  const rest = e - p;
  if (rest < 2) throw new DlmsError('DLMS_ERR_TRUNCATED', 'expected FCS (2 bytes)', p);
  let info: Uint8Array;
  if (rest === 2) {
    info = buf.subarray(p, p);
  } else {
    if (rest < 4) throw new DlmsError('DLMS_ERR_TRUNCATED', 'expected HCS and FCS (4 bytes)', p);
    const hcs = buf[p]! | (buf[p + 1]! << 8);
    const calc = crc16x25(buf, s, p);
    if (hcs !== calc) throw new DlmsError('DLMS_ERR_HDLC_HCS', `HCS 0x${hcs.toString(16)} != computed 0x${calc.toString(16)}`, p);
    info = buf.subarray(p + 2, e - 2);
  }
  const fcs = buf[e - 2]! | (buf[e - 1]! << 8);
  const calc = crc16x25(buf, s, e - 2);
  if (fcs !== calc) throw new DlmsError('DLMS_ERR_HDLC_FCS', `FCS 0x${fcs.toString(16)} != computed 0x${calc.toString(16)}`, e - 2);
  const numbered = type === 'I' || type === 'RR' || type === 'RNR';
  return {
    type,
    segmented: (f0 & 0x08) !== 0,
    destination,
    source,
    pf: (control & 0x10) !== 0,
    ns: type === 'I' ? (control >>> 1) & 7 : 0,
    nr: numbered ? control >>> 5 : 0,
    info,
  };
}

function seq(v: number | undefined, what: string): number {
  const n = v ?? 0;
  if (!Number.isInteger(n) || n < 0 || n > 7) throw new DlmsError('DLMS_ERR_ENCODE', `${what} ${n} is not a modulo-8 sequence number`);
  return n;
}

/** Encode a frame, flag to flag. P/F defaults to set. */
export function encodeFrame(f: HdlcFrameInit): Uint8Array {
  const da = hdlcAddressSize(f.destination, 'destination address');
  const sa = hdlcAddressSize(f.source, 'source address');
  const n = f.info?.length ?? 0;
  const length = 2 + da + sa + 1 + (n > 0 ? 2 + n : 0) + 2;
  if (length > HDLC_MAX_FRAME_LENGTH) throw new DlmsError('DLMS_ERR_ENCODE', `frame length ${length} exceeds ${HDLC_MAX_FRAME_LENGTH}`);
  let control = CONTROL[f.type] | (f.pf === false ? 0 : 0x10);
  if (f.type === 'I') control |= seq(f.ns, 'N(S)') << 1;
  if (f.type === 'I' || f.type === 'RR' || f.type === 'RNR') control |= seq(f.nr, 'N(R)') << 5;
  const out = allocBytes(length + 2);
  out[0] = HDLC_FLAG;
  out[1] = 0xa0 | (f.segmented ? 0x08 : 0) | (length >>> 8);
  out[2] = length & 0xff;
  let p = writeAddress(out, 3, f.destination, da);
  p = writeAddress(out, p, f.source, sa);
  out[p++] = control;
  if (n > 0) {
    const hcs = crc16x25(out, 1, p);
    out[p++] = hcs & 0xff;
    out[p++] = hcs >>> 8;
    out.set(f.info!, p);
    p += n;
  }
  const fcs = crc16x25(out, 1, p);
  out[p++] = fcs & 0xff;
  out[p++] = fcs >>> 8;
  out[p] = HDLC_FLAG;
  return out;
}
