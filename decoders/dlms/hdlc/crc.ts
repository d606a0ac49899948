/**
 * CRC-16/X.25, the HDLC frame and header check sequence (IEC 62056-46 / ISO/IEC 13239):
 * reflected polynomial 0x1021 (0x8408 bit-reversed), initial value 0xFFFF, final XOR 0xFFFF.
 * On the wire the FCS/HCS is sent least significant byte first.
 */

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-16/X.25 of buf[start, end), read in place (no copy). */
export function crc16x25(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ buf[i]!) & 0xff]!;
  return ~crc & 0xffff;
}
