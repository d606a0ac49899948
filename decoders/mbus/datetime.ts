/**
 * Date and time types of EN 13757-3 Annex A (bit 0 is the least significant bit of the first byte):
 *
 *   G  date, 2 bytes         day b0[0..4], month b1[0..3], year b0[5..7] | b1[4..7] << 3 (0..99)
 *   F  date-time, 4 bytes    minute b0[0..5], IV (invalid) b0[7], hour b1[0..4], hundred-year b1[5..6],
 *                            SU (summer time) b1[7], day b2[0..4], month b3[0..3],
 *                            year b2[5..7] | b3[4..7] << 3
 *   I  date-time, 6 bytes    second b0[0..5], minute b1[0..5], IV b1[7], hour b2[0..4], SU b2[7],
 *                            day b3[0..4], month b4[0..3], year b3[5..7] | b4[4..7] << 3, b5 week/DST info
 *   J  time, 3 bytes         second b0[0..5], minute b1[0..5], hour b2[0..4]
 *
 * Years: with hundred-year bits h, 1900 + 100 h + y; without them (h = 0, as most meters send) y < 81
 * is 20yy and 81..99 is 19yy; a year field above 99 (all bits set: "not given") is invalid. The fields are the meter's local time (no zone on the wire): the result is
 * "local milliseconds", Date.UTC of the fields; the caller applies the device's time zone.
 * A date with day 0 or month 0, or a time with the IV bit, is invalid: NaN.
 */

function year(y: number, hundred: number): number {
  if (y > 99) return NaN;
  if (hundred) return 1900 + 100 * hundred + y;
  return y < 81 ? 2000 + y : 1900 + y;
}

function valid(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  return y >= 1900 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 59;
}

/** Type G at `b[i]`: local midnight of the date, in ms, or NaN. */
export function dateG(b: Uint8Array, i: number): number {
  const b0 = b[i]!;
  const b1 = b[i + 1]!;
  const y = year(((b0 & 0xe0) >> 5) | ((b1 & 0xf0) >> 1), 0);
  const mo = b1 & 0x0f;
  const d = b0 & 0x1f;
  return valid(y, mo, d, 0, 0, 0) ? Date.UTC(y, mo - 1, d) : NaN;
}

/** Type F at `b[i]`: local date and time, in ms, or NaN (also when the IV bit is set). */
export function dateTimeF(b: Uint8Array, i: number): number {
  const b0 = b[i]!;
  const b1 = b[i + 1]!;
  const b2 = b[i + 2]!;
  const b3 = b[i + 3]!;
  if (b0 & 0x80) return NaN;
  const y = year(((b2 & 0xe0) >> 5) | ((b3 & 0xf0) >> 1), (b1 >> 5) & 3);
  const mo = b3 & 0x0f;
  const d = b2 & 0x1f;
  const h = b1 & 0x1f;
  const mi = b0 & 0x3f;
  return valid(y, mo, d, h, mi, 0) ? Date.UTC(y, mo - 1, d, h, mi) : NaN;
}

/** Type I at `b[i]`: local date and time with seconds, in ms, or NaN. */
export function dateTimeI(b: Uint8Array, i: number): number {
  const s = b[i]! & 0x3f;
  const b1 = b[i + 1]!;
  if (b1 & 0x80) return NaN;
  const mi = b1 & 0x3f;
  const h = b[i + 2]! & 0x1f;
  const b3 = b[i + 3]!;
  const b4 = b[i + 4]!;
  const y = year(((b3 & 0xe0) >> 5) | ((b4 & 0xf0) >> 1), 0);
  const mo = b4 & 0x0f;
  const d = b3 & 0x1f;
  return valid(y, mo, d, h, mi, s) ? Date.UTC(y, mo - 1, d, h, mi, s) : NaN;
}

/** Type J at `b[i]`: milliseconds since local midnight, or NaN. */
export function timeJ(b: Uint8Array, i: number): number {
  const s = b[i]! & 0x3f;
  const mi = b[i + 1]! & 0x3f;
  const h = b[i + 2]! & 0x1f;
  return h <= 23 && mi <= 59 && s <= 59 ? ((h * 60 + mi) * 60 + s) * 1000 : NaN;
}

/** Summer-time flag of a type F (b1 bit 7) or type I (b2 bit 7) value. */
export function summerTime(b: Uint8Array, i: number, length: number): boolean {
  if (length === 4) return (b[i + 1]! & 0x80) !== 0;
  if (length === 6) return (b[i + 2]! & 0x80) !== 0;
  return false;
}

/** Encodes local ms as type G (2 bytes) into `out[i]`. */
export function encodeDateG(ms: number, out: Uint8Array, i: number): void {
  const d = new Date(ms);
  const y = d.getUTCFullYear() % 100;
  out[i] = (d.getUTCDate() & 0x1f) | ((y & 0x07) << 5);
  out[i + 1] = ((d.getUTCMonth() + 1) & 0x0f) | ((y & 0x78) << 1);
}

/** Encodes local ms as type F (4 bytes) into `out[i]`, with the hundred-year bits of 20yy. */
export function encodeDateTimeF(ms: number, out: Uint8Array, i: number, summer = false): void {
  const d = new Date(ms);
  const full = d.getUTCFullYear();
  const y = full % 100;
  const hundred = Math.max(0, Math.floor((full - 1900) / 100));
  out[i] = d.getUTCMinutes() & 0x3f;
  out[i + 1] = (d.getUTCHours() & 0x1f) | ((hundred & 3) << 5) | (summer ? 0x80 : 0);
  out[i + 2] = (d.getUTCDate() & 0x1f) | ((y & 0x07) << 5);
  out[i + 3] = ((d.getUTCMonth() + 1) & 0x0f) | ((y & 0x78) << 1);
}
