/**
 * Wrapper protocol data unit of the TCP-UDP/IP profile (IEC 62056-47 / Green Book "wrapper sub-layer"):
 *
 *   version (2) = 0x0001 | source wPort (2) | destination wPort (2) | length (2) | APDU (length bytes)
 *
 * All fields big-endian; length counts the APDU only. Over UDP one datagram carries exactly one WPDU; over
 * TCP they follow each other in the stream (see assembler.ts).
 */
import { DlmsError } from '../errors.js';
import { allocBytes } from '../bytes.js';

export const WRAPPER_VERSION = 0x0001;
export const WRAPPER_HEADER_SIZE = 8;
export const WRAPPER_MAX_LENGTH = 0xffff;

export interface WrapperHeader {
  sourceWPort: number;
  destinationWPort: number;
  /** APDU length in bytes. */
  length: number;
}

export interface Wpdu {
  sourceWPort: number;
  destinationWPort: number;
  /** The APDU: a view into the input whenever it lies in one buffer. */
  apdu: Uint8Array;
}

/**
 * Decode the 8-byte header at `offset`. `maxLength` bounds the APDU length (default 65535);
 * error offsets are `base` + the position in `b` (the stream position for the TCP assembler).
 */
export function decodeWrapperHeader(b: Uint8Array, offset = 0, maxLength = WRAPPER_MAX_LENGTH, base = 0): WrapperHeader {
  if (b.length - offset < WRAPPER_HEADER_SIZE) {
    throw new DlmsError('DLMS_ERR_TRUNCATED', `expected wrapper header (8 bytes), ${b.length - offset} left`, base + offset);
  }
  const version = (b[offset]! << 8) | b[offset + 1]!;
  if (version !== WRAPPER_VERSION) {
    throw new DlmsError('DLMS_ERR_WRAPPER', `expected wrapper version 0x0001, got 0x${version.toString(16).padStart(4, '0')}`, base + offset);
  }
  const length = (b[offset + 6]! << 8) | b[offset + 7]!;
  if (length > maxLength) {
    throw new DlmsError('DLMS_ERR_LENGTH', `wrapper length ${length} exceeds the maximum of ${maxLength}`, base + offset + 6);
  }
  return {
    sourceWPort: (b[offset + 2]! << 8) | b[offset + 3]!,
    destinationWPort: (b[offset + 4]! << 8) | b[offset + 5]!,
    length,
  };
}

function checkWPort(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new DlmsError('DLMS_ERR_ENCODE', `${what} ${v} out of range`);
}

/** Header and APDU in one new buffer. */
export function encodeWpdu(sourceWPort: number, destinationWPort: number, apdu: Uint8Array): Uint8Array {
  checkWPort('source wPort', sourceWPort);
  checkWPort('destination wPort', destinationWPort);
  if (apdu.length > WRAPPER_MAX_LENGTH) throw new DlmsError('DLMS_ERR_ENCODE', `APDU of ${apdu.length} bytes exceeds the wrapper length field`);
  const out = allocBytes(WRAPPER_HEADER_SIZE + apdu.length);
  out[1] = WRAPPER_VERSION;
  out[2] = sourceWPort >>> 8;
  out[3] = sourceWPort & 0xff;
  out[4] = destinationWPort >>> 8;
  out[5] = destinationWPort & 0xff;
  out[6] = apdu.length >>> 8;
  out[7] = apdu.length & 0xff;
  out.set(apdu, WRAPPER_HEADER_SIZE);
  return out;
}

/** One UDP datagram = one WPDU: the length must match the datagram exactly. The APDU is a view. */
export function decodeWpduDatagram(datagram: Uint8Array, maxLength = WRAPPER_MAX_LENGTH): Wpdu {
  const h = decodeWrapperHeader(datagram, 0, maxLength);
  const available = datagram.length - WRAPPER_HEADER_SIZE;
  if (h.length > available) {
    throw new DlmsError('DLMS_ERR_LENGTH', `wrapper length ${h.length} exceeds the ${available} bytes in the datagram`, 6);
  }
  if (h.length < available) {
    throw new DlmsError('DLMS_ERR_TRAILING', `wrapper length ${h.length} leaves ${available - h.length} byte(s) of the datagram`, WRAPPER_HEADER_SIZE + h.length);
  }
  return { sourceWPort: h.sourceWPort, destinationWPort: h.destinationWPort, apdu: datagram.subarray(WRAPPER_HEADER_SIZE) };
}
