/**
 * A meter's serial port in IEC 62056-21 mode E (decoders/dlms/mode-e), as a transparent modem carries it to
 * the HES: silent until a request for it — "/?!" or "/?<its serial number>!" (meters sharing a bus answer
 * only to their own address) —, then the identification "/<manufacturer>5\2<type>" (up to 9600 Bd, binary
 * mode available), then on the option select for binary mode (ACK 2 Z 2, Z at most 9600 Bd) HDLC. Anything
 * else before (HDLC frames sent without the opening, other modes) goes unanswered, as at 300 Bd a meter
 * would not understand it; an option select for another mode closes the connection.
 */
import { DlmsError } from '../../decoders/dlms/errors.js';
import {
  decodeOptionSelect, decodeRequest, encodeIdentification, messageLength, selectsHdlc,
} from '../../decoders/dlms/mode-e/mode-e.js';
import type { Fleet } from '../fleet.js';

/** The highest speed the simulated meters offer. */
export const MODE_E_BAUD_RATE = 9600;
/** What a port keeps of bytes that end no message before it drops them. */
const MAX_MESSAGE = 256;

export interface ModeEStep {
  /** What the meter answers. */
  reply?: Uint8Array;
  close?: boolean;
  /** Bytes after the option select: the start of HDLC. */
  rest: Uint8Array;
}

export class ModeEPort {
  /** Binary mode (HDLC) selected. */
  open = false;
  /** The meter the request named by its serial number (undefined: as the HDLC address says). */
  index: number | undefined;
  #buf = new Uint8Array(0);
  #identified = false;

  constructor(
    private readonly fleet: Fleet,
    private readonly fixedIndex?: number,
  ) {
    this.index = fixedIndex;
  }

  receive(bytes: Uint8Array): ModeEStep {
    const joined = new Uint8Array(this.#buf.length + bytes.length);
    joined.set(this.#buf);
    joined.set(bytes, this.#buf.length);
    this.#buf = joined;
    let reply: Uint8Array | undefined;
    for (let n = messageLength(this.#buf); n && !this.open; n = messageLength(this.#buf)) {
      const message = this.#buf.subarray(0, n);
      this.#buf = this.#buf.slice(n);
      try {
        if (message[0] === 0x2f) {
          const { address } = decodeRequest(message);
          const index = address === '' ? this.fixedIndex : this.#meterWithSerial(address);
          if (address !== '' && index === undefined) continue; // another meter's address
          this.index = index;
          this.#identified = true;
          const p = this.fleet.profile;
          reply = encodeIdentification({ manufacturer: p.manufacturer, baudRate: MODE_E_BAUD_RATE, hdlc: true, identification: p.name.toUpperCase().slice(0, 16) });
        } else if (this.#identified) {
          const select = decodeOptionSelect(message);
          if (!selectsHdlc(select) || select.baudRate > MODE_E_BAUD_RATE) return { close: true, rest: new Uint8Array(0) };
          this.open = true;
        }
      } catch (e) {
        if (!(e instanceof DlmsError)) throw e; // not a message of the opening: unanswered
      }
    }
    if (this.open) {
      const rest = this.#buf;
      this.#buf = new Uint8Array(0);
      return { ...(reply ? { reply } : {}), rest };
    }
    if (this.#buf.length > MAX_MESSAGE) this.#buf = new Uint8Array(0);
    return { ...(reply ? { reply } : {}), rest: new Uint8Array(0) };
  }

  #meterWithSerial(serial: string): number | undefined {
    if (this.fixedIndex !== undefined) return this.fleet.serial(this.fixedIndex) === serial ? this.fixedIndex : undefined;
    for (let i = 0; i < this.fleet.size; i++) if (this.fleet.serial(i) === serial) return i;
    return undefined;
  }
}
