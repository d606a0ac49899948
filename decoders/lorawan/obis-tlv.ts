/**
 * OBIS-TLV v1: the HES's own uplink format for electricity (and other) meters on LoRaWAN — registers named by
 * OBIS code with the DLMS scaler and unit, a time, a status word. Documented in docs/lorawan.md; a meter vendor
 * (or a TS013 codec in front of a meter) can emit it without a profile per model.
 *
 *   byte 0       version: 0x01
 *   then records, each a tag byte and its fields (big endian):
 *   0x01 TIME      u32   Unix seconds (UTC) of the registers that follow; before any TIME: the uplink's time
 *   0x02 REGISTER  A B C D E F (6 bytes OBIS), scaler i8, unit u8 (DLMS unit code: 30 = Wh, 35 = V, 33 = A, ...),
 *                  type u8 and the value: 0x0F i8, 0x10 i16, 0x05 i32, 0x14 i64, 0x11 u8, 0x12 u16, 0x06 u32,
 *                  0x15 u64 (the DLMS data type tags); 64-bit values beyond 2^53 are refused
 *   0x03 STATUS    u32   status word: each set bit is an event (the profile names the bits)
 *
 * Example (docs/lorawan.md): 01 02 01000108 00FF 00 1E 06 0001E240 — version 1, register 1.0.1.8.0.255 (active
 * energy import, total), scaler 0, unit Wh, u32 123456: 123456 Wh.
 */
import { LorawanError } from './errors.js';

export interface TlvRegister {
  obis: string;
  /** The tariff a cumulative register's OBIS code names (D = 8: E = 1…8, 1.8.1 = T1), else 0 — as the DLMS profiles' {t}. */
  tariff: number;
  /** raw × 10^scaler in `unit` */
  raw: number;
  scaler: number;
  /** DLMS unit code. */
  unit: number;
  /** Unix seconds from the last TIME record, null before any. */
  time: number | null;
}

export interface TlvPayload {
  registers: TlvRegister[];
  /** The STATUS word, null when the uplink carries none. */
  status: number | null;
}

/** OBIS texts by their six bytes as one number: registers repeat, the text is made once. */
const obisTexts = new Map<number, string>();

function obisText(b: Uint8Array, at: number): string {
  let key = 0;
  for (let k = 0; k < 6; k++) key = key * 256 + b[at + k]!;
  let text = obisTexts.get(key);
  if (text === undefined) {
    text = Array.from(b.subarray(at, at + 6)).join('.');
    if (obisTexts.size < 10_000) obisTexts.set(key, text);
  }
  return text;
}

const TAG_TIME = 0x01;
const TAG_REGISTER = 0x02;
const TAG_STATUS = 0x03;

/** Value type tag → [byte length, signed]. */
const VALUE_TYPES: ReadonlyMap<number, readonly [number, boolean]> = new Map([
  [0x0f, [1, true]], [0x10, [2, true]], [0x05, [4, true]], [0x14, [8, true]],
  [0x11, [1, false]], [0x12, [2, false]], [0x06, [4, false]], [0x15, [8, false]],
]);

export function decodeObisTlv(b: Uint8Array): TlvPayload {
  if (b.length === 0) throw new LorawanError('TLV_EMPTY', 'the payload is empty');
  if (b[0] !== 1) throw new LorawanError('TLV_VERSION', `OBIS-TLV version ${b[0]} is not known (1 is)`, 0);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const need = (at: number, n: number, what: string) => {
    if (at + n > b.length) throw new LorawanError('TLV_TRUNCATED', `${what} at byte ${at} needs ${n} bytes, ${b.length - at} left`, at);
  };
  const out: TlvPayload = { registers: [], status: null };
  let time: number | null = null;
  let i = 1;
  while (i < b.length) {
    const tag = b[i]!;
    const at = i++;
    if (tag === TAG_TIME) {
      need(i, 4, 'TIME');
      time = v.getUint32(i);
      i += 4;
    } else if (tag === TAG_STATUS) {
      need(i, 4, 'STATUS');
      out.status = v.getUint32(i);
      i += 4;
    } else if (tag === TAG_REGISTER) {
      need(i, 9, 'REGISTER');
      const obis = obisText(b, i);
      const tariff = b[i + 3] === 8 && b[i + 4]! <= 8 ? b[i + 4]! : 0;
      const scaler = v.getInt8(i + 6);
      const unit = b[i + 7]!;
      const type = VALUE_TYPES.get(b[i + 8]!);
      if (!type) throw new LorawanError('TLV_VALUE_TYPE', `register ${obis}: value type 0x${b[i + 8]!.toString(16).padStart(2, '0')} is not known`, i + 8);
      i += 9;
      const [len, signed] = type;
      need(i, len, `the value of ${obis}`);
      let raw: number;
      if (len === 1) raw = signed ? v.getInt8(i) : v.getUint8(i);
      else if (len === 2) raw = signed ? v.getInt16(i) : v.getUint16(i);
      else if (len === 4) raw = signed ? v.getInt32(i) : v.getUint32(i);
      else {
        const big = signed ? v.getBigInt64(i) : v.getBigUint64(i);
        if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) throw new LorawanError('TLV_VALUE_RANGE', `register ${obis}: ${big} is beyond 2^53`, i);
        raw = Number(big);
      }
      i += len;
      out.registers.push({ obis, tariff, raw, scaler, unit, time });
    } else {
      throw new LorawanError('TLV_TAG', `record tag 0x${tag.toString(16).padStart(2, '0')} is not known`, at);
    }
  }
  return out;
}

/** The payload of registers and a status (tests, the simulator to come, vendors checking their encoder). */
export function encodeObisTlv(p: { time?: number; registers: { obis: string; raw: number; scaler?: number; unit: number; type?: number }[]; status?: number }): Uint8Array {
  const bytes: number[] = [1];
  const u32 = (n: number) => bytes.push((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  if (p.time !== undefined) {
    bytes.push(TAG_TIME);
    u32(p.time);
  }
  for (const r of p.registers) {
    const type = r.type ?? (r.raw < 0 ? 0x05 : 0x06);
    const [len, signed] = VALUE_TYPES.get(type)!;
    bytes.push(TAG_REGISTER, ...r.obis.split('.').map(Number), (r.scaler ?? 0) & 0xff, r.unit, type);
    let n = BigInt(r.raw);
    if (signed && n < 0n) n += 1n << BigInt(8 * len);
    for (let k = len - 1; k >= 0; k--) bytes.push(Number((n >> BigInt(8 * k)) & 0xffn));
  }
  if (p.status !== undefined) {
    bytes.push(TAG_STATUS);
    u32(p.status);
  }
  return Uint8Array.from(bytes);
}
