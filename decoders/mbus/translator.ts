/**
 * The M-Bus translator behind `hes decode --protocol mbus`: a telegram in, a JSON-ready description out —
 * link layer (manufacturer as its three letters, id, version, device type), ELL / AFL / TPL headers, the
 * security mode, and every record with its storage number, tariff, subunit, function, value in its
 * physical unit (scaled), the raw integer and exponent, and the DIB/VIB bytes as sent.
 *
 * Without a key an encrypted telegram is described up to its headers (`security.decrypted: false`);
 * with a wrong key decoding fails with MBUS_ERR_DECRYPT.
 */
import type { AesKey } from './aes.js';
import { MbusError } from './errors.js';
import { controlName, idText, u16, type FrameFormat } from './link.js';
import { unitText, vibHex } from './mapping.js';
import { reversedText, ValueKind, type Records } from './records.js';
import { deviceTypeName, FUNCTIONS, manufacturerCode, QUANTITIES, statusFlags, UNITS, vifeName } from './tables.js';
import { MbusDecoder, type MeterIdentity, type Telegram } from './telegram.js';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex').toUpperCase();
const hex2 = (n: number, digits = 2): string => `0x${n.toString(16).toUpperCase().padStart(digits, '0')}`;

export interface TranslatedRecord {
  /** DIF and DIFEs as sent (hex). */
  dib: string;
  /** VIF and VIFEs as sent (hex), with a plain-text unit's bytes. */
  vib: string;
  storage: number;
  tariff: number;
  subunit: number;
  function: string;
  quantity: string;
  /** Physical value (number × 10^exponent), date-time text (meter's local time), text, hex bytes, or null. */
  value: number | string | null;
  unit: string;
  /** The integer as sent, when the value is a number. */
  raw?: number;
  exponent?: number;
  /** Combinable VIFEs in words. */
  vife?: string[];
  /** The record error the slave reported in a VIFE. */
  error?: string;
  manufacturerSpecific?: true;
  /** A date-time with the summer-time flag. */
  summerTime?: true;
  note?: string;
}

const SECURITY_NAMES: Record<number, string> = {
  0: 'none', 5: 'AES-128-CBC, persistent key, IV from the address and access number', 7: 'AES-128-CBC, ephemeral key (KDF-A), AFL MAC', 13: 'TLS',
};

function identity(m: MeterIdentity | null): unknown {
  if (!m) return null;
  return { manufacturer: manufacturerCode(m.manufacturer), id: m.id, version: m.version, deviceType: m.deviceType, medium: deviceTypeName(m.deviceType) };
}

function localTime(ms: number, kind: ValueKind): string | null {
  if (ms !== ms) return null;
  const iso = new Date(ms).toISOString();
  if (kind === ValueKind.Date) return iso.slice(0, 10);
  if (kind === ValueKind.Time) return iso.slice(11, 19);
  return iso.slice(0, 19);
}

/** Record `i` of a table, for people. */
export function translateRecord(r: Records, i: number): TranslatedRecord {
  const p = r.payload;
  const kind = r.kind[i]! as ValueKind;
  const out: TranslatedRecord = {
    dib: hex(p.subarray(r.recordStart[i]!, r.vibStart[i]!)),
    vib: vibHex(r, i),
    storage: r.storage[i]!,
    tariff: r.tariff[i]!,
    subunit: r.subunit[i]!,
    function: FUNCTIONS[r.func[i]!]!,
    quantity: QUANTITIES[r.quantity[i]!]!.name,
    value: null,
    unit: unitText(r, i, UNITS),
  };
  const data = p.subarray(r.dataStart[i]!, r.dataEnd[i]!);
  switch (kind) {
    case ValueKind.Number: {
      const v = r.value[i]!;
      if (v !== v) {
        out.note = `not a number: ${hex(data)}`;
        break;
      }
      out.value = r.scaled(i);
      out.raw = v;
      out.exponent = r.exponent[i]!;
      break;
    }
    case ValueKind.Date:
    case ValueKind.DateTime:
    case ValueKind.Time:
      out.value = localTime(r.value[i]!, kind);
      if (out.value === null) out.note = `invalid or unset date/time: ${hex(data)}`;
      if (r.flags[i]! & 2) out.summerTime = true;
      break;
    case ValueKind.Text:
      out.value = reversedText(p, r.dataStart[i]!, data.length);
      break;
    case ValueKind.Bytes:
      out.value = hex(data);
      break;
    case ValueKind.None:
      break;
  }
  const vifes: string[] = [];
  const mask = r.vifeMask[i]!;
  for (let b = 0; b < 32; b++) if (mask & (1 << b)) vifes.push(vifeName(0x20 + b));
  if (vifes.length) out.vife = vifes;
  if (r.recordError[i] !== 0xff) out.error = vifeName(r.recordError[i]!).replace(/^record error: /, '');
  if (r.flags[i]! & 1 || out.quantity === 'manufacturer-specific') out.manufacturerSpecific = true;
  return out;
}

function describe(t: Telegram): Record<string, unknown> {
  const b = t.bytes;
  const out: Record<string, unknown> = { medium: t.medium };
  if (t.medium === 'wireless') {
    out.frameFormat = t.frameFormat;
    out.link = { c: `${hex2(t.c)} ${controlName(t.c)}`, ...(identity(t.link) as object) };
  } else out.link = { c: hex2(t.c), address: t.address };
  if (t.ell) {
    const e = t.ell;
    out.ell = {
      ci: hex2(e.ci), cc: hex2(e.cc), accessNumber: e.accessNumber,
      ...(e.addressAt >= 0 ? { address: identity({ manufacturer: u16(b, e.addressAt), id: idText(b, e.addressAt + 2), version: b[e.addressAt + 6]!, deviceType: b[e.addressAt + 7]! }) } : {}),
      ...(e.sessionNumber !== null ? { sessionNumber: e.sessionNumber, encrypted: e.encrypted } : {}),
    };
  }
  if (t.afl) {
    const a = t.afl;
    out.afl = {
      fcl: hex2(a.fcl, 4), fragmentId: a.fragmentId, moreFragments: a.moreFragments,
      ...(a.mcl !== null ? { mcl: hex2(a.mcl) } : {}), ...(a.keyInfo !== null ? { keyInfo: hex2(a.keyInfo, 4) } : {}),
      ...(a.messageCounter !== null ? { messageCounter: a.messageCounter } : {}),
      ...(a.macAt >= 0 ? { mac: hex(b.subarray(a.macAt, a.macAt + a.macLength)) } : {}),
      ...(a.messageLength !== null ? { messageLength: a.messageLength } : {}),
    };
  }
  if (t.tpl) {
    const p = t.tpl;
    out.tpl = {
      ci: hex2(p.ci), header: p.header,
      ...(p.accessNumber !== null ? { accessNumber: p.accessNumber } : {}),
      ...(p.status !== null ? { status: { byte: hex2(p.status), flags: statusFlags(p.status) } } : {}),
      ...(p.header !== 'none' ? { configuration: hex2(p.config, 4) } : {}),
      ...(p.configExt !== null ? { configurationExtension: hex2(p.configExt) } : {}),
    };
  }
  out.meter = identity(t.meter);
  const s = t.security;
  out.security = {
    mode: s.mode, name: SECURITY_NAMES[s.mode] ?? `mode ${s.mode}`, encryptedBlocks: s.encryptedBlocks, decrypted: s.decrypted,
    ...(s.mode === 7 ? { macVerified: s.macVerified } : {}), ...(s.ellEncrypted ? { ell: 'AES-128-CTR' } : {}),
  };
  const r = t.records;
  const records: TranslatedRecord[] = [];
  for (let i = 0; i < r.count; i++) records.push(translateRecord(r, i));
  out.records = records;
  if (r.manufacturerDataStart >= 0) out.manufacturerData = hex(r.payload.subarray(r.manufacturerDataStart));
  if (r.moreRecordsFollow) out.moreRecordsFollow = true;
  return out;
}

export interface TranslateOptions {
  key?: Uint8Array | AesKey;
  frameFormat?: FrameFormat | 'auto';
}

/** Describes a telegram; an encrypted one without a key is described up to its headers. */
export function translateTelegram(input: Uint8Array, opts: TranslateOptions = {}): Record<string, unknown> {
  const decoder = new MbusDecoder();
  try {
    return describe(decoder.decode(input, opts));
  } catch (e) {
    if (!(e instanceof MbusError) || e.code !== 'MBUS_ERR_KEY') throw e;
    const d = describe(decoder.decode(input, { ...opts, headersOnly: true }));
    d.note = 'encrypted: give the meter key (--key) to read the records';
    return d;
  }
}
