/**
 * IEC 62056-21 protocol mode E: how a local port (optical probe, RS-232/485, or either behind a transparent
 * modem) is opened before HDLC (IEC 62056-46) runs over it. The messages are 7-bit ASCII sent at 300 Bd, 7E1;
 * after the option select both sides switch to the agreed speed and 8N1, and the link is binary HDLC.
 *
 *   HES → meter  request           "/" "?" [device address] "!" CR LF
 *   meter → HES  identification    "/" X X X Z "\" W [identification] CR LF
 *                                     XXX  manufacturer (three letters; a lower-case third one: fast reaction)
 *                                     Z    the highest speed the meter offers, "0"…"6" (below)
 *                                     \W   enhanced identification: W = "2" binary mode (HDLC) available
 *                                     identification up to 16 printable characters but "/" and "!"
 *   HES → meter  option select     ACK(06) V Z Y CR LF
 *                                     V = "2" the HDLC protocol procedure, Y = "2" binary mode (HDLC),
 *                                     Z the speed chosen (at most the meter's)
 *
 *   Z, modes C and E: "0" 300, "1" 600, "2" 1200, "3" 2400, "4" 4800, "5" 9600, "6" 19200 Bd.
 *
 * Both roles are here (the HES opens, the simulator answers); every message ends with CR LF. Pure: bytes in,
 * values out; malformed input throws DlmsError DLMS_ERR_MODE_E naming the offset.
 */
import { DlmsError } from '../errors.js';

export const BAUD_RATES = [300, 600, 1200, 2400, 4800, 9600, 19200] as const;
export type BaudRate = (typeof BAUD_RATES)[number];

const SLASH = 0x2f;
const CR = 0x0d;
const LF = 0x0a;
const ACK = 0x06;
/** V and Y of the option select, and W of the identification: binary mode (HDLC). */
const HDLC = '2';

const ascii = (s: string) => new TextEncoder().encode(s);
const fail = (message: string, offset = -1) => new DlmsError('DLMS_ERR_MODE_E', message, offset);

/** The speed character Z of a baud rate. */
export function baudChar(rate: number): string {
  const i = (BAUD_RATES as readonly number[]).indexOf(rate);
  if (i < 0) throw new DlmsError('DLMS_ERR_ENCODE', `${rate} Bd is not a mode E speed (${BAUD_RATES.join(', ')})`);
  return String(i);
}

/** The baud rate of a speed character Z. */
export function baudRateOf(z: string, offset = -1): BaudRate {
  const rate = /^[0-6]$/.test(z) ? BAUD_RATES[Number(z)] : undefined;
  if (rate === undefined) throw fail(`speed character "${z}" is not "0"…"6"`, offset);
  return rate;
}

/** Length of the first complete message (through CR LF) in `buf`, or 0 while it is not complete. */
export function messageLength(buf: Uint8Array): number {
  for (let i = 1; i < buf.length; i++) if (buf[i - 1] === CR && buf[i] === LF) return i + 1;
  return 0;
}

const PRINTABLE = /^[\x20-\x7e]*$/;

function text(bytes: Uint8Array, what: string): string {
  if (bytes.length < 2 || bytes[bytes.length - 2] !== CR || bytes[bytes.length - 1] !== LF) throw fail(`${what} does not end in CR LF`, bytes.length);
  const s = new TextDecoder('latin1').decode(bytes.subarray(0, bytes.length - 2));
  const bad = [...s].findIndex((c) => !PRINTABLE.test(c));
  if (bad >= 0) throw fail(`${what} holds a byte that is not printable ASCII`, bad);
  return s;
}

// ---- request ----

/** "/?" [address] "!" CR LF; the device address (a meter on a bus answers only to its own) is optional. */
export function encodeRequest(address = ''): Uint8Array {
  if (address.length > 32 || !PRINTABLE.test(address) || /[/!]/.test(address)) {
    throw new DlmsError('DLMS_ERR_ENCODE', `device address "${address}" must be at most 32 printable characters without "/" and "!"`);
  }
  return ascii(`/?${address}!\r\n`);
}

export function decodeRequest(message: Uint8Array): { address: string } {
  const s = text(message, 'request');
  const m = /^\/\?([^/!]{0,32})!$/.exec(s);
  if (!m) throw fail(`"${s}" is not a request "/?[address]!"`, 0);
  return { address: m[1]! };
}

// ---- identification ----

export interface Identification {
  /** Three letters. */
  manufacturer: string;
  /** The highest speed the meter offers. */
  baudRate: BaudRate;
  /** The enhanced identification says binary mode (HDLC) is available: mode E. */
  hdlc: boolean;
  identification: string;
}

export function encodeIdentification(id: Identification): Uint8Array {
  if (!/^[A-Za-z]{3}$/.test(id.manufacturer)) throw new DlmsError('DLMS_ERR_ENCODE', `manufacturer "${id.manufacturer}" is not three letters`);
  if (id.identification.length > 16 || !PRINTABLE.test(id.identification) || /[/!]/.test(id.identification)) {
    throw new DlmsError('DLMS_ERR_ENCODE', `identification "${id.identification}" must be at most 16 printable characters without "/" and "!"`);
  }
  return ascii(`/${id.manufacturer}${baudChar(id.baudRate)}${id.hdlc ? `\\${HDLC}` : ''}${id.identification}\r\n`);
}

export function decodeIdentification(message: Uint8Array): Identification {
  const s = text(message, 'identification');
  if (message[0] !== SLASH) throw fail('identification does not start with "/"', 0);
  const m = /^\/([A-Za-z]{3})(.)((?:\\.)*)([^/!]{0,16})$/.exec(s);
  if (!m) throw fail(`"${s}" is not an identification "/XXXZ[\\W]ident"`, 0);
  const escapes: string[] = (m[3] ?? '').match(/\\./g) ?? [];
  return { manufacturer: m[1]!, baudRate: baudRateOf(m[2]!, 4), hdlc: escapes.includes(`\\${HDLC}`), identification: m[4]! };
}

// ---- option select ----

/** ACK "2" Z "2" CR LF: the HDLC procedure in binary mode at `baudRate`. */
export function encodeOptionSelect(baudRate: number): Uint8Array {
  return new Uint8Array([ACK, ...ascii(`${HDLC}${baudChar(baudRate)}${HDLC}\r\n`)]);
}

export interface OptionSelect {
  /** Protocol control character V ("2": HDLC). */
  protocol: string;
  baudRate: BaudRate;
  /** Mode control character Y ("0" data readout, "1" programming, "2" binary mode). */
  mode: string;
}

export function decodeOptionSelect(message: Uint8Array): OptionSelect {
  if (message[0] !== ACK) throw fail('option select does not start with ACK', 0);
  const s = text(message.subarray(1), 'option select');
  if (s.length !== 3) throw fail(`option select "${s}" is not V Z Y`, 1);
  return { protocol: s[0]!, baudRate: baudRateOf(s[1]!, 2), mode: s[2]! };
}

/** Whether an option select asks for binary mode E (HDLC procedure and binary mode). */
export function selectsHdlc(o: OptionSelect): boolean {
  return o.protocol === HDLC && o.mode === HDLC;
}
