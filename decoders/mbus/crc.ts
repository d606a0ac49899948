/**
 * CRC-16 of EN 13757-4 (wireless M-Bus link layer, also the ELL payload CRC):
 *
 *   width 16, polynomial 0x3D65, initial value 0x0000, not reflected, final XOR 0xFFFF
 *   check value over the ASCII bytes "123456789": 0xC2B7
 *
 * The CRC is transmitted high byte first after the block it covers.
 */
/** The byte-wise lookup table (exported for loops that copy and check in one pass). */
export const CRC_TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let r = i << 8;
  for (let j = 0; j < 8; j++) r = r & 0x8000 ? (r << 1) ^ 0x3d65 : r << 1;
  CRC_TABLE[i] = r & 0xffff;
}

/** CRC of `b[start..end)`. */
export function crc16(b: Uint8Array, start = 0, end = b.length): number {
  let c = 0;
  for (let i = start; i < end; i++) c = (CRC_TABLE[((c >>> 8) ^ b[i]!) & 0xff]! ^ (c << 8)) & 0xffff;
  return c ^ 0xffff;
}

/** True when the two bytes at `at` (high byte first) are the CRC of `b[start..at)`. */
export function crcMatches(b: Uint8Array, start: number, at: number): boolean {
  return crc16(b, start, at) === ((b[at]! << 8) | b[at + 1]!);
}
