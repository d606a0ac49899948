/**
 * The layers between the link layer and the data records, each introduced by its CI field
 * (EN 13757-1 Table 2, EN 13757-4/-7, OMS Vol. 2):
 *
 *   ELL  extended link layer
 *        0x8C  CC ACC
 *        0x8D  CC ACC SN(4) | PayloadCRC(2) ...        SN bits 29-31 = 1: AES-128-CTR from PayloadCRC on
 *        0x8E  CC ACC M(2) A(6)
 *        0x8F  CC ACC M(2) A(6) SN(4) | PayloadCRC(2) ...
 *        CTR counter block: M(2) A(6) CC(hop bit 4 cleared) SN(4) FN(2) = 0 BC(1) = 0; M A from the ELL
 *        when it carries them, else from the link layer. PayloadCRC (LE) covers the bytes after it.
 *   AFL  authentication and fragmentation layer
 *        0x90  AFLL FCL(2, LE) [MCL] [KI(2)] [MCR(4)] [MAC] [ML(2)]
 *        FCL   bit 14 more fragments, 13 MCL present, 12 ML present, 11 MCR present, 10 MAC present,
 *              9 KI present, 0-7 fragment id
 *        MCL   bit 6 ML in message, 5 MCR in message, 4 KI in message, 0-3 authentication type
 *              (MAC length: AT 3 → 2, 4 → 4, 5 → 8, 6 → 12, 7 → 16 bytes)
 *   TPL  transport layer
 *        0x72  long header:  ID(4) M(2) version device type ACC status CF(2) [CF ext]   (wired too)
 *        0x7A  short header: ACC status CF(2) [CF ext]                                   (wired too)
 *        0x78  no header
 *        0x8A / 0x8B  short / long header without data records (transport only)
 *        0x70  application error from the slave (status + error data)
 *        CF    bits 8-12 security mode; mode 5 and 7: bits 4-7 number of encrypted 16-byte blocks;
 *              bit 13 synchronous, 14 accessibility, 15 bidirectional; mode 7 and 13 add CF ext:
 *              bits 4-5 KDF selection, 0-3 key id
 *
 * Not decoded (MBUS_ERR_CI): compact and format frames (0x69-0x6B, 0x79, 0x7B), fixed data structure
 * (0x73), MSB-first variable data (0x76), network layer (0x81), SML (0x7E, 0x7F).
 */
import { MbusError } from './errors.js';
import { u16, u32 } from './link.js';

export interface EllHeader {
  ci: number;
  cc: number;
  accessNumber: number;
  /** Position of M(2) A(6) in the telegram when the ELL carries an address (0x8E, 0x8F). */
  addressAt: number;
  sessionNumber: number | null;
  /** Position of the PayloadCRC (0x8D, 0x8F). */
  payloadCrcAt: number;
  /** SN encryption bits say AES-CTR. */
  encrypted: boolean;
}

export interface AflHeader {
  fcl: number;
  moreFragments: boolean;
  fragmentId: number;
  mcl: number | null;
  keyInfo: number | null;
  messageCounter: number | null;
  /** Position of the 4 MCR bytes. */
  counterAt: number;
  macAt: number;
  macLength: number;
  messageLength: number | null;
  /** Position of the 2 ML bytes. */
  lengthAt: number;
}

export type TplHeaderKind = 'long' | 'short' | 'none';

export interface TplHeader {
  ci: number;
  /** Position of the CI field. */
  at: number;
  header: TplHeaderKind;
  /** Long header only: position of ID(4) M(2) version type. */
  addressAt: number;
  accessNumber: number | null;
  status: number | null;
  config: number;
  configExt: number | null;
  securityMode: number;
  encryptedBlocks: number;
  /** First byte of the application data (after the header). */
  dataAt: number;
  /** The CI carries no data records (0x8A, 0x8B) or is an application error (0x70). */
  records: boolean;
}

const MAC_LENGTH = [0, 0, 0, 2, 4, 8, 12, 16, 12];

function need(b: Uint8Array, at: number, n: number, what: string): void {
  if (at + n > b.length) throw new MbusError('MBUS_ERR_TRUNCATED', `telegram ends inside the ${what}`, Math.min(at, b.length));
}

/** Parses an ELL at `b[at]` (its CI); null when the CI is not an ELL. Returns the header and the position after it. */
export function parseEll(b: Uint8Array, at: number): { ell: EllHeader; next: number } | null {
  const ci = b[at]!;
  if (ci < 0x8c || ci > 0x8f) return null;
  const withAddress = ci === 0x8e || ci === 0x8f;
  const withSession = ci === 0x8d || ci === 0x8f;
  const size = 3 + (withAddress ? 8 : 0) + (withSession ? 6 : 0);
  need(b, at, size, `ELL (CI 0x${ci.toString(16)})`);
  let p = at + 3;
  const addressAt = withAddress ? p : -1;
  if (withAddress) p += 8;
  let sessionNumber: number | null = null;
  let payloadCrcAt = -1;
  let encrypted = false;
  if (withSession) {
    sessionNumber = u32(b, p);
    const enc = sessionNumber >>> 29;
    if (enc > 1) throw new MbusError('MBUS_ERR_SECURITY', `ELL encryption ${enc} is not defined (1 = AES-128-CTR)`, p + 3);
    encrypted = enc === 1;
    payloadCrcAt = p + 4;
    p += 6;
  }
  return { ell: { ci, cc: b[at + 1]!, accessNumber: b[at + 2]!, addressAt, sessionNumber, payloadCrcAt, encrypted }, next: p };
}

/** Parses an AFL at `b[at]` (CI 0x90); null when the CI is not 0x90. */
export function parseAfl(b: Uint8Array, at: number): { afl: AflHeader; next: number } | null {
  if (b[at] !== 0x90) return null;
  need(b, at, 4, 'AFL');
  const afll = b[at + 1]!;
  const end = at + 2 + afll;
  need(b, at, 2 + afll, 'AFL');
  const fcl = u16(b, at + 2);
  let p = at + 4;
  const afl: AflHeader = {
    fcl, moreFragments: (fcl & 0x4000) !== 0, fragmentId: fcl & 0xff, mcl: null, keyInfo: null, messageCounter: null,
    counterAt: -1, macAt: -1, macLength: 0, messageLength: null, lengthAt: -1,
  };
  const take = (n: number, what: string): number => {
    if (p + n > end) throw new MbusError('MBUS_ERR_LENGTH', `AFLL ${afll} leaves no room for the ${what}`, p);
    const q = p;
    p += n;
    return q;
  };
  if (fcl & 0x2000) afl.mcl = b[take(1, 'MCL')]!;
  if (fcl & 0x0200) afl.keyInfo = u16(b, take(2, 'key information'));
  if (fcl & 0x0800) {
    afl.counterAt = take(4, 'message counter');
    afl.messageCounter = u32(b, afl.counterAt);
  }
  if (fcl & 0x0400) {
    const at2 = (afl.mcl ?? 0) & 0x0f;
    const n = MAC_LENGTH[at2] ?? 0;
    if (n === 0) throw new MbusError('MBUS_ERR_SECURITY', `AFL MAC with authentication type ${at2} (no MAC length defined)`, p);
    afl.macAt = take(n, 'MAC');
    afl.macLength = n;
  }
  if (fcl & 0x1000) {
    afl.lengthAt = take(2, 'message length');
    afl.messageLength = u16(b, afl.lengthAt);
  }
  if (p !== end) throw new MbusError('MBUS_ERR_LENGTH', `AFLL ${afll} but the FCL fields take ${p - at - 2} bytes`, p);
  return { afl, next: end };
}

const UNSUPPORTED_CI: Record<number, string> = {
  0x69: 'format frame', 0x6a: 'format frame', 0x6b: 'format frame', 0x73: 'fixed data structure', 0x76: 'variable data, MSB first (mode 2)',
  0x77: 'fixed data structure, MSB first', 0x79: 'compact frame', 0x7b: 'compact frame', 0x7e: 'SML', 0x7f: 'SML', 0x81: 'network layer',
  0x90: 'AFL in this place', 0x9e: 'TLS', 0x9f: 'TLS',
};

/** Parses the TPL at `b[at]`. */
export function parseTpl(b: Uint8Array, at: number): TplHeader {
  need(b, at, 1, 'TPL');
  const ci = b[at]!;
  const t: TplHeader = {
    ci, at, header: 'none', addressAt: -1, accessNumber: null, status: null, config: 0, configExt: null, securityMode: 0,
    encryptedBlocks: 0, dataAt: at + 1, records: true,
  };
  let p = at + 1;
  switch (ci) {
    case 0x78:
      return t;
    case 0x70:
      t.records = false;
      return t;
    case 0x72:
    case 0x8b:
      need(b, p, 12, 'long TPL header');
      t.header = 'long';
      t.addressAt = p;
      p += 8;
      break;
    case 0x7a:
    case 0x8a:
      need(b, p, 4, 'short TPL header');
      t.header = 'short';
      break;
    default: {
      const what = UNSUPPORTED_CI[ci];
      throw new MbusError('MBUS_ERR_CI', `CI 0x${ci.toString(16).padStart(2, '0')} ${what ? `(${what}) is not decoded` : 'is not a known transport layer'}`, at);
    }
  }
  t.records = ci === 0x72 || ci === 0x7a;
  t.accessNumber = b[p]!;
  t.status = b[p + 1]!;
  t.config = u16(b, p + 2);
  p += 4;
  t.securityMode = (t.config >> 8) & 0x1f;
  if (t.securityMode === 5 || t.securityMode === 7) t.encryptedBlocks = (t.config >> 4) & 0x0f;
  if (t.securityMode === 7 || t.securityMode === 13) {
    need(b, p, 1, 'configuration field extension');
    t.configExt = b[p]!;
    p++;
  }
  t.dataAt = p;
  return t;
}
