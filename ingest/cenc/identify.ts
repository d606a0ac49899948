/**
 * How a meter-initiated connection says who it is. The first packet on a new connection (TCP: the first
 * bytes; UDP: each datagram from a new peer) is one of:
 *
 *   1. A modem identification line, ASCII, case-insensitive keywords, optional CR/LF at the end; one field
 *      or several separated by ';':
 *        IMEI:<15 digits>      e.g. "IMEI:356938035643809\r\n" (iRZ-style modems, registered as "universal device")
 *        SN:<serial>           serial of 1..32 characters [0-9A-Za-z._-]
 *        ID:<15 digits>        the modem's IMEI, as in "ID:<IMEI>;SN:<serial>" (modems that know their meter)
 *      '=' may stand for ':'. With a serial and an IMEI, the device is the meter (its serial) and the IMEI
 *      identifies it too (a device registered by its modem's IMEI is found). Bytes after the line end are
 *      the first DLMS bytes of the connection.
 *   2. A last-gasp line, same grammar with the keyword GASP: "GASP:<IMEI or serial>" — power lost; the
 *      modem may close right after. Accepted on a new connection and on a held one.
 *   3. A DLMS DataNotification in the listener's framing (wrapper WPDU or HDLC frame):
 *        - ciphered (general-glo-ciphering / general-ded-ciphering): the system title of the envelope;
 *        - plain: the logical device name — the first octet-string or visible-string element of the
 *          notification body (or the body itself) that is 16 printable ASCII characters (SPODES / IDIS
 *          logical device names, 0.0.42.0.0.255, are 16 characters).
 */
import { Reader } from '../../decoders/dlms/axdr/reader.js';
import type { DlmsData } from '../../decoders/dlms/axdr/types.js';
import { toHex } from '../../decoders/dlms/axdr/writer.js';
import { decodeApdu } from '../../decoders/dlms/apdu/index.js';
import { DlmsError } from '../../decoders/dlms/errors.js';
import { decodeFrame } from '../../decoders/dlms/hdlc/frame.js';
import { HdlcFrameAssembler } from '../../decoders/dlms/hdlc/assembler.js';
import { stripLlc } from '../../decoders/dlms/hdlc/llc.js';
import { decodeGeneralGloCiphering, GENERAL_DED_CIPHERING, GENERAL_GLO_CIPHERING } from '../../decoders/dlms/security/index.js';
import { decodeWrapperHeader, WRAPPER_HEADER_SIZE } from '../../decoders/dlms/wrapper/wpdu.js';
import type { DeviceIdentity } from './directory.js';

export type Identification =
  | {
    kind: 'identification';
    /** The device: the meter's serial when the line names one. */
    identity: DeviceIdentity;
    /** Other identities the line gives (the modem's IMEI next to a serial). */
    alternatives: DeviceIdentity[];
    /** bytes after the line */
    rest: Uint8Array;
  }
  | { kind: 'last-gasp'; identity: DeviceIdentity }
  | { kind: 'notification'; identity: DeviceIdentity };

const FIELD = /^(IMEI|SN|ID|GASP)[:=]([0-9A-Za-z._-]{1,32})/i;
const LINE_END = /^(\r?\n|$)/;
const IMEI = /^\d{15}$/;

interface Line {
  keyword: 'IMEI' | 'SN' | 'GASP';
  /** Serial first, then IMEI. */
  identities: DeviceIdentity[];
  length: number;
}

function lineIdentity(text: string): Line | undefined {
  const identities: DeviceIdentity[] = [];
  let keyword: Line['keyword'] | undefined;
  let at = 0;
  for (;;) {
    const m = FIELD.exec(text.slice(at));
    if (!m) return undefined;
    const key = m[1]!.toUpperCase();
    const value = m[2]!;
    const imei = IMEI.test(value);
    if ((key === 'IMEI' || key === 'ID') && !imei) return undefined;
    if (key === 'GASP') {
      if (identities.length) return undefined;
      keyword = 'GASP';
    } else keyword ??= key === 'SN' ? 'SN' : 'IMEI';
    const identity: DeviceIdentity = { kind: key === 'SN' || (key === 'GASP' && !imei) ? 'serial' : 'imei', value };
    if (identity.kind === 'serial') identities.unshift(identity);
    else identities.push(identity);
    at += m[0].length;
    if (text[at] === ';' && keyword !== 'GASP') {
      at++;
      continue;
    }
    const end = LINE_END.exec(text.slice(at));
    return end ? { keyword, identities, length: at + end[0].length } : undefined;
  }
}

const PRINTABLE = /^[\x20-\x7e]{16}$/;

function nameOf(d: DlmsData): string | undefined {
  if (d.type === 'visible-string') return PRINTABLE.test(d.value) ? d.value : undefined;
  if (d.type === 'octet-string' && d.value.length === 16) {
    const s = String.fromCharCode(...d.value);
    return PRINTABLE.test(s) ? s : undefined;
  }
  return undefined;
}

/** Identity in an APDU that is a DataNotification (plain or ciphered), else undefined. */
export function notificationIdentity(apdu: Uint8Array): DeviceIdentity | undefined {
  const tag = apdu[0];
  if (tag === GENERAL_GLO_CIPHERING || tag === GENERAL_DED_CIPHERING) {
    const c = decodeGeneralGloCiphering(new Reader(apdu));
    return { kind: 'system-title', value: toHex(c.systemTitle).toUpperCase() };
  }
  if (tag !== 0x0f) return undefined;
  const a = decodeApdu(apdu);
  if (a.type !== 'data-notification') return undefined;
  const candidates = a.body.type === 'structure' || a.body.type === 'array' ? [a.body, ...a.body.value] : [a.body];
  for (const c of candidates) {
    const n = nameOf(c);
    if (n) return { kind: 'logical-device-name', value: n };
  }
  return undefined;
}

function firstApdu(packet: Uint8Array, framing: 'wrapper' | 'hdlc'): Uint8Array | undefined {
  if (framing === 'wrapper') {
    if (packet.length < WRAPPER_HEADER_SIZE) return undefined;
    const h = decodeWrapperHeader(packet);
    return packet.length >= WRAPPER_HEADER_SIZE + h.length ? packet.subarray(WRAPPER_HEADER_SIZE, WRAPPER_HEADER_SIZE + h.length) : undefined;
  }
  for (const item of new HdlcFrameAssembler().push(packet)) {
    if (item.kind !== 'frame') continue;
    const f = decodeFrame(item.frame);
    if (f.info && f.info.length > 0) return stripLlc(f.info, 'response');
  }
  return undefined;
}

/** The identification in a first packet, or undefined when it holds none (yet: TCP may need more bytes). */
export function identifyPacket(packet: Uint8Array, framing: 'wrapper' | 'hdlc'): Identification | undefined {
  const head = String.fromCharCode(...packet.subarray(0, 64));
  const line = lineIdentity(head);
  if (line) {
    const [identity, ...alternatives] = line.identities as [DeviceIdentity, ...DeviceIdentity[]];
    if (line.keyword === 'GASP') return { kind: 'last-gasp', identity };
    return { kind: 'identification', identity, alternatives, rest: packet.subarray(line.length) };
  }
  try {
    const apdu = firstApdu(packet, framing);
    const identity = apdu && notificationIdentity(apdu);
    return identity ? { kind: 'notification', identity } : undefined;
  } catch (e) {
    if (e instanceof DlmsError) return undefined;
    throw e;
  }
}

/** A last-gasp line on a held connection. */
export function lastGasp(packet: Uint8Array): DeviceIdentity | undefined {
  if (packet[0] !== 0x47 && packet[0] !== 0x67) return undefined; // 'G' / 'g'
  const line = lineIdentity(String.fromCharCode(...packet.subarray(0, 64)));
  return line?.keyword === 'GASP' ? line.identities[0] : undefined;
}
