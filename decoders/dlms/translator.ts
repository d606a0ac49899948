/**
 * The DLMS translator behind `hes decode`: bytes of a capture in, a JSON-ready description out.
 *
 * Framing is detected from the first bytes: 0x7E + a type-3 format byte is HDLC, 0x0001 + a length that
 * fits is the wrapper, anything else a bare APDU. Several frames in a row are one exchange: HDLC
 * segments are reassembled per direction, GET-Response-With-Datablock blocks and General-Block-Transfer
 * blocks are joined and their content decoded. Ciphered APDUs are deciphered when keys are given; the
 * system titles come from the AARQ/AARE of the same capture unless one is given explicitly.
 */
import { decodeApdu, describeApdu, type Apdu } from './apdu/index.js';
import { GbtReassembler } from './apdu/xdlms/general-block-transfer/reassembler.js';
import { dataToJson, decodeDataBytes } from './axdr/data.js';
import type { DlmsData } from './axdr/types.js';
import { toHex } from './axdr/writer.js';
import { DlmsError } from './errors.js';
import { decodeFrame, type HdlcAddress, type HdlcFrame } from './hdlc/frame.js';
import { decodeHdlcParameters } from './hdlc/params.js';
import { HdlcFrameAssembler } from './hdlc/assembler.js';
import { formatObis } from './obis.js';
import { decipherApdu, type SecurityKeys } from './security/cipher.js';
import { cipheredTagName, isCipheredTag, serviceCipheredTag } from './security/tags.js';
import { decodeWrapperHeader, WRAPPER_HEADER_SIZE } from './wrapper/wpdu.js';

export type Framing = 'hdlc' | 'wrapper' | 'apdu';
export type Direction = 'client-to-server' | 'server-to-client' | 'unknown';

export interface TranslateOptions {
  /** Force a framing instead of detecting it. */
  framing?: Framing;
  blockCipherKey?: Uint8Array;
  authenticationKey?: Uint8Array;
  dedicatedKey?: Uint8Array;
  /** System title of the sender of the ciphered APDUs (overrides what the AARQ/AARE said). */
  systemTitle?: Uint8Array;
}

export interface TranslatedApdu {
  direction: Direction;
  /** Ciphered envelope, when the APDU was protected. */
  ciphered?: { tag: string; securityControl?: number; invocationCounter?: number; systemTitle?: string; deciphered: boolean; reason?: string };
  /** The decoded APDU (JSON-ready), absent when it could not be deciphered. */
  apdu?: unknown;
  summary: string;
}

export interface Translation {
  framing: Framing;
  frames: unknown[];
  apdus: TranslatedApdu[];
  /** Content joined from blocks (GET with datablocks, GBT), decoded. */
  reassembled: unknown[];
}

const HDLC_FLAG = 0x7e;

export function detectFraming(b: Uint8Array): Framing {
  if (b.length >= 3 && b[0] === HDLC_FLAG && (b[1]! & 0xf0) === 0xa0) return 'hdlc';
  if (b.length >= WRAPPER_HEADER_SIZE && b[0] === 0x00 && b[1] === 0x01) {
    const len = (b[6]! << 8) | b[7]!;
    if (len > 0 && len <= b.length - WRAPPER_HEADER_SIZE) return 'wrapper';
  }
  return 'apdu';
}

/** Translate a capture. Throws DlmsError when nothing in it can be decoded. */
export function translate(input: Uint8Array, opts: TranslateOptions = {}): Translation {
  if (input.length === 0) throw new DlmsError('DLMS_ERR_TRUNCATED', 'no input bytes', 0);
  const framing = opts.framing ?? detectFraming(input);
  const t = new Translator(opts);
  if (framing === 'hdlc') t.hdlc(input);
  else if (framing === 'wrapper') t.wrapper(input);
  else t.apdu(input, 'unknown');
  return { framing, frames: t.frames, apdus: t.apdus, reassembled: t.reassembled };
}

class Translator {
  readonly frames: unknown[] = [];
  readonly apdus: TranslatedApdu[] = [];
  readonly reassembled: unknown[] = [];
  private clientTitle: Uint8Array | undefined;
  private serverTitle: Uint8Array | undefined;
  private readonly keys: SecurityKeys;
  private blocks: Uint8Array[] = [];
  private readonly gbt = new GbtReassembler();

  constructor(private readonly opts: TranslateOptions) {
    this.keys = {
      ...(opts.blockCipherKey && { globalUnicastKey: opts.blockCipherKey }),
      ...(opts.authenticationKey && { authenticationKey: opts.authenticationKey }),
      ...(opts.dedicatedKey && { dedicatedKey: opts.dedicatedKey }),
    };
  }

  hdlc(input: Uint8Array): void {
    const assembler = new HdlcFrameAssembler();
    const items = assembler.push(input);
    // Segments of one APDU, per source→destination pair (client and server may interleave in a capture).
    const pending = new Map<string, { direction: Direction; parts: Uint8Array[] }>();
    let found = 0;
    for (const item of items) {
      if (item.kind === 'skipped') {
        this.frames.push({ skipped: toHex(item.bytes) });
        continue;
      }
      const f = decodeFrame(item.frame);
      found++;
      const direction = frameDirection(f);
      const frameJson: Record<string, unknown> = {
        type: f.type,
        destination: addressJson(f.destination),
        source: addressJson(f.source),
        pf: f.pf,
        direction,
      };
      if (f.type === 'I') Object.assign(frameJson, { ns: f.ns, nr: f.nr, segmented: f.segmented });
      if (f.type === 'RR' || f.type === 'RNR') frameJson.nr = f.nr;
      if ((f.type === 'SNRM' || f.type === 'UA') && f.info.length > 0) frameJson.parameters = decodeHdlcParameters(f.info);
      else if (f.info.length > 0) frameJson.info = toHex(f.info);
      this.frames.push(frameJson);
      if (f.type !== 'I' && f.type !== 'UI') continue;
      const key = `${addressKey(f.source)}>${addressKey(f.destination)}`;
      // Only the first segment carries the LLC header that tells the direction; the rest inherit it.
      const entry = pending.get(key) ?? { direction, parts: [] };
      entry.parts.push(f.info);
      if (f.segmented) {
        pending.set(key, entry);
        continue;
      }
      pending.delete(key);
      this.apdu(stripLlcIfPresent(concat(entry.parts)), entry.direction);
    }
    for (const [key, entry] of pending) {
      this.frames.push({ incomplete: `segmented APDU ${key} without its last segment`, bytes: concat(entry.parts).length });
    }
    if (found === 0) throw new DlmsError('DLMS_ERR_HDLC_FORMAT', 'no complete HDLC frame in the input', 0);
  }

  wrapper(input: Uint8Array): void {
    let pos = 0;
    while (pos < input.length) {
      const h = decodeWrapperHeader(input, pos);
      const start = pos + WRAPPER_HEADER_SIZE;
      if (h.length > input.length - start) {
        throw new DlmsError('DLMS_ERR_LENGTH', `wrapper length ${h.length} exceeds the ${input.length - start} bytes left`, pos + 6);
      }
      const apdu = input.subarray(start, start + h.length);
      // Client SAPs are the low wPorts 16, 32, 48..; the server's logical device is usually 1.
      const direction: Direction = h.sourceWPort >= 0x10 && h.destinationWPort < 0x10 ? 'client-to-server' : h.destinationWPort >= 0x10 && h.sourceWPort < 0x10 ? 'server-to-client' : 'unknown';
      this.frames.push({ type: 'wrapper', sourceWPort: h.sourceWPort, destinationWPort: h.destinationWPort, length: h.length, direction });
      this.apdu(apdu, direction);
      pos = start + h.length;
    }
  }

  apdu(bytes: Uint8Array, direction: Direction): void {
    if (bytes.length === 0) throw new DlmsError('DLMS_ERR_TRUNCATED', 'empty APDU', 0);
    const tag = bytes[0]!;
    if (isCipheredTag(tag)) {
      this.ciphered(bytes, direction);
      return;
    }
    const a = decodeApdu(bytes);
    this.learnTitles(a);
    const entry: TranslatedApdu = { direction: direction === 'unknown' ? apduDirection(a.type) : direction, apdu: apduToJson(a), summary: describeApdu(a) };
    this.apdus.push(entry);
    this.afterApdu(a);
  }

  private ciphered(bytes: Uint8Array, direction: Direction): void {
    const tag = bytes[0]!;
    const name = cipheredTagName(tag) ?? `0x${tag.toString(16)}`;
    const dir = direction === 'unknown' ? cipheredDirection(tag) : direction;
    const sender = this.opts.systemTitle ?? (dir === 'client-to-server' ? this.clientTitle : dir === 'server-to-client' ? this.serverTitle : undefined);
    const envelope: NonNullable<TranslatedApdu['ciphered']> = { tag: name, deciphered: false };
    if (!this.keys.globalUnicastKey && !this.keys.dedicatedKey && !this.keys.authenticationKey) {
      envelope.reason = 'no keys given (--block-cipher-key, --auth-key)';
      this.apdus.push({ direction: dir, ciphered: envelope, summary: `${name} (not deciphered: no keys)` });
      return;
    }
    const service = serviceCipheredTag(tag);
    if (service && !sender) {
      envelope.reason = 'the sender system title is unknown: give --system-title or include the AARQ/AARE in the input';
      this.apdus.push({ direction: dir, ciphered: envelope, summary: `${name} (not deciphered: no system title)` });
      return;
    }
    const keys: SecurityKeys = service?.keySet === 'ded' && this.keys.dedicatedKey ? { ...this.keys, globalUnicastKey: this.keys.dedicatedKey } : this.keys;
    let d: ReturnType<typeof decipherApdu>;
    try {
      d = decipherApdu(bytes, { keys, ...(sender && { systemTitle: sender }), required: 'none' });
    } catch (e) {
      // A wrong key is reported on this APDU; the rest of the capture still decodes.
      if (!(e instanceof DlmsError) || e.code !== 'DLMS_ERR_SECURITY') throw e;
      envelope.reason = e.message;
      this.apdus.push({ direction: dir, ciphered: envelope, summary: `${name} (not deciphered: ${e.message})` });
      return;
    }
    envelope.deciphered = true;
    envelope.securityControl = d.securityControl;
    envelope.invocationCounter = d.invocationCounter;
    if (d.systemTitle) envelope.systemTitle = toHex(d.systemTitle);
    const a = decodeApdu(d.apdu);
    this.learnTitles(a);
    this.apdus.push({ direction: dir === 'unknown' ? apduDirection(a.type) : dir, ciphered: envelope, apdu: apduToJson(a), summary: `${name} → ${describeApdu(a)}` });
    this.afterApdu(a);
  }

  /** System titles announced in the association, used to decipher the rest of the capture. */
  private learnTitles(a: Apdu): void {
    if (a.type === 'aarq' && a.callingApTitle?.length === 8) this.clientTitle = a.callingApTitle;
    if (a.type === 'aare' && a.respondingApTitle?.length === 8) this.serverTitle = a.respondingApTitle;
    // A ciphered InitiateRequest/Response inside the association is deciphered in place when possible.
    if ((a.type === 'aarq' || a.type === 'aare') && a.userInformation?.type === 'raw' && isCipheredTag(a.userInformation.apdu[0] ?? 0)) {
      this.ciphered(a.userInformation.apdu, a.type === 'aarq' ? 'client-to-server' : 'server-to-client');
    }
  }

  /** Joins block transfers and decodes their content once complete. */
  private afterApdu(a: Apdu): void {
    if (a.type === 'get-response-with-datablock') {
      if (a.result.type === 'data-access-result') {
        this.blocks = [];
        return;
      }
      this.blocks.push(a.result.value);
      if (a.lastBlock) {
        const content = concat(this.blocks);
        this.blocks = [];
        this.reassembled.push({ kind: 'get-response-with-datablock', bytes: content.length, data: dataOrRaw(content) });
      }
    } else if (a.type === 'general-block-transfer') {
      const p = this.gbt.push(a);
      if (p.apdu) {
        const inner = p.apdu.slice();
        const entry: Record<string, unknown> = { kind: 'general-block-transfer', bytes: inner.length };
        try {
          entry.apdu = apduToJson(decodeApdu(inner));
        } catch (e) {
          entry.hex = toHex(inner);
          entry.error = e instanceof Error ? e.message : String(e);
        }
        this.reassembled.push(entry);
      }
    }
  }
}

function dataOrRaw(content: Uint8Array): unknown {
  try {
    return dataToJson(decodeDataBytes(content));
  } catch (e) {
    return { hex: toHex(content), error: e instanceof Error ? e.message : String(e) };
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function stripLlcIfPresent(info: Uint8Array): Uint8Array {
  if (info.length >= 3 && info[0] === 0xe6 && (info[1] === 0xe6 || info[1] === 0xe7) && info[2] === 0x00) return info.subarray(3);
  return info;
}

function addressKey(a: HdlcAddress): string {
  return a.physical === undefined ? `${a.logical}` : `${a.logical}:${a.physical}`;
}

function addressJson(a: HdlcAddress): Record<string, number> {
  const out: Record<string, number> = { logical: a.logical };
  if (a.physical !== undefined) out.physical = a.physical;
  if (a.size !== undefined) out.size = a.size;
  return out;
}

/**
 * HDLC direction: a client's address is a 1-byte SAP, a server's is 1, 2 or 4 bytes; the LLC header
 * would tell too, but only the first segment has it. Command frames from the client go to the server.
 */
function frameDirection(f: HdlcFrame): Direction {
  const src = f.source.size ?? 1;
  const dst = f.destination.size ?? 1;
  if (src === 1 && dst > 1) return 'client-to-server';
  if (dst === 1 && src > 1) return 'server-to-client';
  if (f.type === 'SNRM' || f.type === 'DISC') return 'client-to-server';
  if (f.type === 'UA' || f.type === 'DM' || f.type === 'FRMR') return 'server-to-client';
  const info = f.info;
  if (info.length >= 3 && info[0] === 0xe6 && info[2] === 0x00) return info[1] === 0xe6 ? 'client-to-server' : 'server-to-client';
  return 'unknown';
}

const fromClient = new Set(['aarq', 'rlrq', 'initiate-request']);
const fromServer = new Set(['aare', 'rlre', 'initiate-response', 'data-notification', 'event-notification-request', 'exception-response', 'confirmed-service-error']);

function apduDirection(type: string): Direction {
  if (fromClient.has(type) || type.includes('-request')) return type === 'event-notification-request' ? 'server-to-client' : 'client-to-server';
  if (fromServer.has(type) || type.includes('-response')) return 'server-to-client';
  return 'unknown';
}

function cipheredDirection(tag: number): Direction {
  const name = cipheredTagName(tag) ?? '';
  if (name.includes('event-notification')) return 'server-to-client';
  if (name.includes('request')) return 'client-to-server';
  if (name.includes('response')) return 'server-to-client';
  return 'unknown';
}

const dataTypeNames = new Set([
  'null-data', 'dont-care', 'array', 'structure', 'boolean', 'bit-string', 'double-long', 'double-long-unsigned', 'floating-point',
  'octet-string', 'visible-string', 'utf8-string', 'bcd', 'integer', 'long', 'unsigned', 'long-unsigned', 'compact-array', 'long64',
  'long64-unsigned', 'enum', 'float32', 'float64', 'date-time', 'date', 'time',
]);

/** Field names that hold a 6-byte logical name and print as OBIS codes. */
const obisFields = new Set(['instanceId', 'logicalName']);

/** APDU objects → JSON: COSEM data via dataToJson, logical names as dotted OBIS, bytes as hex. */
export function apduToJson(v: unknown, field = ''): unknown {
  if (v instanceof Uint8Array) return obisFields.has(field) && v.length === 6 ? formatObis(v) : toHex(v);
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map((x) => apduToJson(x, field));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.type === 'string' && dataTypeNames.has(o.type) && Object.keys(o).every((k) => k === 'type' || k === 'value' || k === 'description')) {
      return dataToJson(o as DlmsData);
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) if (x !== undefined) out[k] = apduToJson(x, k);
    return out;
  }
  return v;
}

/** Hex text → bytes, for the CLI and tests: spaces, newlines, colons and 0x prefixes are ignored. */
export function parseHexInput(text: string): Uint8Array {
  const clean = text.replace(/0x/gi, '').replace(/[\s:,;-]/g, '');
  const bad = /[^0-9a-fA-F]/.exec(clean);
  if (bad) throw new DlmsError('DLMS_ERR_VALUE', `not a hex digit: "${bad[0]}"`, Math.floor(bad.index / 2));
  if (clean.length % 2 !== 0) throw new DlmsError('DLMS_ERR_VALUE', 'odd number of hex digits', clean.length >> 1);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}
