/**
 * HDLC parameter negotiation carried in the information field of SNRM and UA (IEC 62056-46, ISO/IEC 13239):
 *
 *   81 format identifier | 80 group identifier | group length (1) | parameter*
 *   parameter = identifier (1) | length (1: 1, 2 or 4) | value (big-endian)
 *     05 maximum information field length, transmit     06 maximum information field length, receive
 *     07 window size, transmit                           08 window size, receive
 *
 * Values are from the sender's point of view. An absent parameter (or an empty information field) means the
 * default: 128 bytes and a window of 1. Each side then uses the smaller of what it offers and what the peer
 * can take (`negotiateHdlcParameters`).
 */
import { DlmsError } from '../errors.js';
import { Reader } from '../axdr/reader.js';

export interface HdlcParameters {
  maxInfoTx: number;
  maxInfoRx: number;
  windowTx: number;
  windowRx: number;
}

export const HDLC_DEFAULT_PARAMETERS: Readonly<HdlcParameters> = Object.freeze({
  maxInfoTx: 128,
  maxInfoRx: 128,
  windowTx: 1,
  windowRx: 1,
});

const FORMAT_ID = 0x81;
const GROUP_ID = 0x80;
const FIELDS = ['maxInfoTx', 'maxInfoRx', 'windowTx', 'windowRx'] as const;
const MAX_WINDOW = 7; // modulo-8 sequence numbers

function check(field: (typeof FIELDS)[number], v: number): boolean {
  return Number.isInteger(v) && v >= 1 && v <= (field.startsWith('window') ? MAX_WINDOW : 0xffffffff);
}

/** Decode an SNRM/UA information field (offsets in errors are positions in `info`). */
export function decodeHdlcParameters(info: Uint8Array, start = 0, end = info.length): HdlcParameters {
  const out: HdlcParameters = { ...HDLC_DEFAULT_PARAMETERS };
  if (start === end) return out;
  const r = new Reader(info, start, end);
  const format = r.u8('format identifier');
  if (format !== FORMAT_ID) {
    throw new DlmsError('DLMS_ERR_HDLC_FORMAT', `expected format identifier 0x81, got 0x${format.toString(16)}`, start);
  }
  while (r.remaining > 0) {
    const group = r.u8('group identifier');
    const at = r.pos;
    const groupLength = r.u8('group length');
    if (groupLength > r.remaining) throw new DlmsError('DLMS_ERR_LENGTH', `group length ${groupLength} exceeds the ${r.remaining} bytes left`, at);
    const groupEnd = r.pos + groupLength;
    if (group !== GROUP_ID) {
      r.skip(groupLength); // user-data or other ISO/IEC 13239 groups: not ours
      continue;
    }
    while (r.pos < groupEnd) {
      const at = r.pos;
      const id = r.u8('parameter identifier');
      const n = r.u8('parameter length');
      if (n > groupEnd - r.pos) throw new DlmsError('DLMS_ERR_LENGTH', `parameter length ${n} exceeds its group`, at + 1);
      const field = id >= 0x05 && id <= 0x08 ? FIELDS[id - 0x05]! : undefined;
      if (field === undefined) {
        r.skip(n);
        continue;
      }
      if (n !== 1 && n !== 2 && n !== 4) throw new DlmsError('DLMS_ERR_HDLC_FORMAT', `${field}: value of ${n} bytes (1, 2 or 4 expected)`, at + 1);
      const value = n === 1 ? r.u8(field) : n === 2 ? r.u16(field) : r.u32(field);
      if (!check(field, value)) throw new DlmsError('DLMS_ERR_VALUE', `${field} ${value} out of range`, at + 2);
      out[field] = value;
    }
  }
  return out;
}

/**
 * Encode the given parameters (absent ones are left to the default). Lengths use the shortest form and window
 * sizes four bytes, as in the DLMS UA and Gurux examples. Nothing given: an empty information field.
 */
export function encodeHdlcParameters(p: Partial<HdlcParameters>): Uint8Array {
  const body: number[] = [];
  FIELDS.forEach((field, i) => {
    const v = p[field];
    if (v === undefined) return;
    if (!check(field, v)) throw new DlmsError('DLMS_ERR_ENCODE', `${field} ${v} out of range`);
    const n = field.startsWith('window') || v > 0xffff ? 4 : v > 0xff ? 2 : 1;
    body.push(0x05 + i, n);
    for (let k = n - 1; k >= 0; k--) body.push(Math.floor(v / 2 ** (8 * k)) & 0xff);
  });
  if (body.length === 0) return new Uint8Array(0);
  return Uint8Array.from([FORMAT_ID, GROUP_ID, body.length, ...body]);
}

/**
 * What `local` may use on a link with `peer`, both from their own point of view: each direction takes the
 * smaller of the sender's transmit value and the receiver's receive value. A server answers an SNRM with
 * negotiate(capabilities, proposal); a client reads the UA with negotiate(proposal, ua).
 */
export function negotiateHdlcParameters(local: HdlcParameters, peer: HdlcParameters): HdlcParameters {
  return {
    maxInfoTx: Math.min(local.maxInfoTx, peer.maxInfoRx),
    maxInfoRx: Math.min(local.maxInfoRx, peer.maxInfoTx),
    windowTx: Math.min(local.windowTx, peer.windowRx),
    windowRx: Math.min(local.windowRx, peer.windowTx),
  };
}
