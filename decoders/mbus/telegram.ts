/**
 * A whole telegram, wired or wireless, from bytes to records:
 *
 *   wireless   L C M A [CRCs]  [ELL] [AFL] TPL [encrypted blocks] [plain rest]
 *   wired      68 L L 68 C A | TPL ... | CS 16   (long frame; the TPL starts at its CI)
 *
 * Steps: link layer (CRC blocks checked and removed, format A or B), ELL (AES-CTR opened and its payload
 * CRC checked), AFL, TPL header, security mode 5 or 7 (MAC checked, plaintext 2F 2F checked), records.
 * Every failure is an MbusError; a wrong key is MBUS_ERR_DECRYPT, "decryption failed (check the key)".
 *
 * `MbusDecoder` reuses its buffers and record table across telegrams: what `decode` returns is valid
 * until its next call. `decodeTelegram` is the one-off form.
 */
import { AesKey, ctrXor } from './aes.js';
import { crc16 } from './crc.js';
import { DECRYPTION_FAILED, MbusError } from './errors.js';
import { decodeWiredFrame, idText, isWiredFrame, LINK_HEADER, linkFormat, stripCrcs, u16, type FrameFormat } from './link.js';
import { decodeRecords, Records } from './records.js';
import { aflMac, decryptPayload, macEqual, mode5Iv, mode7Keys, type MeterAddress } from './security.js';
import { parseAfl, parseEll, parseTpl, type AflHeader, type EllHeader, type TplHeader } from './transport.js';

export interface MeterIdentity {
  manufacturer: number;
  /** The 8 BCD digits of the ID field (hex digits when a meter does not use BCD). */
  id: string;
  version: number;
  deviceType: number;
}

export interface SecurityInfo {
  /** TPL security mode (0 none, 5, 7). */
  mode: number;
  encryptedBlocks: number;
  /** The ELL was AES-CTR encrypted. */
  ellEncrypted: boolean;
  /** Everything encrypted was opened (false only with `headersOnly`). */
  decrypted: boolean;
  /** A mode 7 AFL MAC was checked and matched. */
  macVerified: boolean;
}

export interface Telegram {
  medium: 'wireless' | 'wired';
  /** Link-layer CRCs the input carried (wireless only). */
  frameFormat: FrameFormat | null;
  c: number;
  /** Wired primary address (A field). */
  address: number | null;
  /** Wireless link-layer address: the sender (a meter, or a radio adapter in front of it). */
  link: MeterIdentity | null;
  ell: EllHeader | null;
  afl: AflHeader | null;
  /** Null only with `headersOnly` when the ELL is encrypted. */
  tpl: TplHeader | null;
  /** The meter: a long TPL header's address, else the link layer's (null for a wired frame without one). */
  meter: MeterIdentity | null;
  security: SecurityInfo;
  /** The data records (empty with `headersOnly` on an encrypted telegram). */
  records: Records;
  /** The telegram as decoded (CRCs removed, ELL opened): positions in headers index these bytes. */
  bytes: Uint8Array;
}

export interface DecodeOptions {
  /** The meter's AES-128 key (16 bytes, or prepared once per meter). */
  key?: Uint8Array | AesKey;
  /** Which link-layer CRCs the telegram carries; detected from its length by default. */
  frameFormat?: FrameFormat | 'auto';
  /** Parse the headers and stop before anything that needs a key (records stay empty). */
  headersOnly?: boolean;
}

const MAX_TELEGRAM = 512;

export class MbusDecoder {
  readonly records = new Records();
  private readonly stripped = new Uint8Array(MAX_TELEGRAM);
  private readonly opened = new Uint8Array(MAX_TELEGRAM);
  private readonly plain = new Uint8Array(MAX_TELEGRAM);
  private readonly iv = new Uint8Array(16);
  private lastKeyBytes: Uint8Array | undefined;
  private lastKey: AesKey | undefined;

  decode(input: Uint8Array, opts: DecodeOptions = {}): Telegram {
    if (input.length === 0) throw new MbusError('MBUS_ERR_TRUNCATED', 'empty telegram', 0);
    if (input.length > MAX_TELEGRAM) throw new MbusError('MBUS_ERR_LENGTH', `a telegram is at most ${MAX_TELEGRAM} bytes, got ${input.length}`, MAX_TELEGRAM);
    if (isWiredFrame(input) && opts.frameFormat === undefined) return this.wired(input, opts);
    return this.wireless(input, opts);
  }

  private keyOf(opts: DecodeOptions): AesKey | undefined {
    const k = opts.key;
    if (k === undefined || k instanceof AesKey) return k;
    if (k !== this.lastKeyBytes) {
      this.lastKey = new AesKey(k);
      this.lastKeyBytes = k;
    }
    return this.lastKey;
  }

  private wireless(input: Uint8Array, opts: DecodeOptions): Telegram {
    const format = opts.frameFormat && opts.frameFormat !== 'auto' ? opts.frameFormat : linkFormat(input);
    let b = input;
    if (format !== 'none') b = this.stripped.subarray(0, stripCrcs(input, format, this.stripped));
    else if (input.length !== input[0]! + 1) throw new MbusError('MBUS_ERR_LENGTH', `L field ${input[0]} means ${input[0]! + 1} bytes, got ${input.length}`, 0);
    if (b.length < LINK_HEADER + 1) throw new MbusError('MBUS_ERR_TRUNCATED', 'telegram ends after the link layer (no CI field)', b.length);
    const link: MeterIdentity = { manufacturer: u16(b, 2), id: idText(b, 4), version: b[8]!, deviceType: b[9]! };
    const linkAddress: MeterAddress = { bytes: b, at: 2, order: 'link' };
    const security: SecurityInfo = { mode: 0, encryptedBlocks: 0, ellEncrypted: false, decrypted: true, macVerified: false };
    let p = LINK_HEADER;
    let ell: EllHeader | null = null;
    const e = parseEll(b, p);
    if (e) {
      ell = e.ell;
      p = e.next;
      if (ell.encrypted) {
        security.ellEncrypted = true;
        if (opts.headersOnly) {
          security.decrypted = false;
          this.records.reset(b);
          return { medium: 'wireless', frameFormat: format, c: b[1]!, address: null, link, ell, afl: null, tpl: null, meter: link, security, records: this.records, bytes: b };
        }
        b = this.openEll(b, ell, this.requireKey(opts));
        linkAddress.bytes = b;
      }
    }
    let afl: AflHeader | null = null;
    const a = parseAfl(b, p);
    if (a) {
      afl = a.afl;
      p = a.next;
      if (afl.moreFragments || afl.fragmentId > 1) throw new MbusError('MBUS_ERR_SECURITY', `AFL fragment ${afl.fragmentId}${afl.moreFragments ? ' (more follow)' : ''}: fragmented messages are not reassembled`, p);
    }
    const tpl = parseTpl(b, p);
    const meterAddress: MeterAddress = tpl.header === 'long' ? { bytes: b, at: tpl.addressAt, order: 'tpl' } : linkAddress;
    const meter = tpl.header === 'long' ? identityAt(b, tpl.addressAt) : link;
    this.open(b, tpl, afl, meterAddress, security, opts);
    return { medium: 'wireless', frameFormat: format, c: b[1]!, address: null, link, ell, afl, tpl, meter, security, records: this.records, bytes: b };
  }

  private wired(input: Uint8Array, opts: DecodeOptions): Telegram {
    const f = decodeWiredFrame(input);
    const security: SecurityInfo = { mode: 0, encryptedBlocks: 0, ellEncrypted: false, decrypted: true, macVerified: false };
    if (f.type !== 'long') throw new MbusError('MBUS_ERR_CI', `a wired ${f.type} frame carries no application data`, 0);
    const tpl = parseTpl(input, 6);
    const end = input.length - 2;
    if (tpl.dataAt > end) throw new MbusError('MBUS_ERR_TRUNCATED', 'the TPL header runs into the checksum', end);
    const b = input.subarray(0, end);
    const meter = tpl.header === 'long' ? identityAt(b, tpl.addressAt) : null;
    const address: MeterAddress | null = tpl.header === 'long' ? { bytes: b, at: tpl.addressAt, order: 'tpl' } : null;
    this.open(b, tpl, null, address, security, opts);
    return { medium: 'wired', frameFormat: null, c: f.c, address: f.a, link: null, ell: null, afl: null, tpl, meter, security, records: this.records, bytes: b };
  }

  private requireKey(opts: DecodeOptions): AesKey {
    const key = this.keyOf(opts);
    if (!key) throw new MbusError('MBUS_ERR_KEY', 'the telegram is encrypted and no key was given');
    return key;
  }

  /** AES-CTR of the ELL: from the PayloadCRC to the end, then the CRC checked. */
  private openEll(b: Uint8Array, ell: EllHeader, key: AesKey): Uint8Array {
    const out = this.opened.subarray(0, b.length);
    out.set(b.subarray(0, ell.payloadCrcAt));
    const iv = this.iv;
    const addr = ell.addressAt >= 0 ? ell.addressAt : 2;
    iv.set(b.subarray(addr, addr + 8), 0);
    iv[8] = ell.cc & 0xef;
    iv.set(b.subarray(ell.payloadCrcAt - 4, ell.payloadCrcAt), 9);
    iv[13] = 0;
    iv[14] = 0;
    iv[15] = 0;
    ctrXor(key, iv, b, ell.payloadCrcAt, b.length - ell.payloadCrcAt, out, ell.payloadCrcAt);
    const stored = u16(out, ell.payloadCrcAt);
    if (crc16(out, ell.payloadCrcAt + 2, out.length) !== stored) {
      throw new MbusError('MBUS_ERR_DECRYPT', `${DECRYPTION_FAILED}: the ELL payload CRC does not match`, ell.payloadCrcAt);
    }
    return out;
  }

  /** Decrypts the TPL payload as its security mode says and decodes the records. */
  private open(b: Uint8Array, tpl: TplHeader, afl: AflHeader | null, address: MeterAddress | null, security: SecurityInfo, opts: DecodeOptions): void {
    const end = b.length;
    security.mode = tpl.securityMode;
    security.encryptedBlocks = tpl.encryptedBlocks;
    if (!tpl.records) {
      this.records.reset(b);
      return;
    }
    const mode = tpl.securityMode;
    if (mode === 0 || (tpl.encryptedBlocks === 0 && (mode === 5 || mode === 7))) {
      decodeRecords(b, tpl.dataAt, end, this.records);
      return;
    }
    if (mode !== 5 && mode !== 7) {
      const what = mode === 13 ? ' (TLS, out of scope)' : '';
      throw new MbusError('MBUS_ERR_SECURITY', `security mode ${mode}${what} is not supported (modes 0, 5 and 7 are)`, tpl.at);
    }
    if (opts.headersOnly) {
      security.decrypted = false;
      this.records.reset(b);
      return;
    }
    const key = this.requireKey(opts);
    if (!address) throw new MbusError('MBUS_ERR_SECURITY', 'an encrypted payload needs the meter address (long TPL header)', tpl.at);
    const n = tpl.encryptedBlocks * 16;
    const plain = this.plain;
    if (mode === 5) {
      decryptPayload(key, mode5Iv(address, tpl.accessNumber!, this.iv), b, tpl.dataAt, tpl.encryptedBlocks, plain);
    } else {
      if (!afl || afl.counterAt < 0) throw new MbusError('MBUS_ERR_SECURITY', 'security mode 7 needs an AFL with the message counter', tpl.at);
      const kdf = (tpl.configExt! >> 4) & 3;
      if (kdf !== 1) throw new MbusError('MBUS_ERR_SECURITY', `key derivation ${kdf} is not supported (1: KDF-A)`, tpl.dataAt - 1);
      const keys = mode7Keys(key, b, afl.counterAt, address);
      if (afl.macAt >= 0) {
        const mac = aflMac(keys.mac, b, afl.mcl ?? 0, afl.counterAt, afl.lengthAt, tpl.at, end);
        if (!macEqual(mac, b, afl.macAt, afl.macLength)) throw new MbusError('MBUS_ERR_DECRYPT', `${DECRYPTION_FAILED}: the AFL MAC does not match`, afl.macAt);
        security.macVerified = true;
      }
      decryptPayload(keys.enc, null, b, tpl.dataAt, tpl.encryptedBlocks, plain);
    }
    // The plain rest after the encrypted blocks (partial encryption) joins the decrypted bytes.
    const rest = end - tpl.dataAt - n;
    for (let k = 0; k < rest; k++) plain[n + k] = b[tpl.dataAt + n + k]!;
    decodeRecords(plain, 0, n + rest, this.records);
  }
}

function identityAt(b: Uint8Array, at: number): MeterIdentity {
  return { id: idText(b, at), manufacturer: u16(b, at + 4), version: b[at + 6]!, deviceType: b[at + 7]! };
}

/** Decodes one telegram with a fresh decoder (its result stays valid). */
export function decodeTelegram(input: Uint8Array, opts: DecodeOptions = {}): Telegram {
  return new MbusDecoder().decode(input, opts);
}
