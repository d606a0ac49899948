/**
 * Building telegrams: data records, the TPL with security mode 0, 5 or 7, the wireless link layer (with
 * format A or B CRCs, or none) and wired long frames. The simulator, the benchmarks and the tests use
 * it; the wire grammar is the decoder's (records.ts, transport.ts, security.ts, link.ts).
 */
import { AesKey } from './aes.js';
import { encodeDateG, encodeDateTimeF } from './datetime.js';
import { MbusError } from './errors.js';
import { addCrcs, C_RSP_UD, encodeLongFrame, type FrameFormat } from './link.js';
import { aflMac, encryptPayload, mode5Iv, mode7Keys, type MeterAddress } from './security.js';
import { manufacturerFromCode } from './tables.js';

export interface RecordSpec {
  /** Data field of the DIF: 0x01-0x07 integers and real, 0x09-0x0E BCD, 0x02 with a date VIF = type G, 0x04 = type F. */
  dataField: number;
  /** The VIB bytes (VIF and VIFEs), e.g. [0x13] volume in litres, [0xfd, 0x17] error flags. */
  vib: readonly number[];
  /** A number (integer before the VIF's exponent) or, for date VIFs, local ms (Date.UTC of the meter's clock). */
  value: number;
  storage?: number;
  tariff?: number;
  subunit?: number;
  /** 0 instantaneous, 1 maximum, 2 minimum, 3 error state. */
  func?: number;
}

const SIZES: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 4, 6: 6, 7: 8, 9: 1, 10: 2, 11: 3, 12: 4, 14: 6 };

/** The bytes of data records (DIB VIB data) one after the other. */
export function encodeRecords(records: readonly RecordSpec[]): Uint8Array {
  const out: number[] = [];
  for (const r of records) {
    const storage = r.storage ?? 0;
    const tariff = r.tariff ?? 0;
    const subunit = r.subunit ?? 0;
    if (r.dataField === 0x08 || r.dataField === 0x0d || r.dataField === 0x0f || r.dataField === 0 || !(r.dataField in SIZES)) {
      throw new MbusError('MBUS_ERR_ENCODE', `data field 0x${r.dataField.toString(16)} is not encoded by encodeRecords`);
    }
    const difes: number[] = [];
    let s = Math.floor(storage / 2);
    let t = tariff;
    let u = subunit;
    while (s > 0 || t > 0 || u > 0) {
      difes.push((s & 0x0f) | ((t & 3) << 4) | ((u & 1) << 6));
      s = Math.floor(s / 16);
      t >>>= 2;
      u >>>= 1;
    }
    if (difes.length > 10) throw new MbusError('MBUS_ERR_ENCODE', 'storage, tariff or subunit needs more than 10 DIFEs');
    for (let i = 0; i < difes.length - 1; i++) difes[i]! |= 0x80;
    out.push(r.dataField | (((r.func ?? 0) & 3) << 4) | ((storage & 1) << 6) | (difes.length ? 0x80 : 0), ...difes, ...r.vib);
    const size = SIZES[r.dataField]!;
    const bytes = new Uint8Array(size);
    const vif = r.vib[0]! & 0x7f;
    if (vif === 0x6c && r.dataField === 0x02) encodeDateG(r.value, bytes, 0);
    else if (vif === 0x6d && r.dataField === 0x04) encodeDateTimeF(r.value, bytes, 0);
    else if (r.dataField === 0x05) new DataView(bytes.buffer).setFloat32(0, r.value, true);
    else if (r.dataField >= 0x09) encodeBcd(r.value, bytes);
    else encodeInteger(r.value, bytes);
    out.push(...bytes);
  }
  return Uint8Array.from(out);
}

function encodeInteger(v: number, out: Uint8Array): void {
  if (!Number.isInteger(v)) throw new MbusError('MBUS_ERR_ENCODE', `${v} is not an integer`);
  let x = v < 0 ? 2 ** (8 * out.length) + v : v;
  if (x < 0 || x >= 2 ** (8 * out.length)) throw new MbusError('MBUS_ERR_ENCODE', `${v} does not fit ${out.length} bytes`);
  for (let i = 0; i < out.length; i++) {
    out[i] = x % 256;
    x = Math.floor(x / 256);
  }
}

function encodeBcd(v: number, out: Uint8Array): void {
  if (!Number.isInteger(v)) throw new MbusError('MBUS_ERR_ENCODE', `${v} is not an integer`);
  let x = Math.abs(v);
  for (let i = 0; i < out.length; i++) {
    const lo = x % 10;
    x = Math.floor(x / 10);
    const hi = x % 10;
    x = Math.floor(x / 10);
    out[i] = (hi << 4) | lo;
  }
  if (v < 0) {
    if (out[out.length - 1]! >> 4) throw new MbusError('MBUS_ERR_ENCODE', `${v} leaves no digit for the sign`);
    out[out.length - 1]! |= 0xf0;
  }
  if (x > 0) throw new MbusError('MBUS_ERR_ENCODE', `${v} has more than ${2 * out.length} digits`);
}

export interface MeterSpec {
  /** Three letters, e.g. "ELS". */
  manufacturer: string;
  /** Eight decimal digits. */
  id: string;
  version: number;
  deviceType: number;
}

/** ID(4) M(2) version type, as a long TPL header and a wired secondary address carry them. */
export function secondaryAddress(m: MeterSpec): Uint8Array {
  const man = manufacturerFromCode(m.manufacturer);
  if (man === undefined) throw new MbusError('MBUS_ERR_ENCODE', `manufacturer "${m.manufacturer}" is not three letters A-Z`);
  if (!/^[0-9]{8}$/.test(m.id)) throw new MbusError('MBUS_ERR_ENCODE', `meter id "${m.id}" is not eight digits`);
  const out = new Uint8Array(8);
  for (let k = 0; k < 4; k++) out[k] = parseInt(m.id.slice(6 - 2 * k, 8 - 2 * k), 16);
  out[4] = man & 0xff;
  out[5] = man >> 8;
  out[6] = m.version;
  out[7] = m.deviceType;
  return out;
}

export interface TplSpec {
  accessNumber: number;
  status?: number;
  /** 0 none, 5 AES-CBC with the IV, 7 AES-CBC with ephemeral keys and an AFL MAC. */
  mode: 0 | 5 | 7;
  key?: Uint8Array | AesKey;
  /** Mode 7: the AFL message counter (must grow per telegram). */
  messageCounter?: number;
}

export interface WirelessSpec extends TplSpec {
  meter: MeterSpec;
  /** C field, default 0x44 (SND_NR). */
  c?: number;
  /** Short TPL header (default, 0x7A) or long (0x72). */
  header?: 'short' | 'long';
  records: Uint8Array;
  /** Link-layer CRCs: format A (default), B, or none. */
  frameFormat?: FrameFormat;
}

const keyOf = (k: Uint8Array | AesKey | undefined): AesKey => {
  if (!k) throw new MbusError('MBUS_ERR_ENCODE', 'an encrypted telegram needs a key');
  return k instanceof AesKey ? k : new AesKey(k);
};

/** The plaintext of an encrypted payload: 2F 2F, the records, 2F fillers to whole blocks. */
function paddedPlaintext(records: Uint8Array): Uint8Array {
  const n = Math.ceil((records.length + 2) / 16) * 16;
  if (n / 16 > 15) throw new MbusError('MBUS_ERR_ENCODE', `${records.length} bytes of records need more than 15 encrypted blocks`);
  const p = new Uint8Array(n).fill(0x2f);
  p.set(records, 2);
  return p;
}

/** A wireless telegram (SND_NR of a meter) with its records, encrypted as `spec.mode` says. */
export function encodeWirelessTelegram(spec: WirelessSpec): Uint8Array {
  const address = secondaryAddress(spec.meter);
  const link = new Uint8Array(10);
  link[1] = spec.c ?? 0x44;
  link[2] = address[4]!;
  link[3] = address[5]!;
  link.set(address.subarray(0, 4), 4);
  link[8] = address[6]!;
  link[9] = address[7]!;
  const long = spec.header === 'long';
  const meterAddress: MeterAddress = long ? { bytes: address, at: 0, order: 'tpl' } : { bytes: link, at: 2, order: 'link' };
  const plain = spec.mode === 0 ? spec.records : paddedPlaintext(spec.records);
  const blocks = spec.mode === 0 ? 0 : plain.length / 16;
  const tplHeader: number[] = [long ? 0x72 : 0x7a, ...(long ? address : []), spec.accessNumber & 0xff, spec.status ?? 0];
  const cf = (spec.mode << 8) | (blocks << 4);
  tplHeader.push(cf & 0xff, cf >> 8);
  if (spec.mode === 7) tplHeader.push(0x10); // CF ext: KDF-A, key id 0
  const tpl = new Uint8Array(tplHeader.length + plain.length);
  tpl.set(tplHeader);
  let before: number[] = [];
  if (spec.mode === 0) tpl.set(plain, tplHeader.length);
  else if (spec.mode === 5) {
    encryptPayload(keyOf(spec.key), mode5Iv(meterAddress, spec.accessNumber & 0xff, new Uint8Array(16)), plain, tpl, tplHeader.length);
  } else {
    const counter = spec.messageCounter ?? 0;
    const mcr = Uint8Array.of(counter & 0xff, (counter >>> 8) & 0xff, (counter >>> 16) & 0xff, counter >>> 24);
    const keys = mode7Keys(keyOf(spec.key), mcr, 0, meterAddress);
    encryptPayload(keys.enc, null, plain, tpl, tplHeader.length);
    const mcl = 0x25; // MCR in message, AT 5: CMAC truncated to 8 bytes
    const mac = aflMac(keys.mac, Uint8Array.of(...mcr, ...tpl), mcl, 0, -1, 4, 4 + tpl.length).subarray(0, 8);
    // ELL 0x8C (CC, ACC) then the AFL: FCL 0x2C00 = MCL, MCR and MAC present.
    before = [0x8c, 0x20, spec.accessNumber & 0xff, 0x90, 0x0f, 0x00, 0x2c, mcl, ...mcr, ...mac];
  }
  const t = new Uint8Array(10 + before.length + tpl.length);
  t.set(link);
  t.set(before, 10);
  t.set(tpl, 10 + before.length);
  if (t.length > 256) throw new MbusError('MBUS_ERR_ENCODE', `a telegram of ${t.length} bytes does not fit the L field`);
  t[0] = t.length - 1;
  const format = spec.frameFormat ?? 'A';
  return format === 'none' ? t : addCrcs(t, format);
}

export interface WiredSpec extends TplSpec {
  meter: MeterSpec;
  /** Primary address of the slave (A field). */
  address: number;
  records: Uint8Array;
  /** C field of the answer, default RSP_UD 0x08. */
  c?: number;
}

/** A wired RSP_UD long frame with a long TPL header (CI 0x72) and the records. */
export function encodeWiredResponse(spec: WiredSpec): Uint8Array {
  const address = secondaryAddress(spec.meter);
  const plain = spec.mode === 0 ? spec.records : paddedPlaintext(spec.records);
  const blocks = spec.mode === 0 ? 0 : plain.length / 16;
  if (spec.mode === 7) throw new MbusError('MBUS_ERR_ENCODE', 'mode 7 needs an AFL, which wired frames here do not carry');
  const cf = (spec.mode << 8) | (blocks << 4);
  const data = new Uint8Array(12 + plain.length);
  data.set(address);
  data[8] = spec.accessNumber & 0xff;
  data[9] = spec.status ?? 0;
  data[10] = cf & 0xff;
  data[11] = cf >> 8;
  if (spec.mode === 5) {
    encryptPayload(keyOf(spec.key), mode5Iv({ bytes: address, at: 0, order: 'tpl' }, spec.accessNumber & 0xff, new Uint8Array(16)), plain, data, 12);
  } else data.set(plain, 12);
  return encodeLongFrame(spec.c ?? C_RSP_UD, spec.address, 0x72, data);
}

