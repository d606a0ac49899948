/**
 * SNTP (RFC 4330) packets, no I/O: the client's request and the server's reply, and the clock offset the four
 * timestamps give. NTP timestamps count seconds since 1900-01-01 in 32 bits plus a 32-bit fraction.
 */

/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
const UNIX_FROM_NTP = 2_208_988_800;
const PACKET_BYTES = 48;

export class SntpError extends Error {
  override readonly name = 'SntpError';
}

function writeTimestamp(b: Buffer, at: number, unixMs: number): void {
  const seconds = Math.floor(unixMs / 1000);
  b.writeUInt32BE((seconds + UNIX_FROM_NTP) >>> 0, at);
  b.writeUInt32BE(Math.floor(((unixMs - seconds * 1000) / 1000) * 2 ** 32) >>> 0, at + 4);
}

function readTimestamp(b: Uint8Array, at: number): number {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const seconds = v.getUint32(at);
  // Era 1 starts in 2036: seconds below the middle of era 0 belong to it.
  const unix = seconds - UNIX_FROM_NTP + (seconds < 0x80000000 ? 2 ** 32 : 0);
  return unix * 1000 + (v.getUint32(at + 4) / 2 ** 32) * 1000;
}

/** A client request (version 4, mode 3) carrying the client's send time as its transmit timestamp. */
export function sntpRequest(sentAtMs: number): Buffer {
  const b = Buffer.alloc(PACKET_BYTES);
  b[0] = (0 << 6) | (4 << 3) | 3;
  writeTimestamp(b, 40, sentAtMs);
  return b;
}

export interface SntpReply {
  leap: number;
  version: number;
  stratum: number;
  /** The request's transmit timestamp, echoed (ms since 1970). */
  originateMs: number;
  /** When the server received the request and sent the reply, by its clock. */
  receiveMs: number;
  transmitMs: number;
}

/** A server reply (mode 4); a kiss-o'-death (stratum 0) or an unsynchronised server (leap 3) is refused. */
export function parseSntpReply(b: Uint8Array): SntpReply {
  if (b.length < PACKET_BYTES) throw new SntpError(`an NTP reply has ${PACKET_BYTES} bytes at least, got ${b.length}`);
  const leap = b[0]! >> 6, version = (b[0]! >> 3) & 7, mode = b[0]! & 7, stratum = b[1]!;
  if (mode !== 4) throw new SntpError(`not a server reply (mode ${mode})`);
  if (stratum === 0) throw new SntpError(`the server refused (kiss code ${Buffer.from(b.subarray(12, 16)).toString('latin1')})`);
  if (leap === 3) throw new SntpError('the server says its own clock is not synchronised');
  return { leap, version, stratum, originateMs: readTimestamp(b, 24), receiveMs: readTimestamp(b, 32), transmitMs: readTimestamp(b, 40) };
}

/** A server reply to a request (tests, the simulator): the server's receive and transmit times by its clock. */
export function sntpReply(request: Uint8Array, receiveMs: number, transmitMs: number, stratum = 2): Buffer {
  const b = Buffer.alloc(PACKET_BYTES);
  b[0] = (0 << 6) | (4 << 3) | 4;
  b[1] = stratum;
  Buffer.from(request.subarray(40, 48)).copy(b, 24); // originate = the request's transmit timestamp
  writeTimestamp(b, 32, receiveMs);
  writeTimestamp(b, 40, transmitMs);
  return b;
}

/**
 * The local clock's offset from the server's (positive: the server is ahead, the local clock is slow) and the
 * round trip, from the request's send time t1, the server's t2 and t3, and the reply's arrival t4 (RFC 4330 §5).
 */
export function clockOffset(t1: number, t2: number, t3: number, t4: number): { offsetMs: number; roundTripMs: number } {
  return { offsetMs: (t2 - t1 + (t3 - t4)) / 2, roundTripMs: t4 - t1 - (t3 - t2) };
}
