/**
 * The lower layer under a DLMS connection, one interface for the three framings: bytes in, whole APDUs and
 * link events out, frames to write returned. HDLC delegates to the sans-I/O HdlcLink (SNRM/UA, N(S)/N(R),
 * segmentation with RR); the wrapper adds and checks the 8-byte WPDU header; 'none' passes APDUs as they are
 * (one chunk = one APDU). The wrapper and 'none' have no link to set up: the caller's socket is the link.
 */
import { DlmsError } from '../errors.js';
import { HdlcFrameAssembler } from '../hdlc/assembler.js';
import { decodeFrame, type HdlcAddress, type HdlcFrame } from '../hdlc/frame.js';
import { HdlcLink, type HdlcRole } from '../hdlc/link.js';
import { stripLlc } from '../hdlc/llc.js';
import type { HdlcParameters } from '../hdlc/params.js';
import { WrapperAssembler } from '../wrapper/assembler.js';
import { encodeWpdu } from '../wrapper/wpdu.js';
import type { Framing } from './settings.js';

export type FramingEvent =
  | { type: 'apdu'; apdu: Uint8Array }
  | { type: 'link-connected'; hdlc?: HdlcParameters }
  /** local: our DISC confirmed; refused: DM to our SNRM; peer: the other side ended the link. */
  | { type: 'link-disconnected'; reason: 'local' | 'refused' | 'peer' }
  | { type: 'link-error'; error: DlmsError };

export interface FramingOptions {
  framing: Framing;
  role: HdlcRole;
  /** Client SAP (client role; the server learns it from the peer). */
  clientAddress?: number;
  serverAddress: HdlcAddress;
  hdlc?: Partial<HdlcParameters>;
  /** Own and peer wPort (the server learns the peer's from the first WPDU). */
  ownWPort: number;
  peerWPort?: number;
  maxApduSize: number;
}

export class FramingLayer {
  private readonly link: HdlcLink | undefined;
  private readonly frames = new HdlcFrameAssembler();
  private readonly wpdus: WrapperAssembler | undefined;
  private _peerAddress: number | undefined;
  private lastSent: Uint8Array[] = [];

  constructor(private readonly o: FramingOptions) {
    if (o.framing === 'hdlc') {
      this.link = new HdlcLink({
        role: o.role,
        ...(o.clientAddress !== undefined ? { clientAddress: o.clientAddress } : {}),
        serverAddress: o.serverAddress,
        ...(o.hdlc ? { parameters: o.hdlc } : {}),
        maxApduSize: o.maxApduSize,
      });
    }
    if (o.framing === 'wrapper') this.wpdus = new WrapperAssembler({ maxApduSize: o.maxApduSize });
  }

  /** Server: the client SAP (HDLC source address or wrapper source wPort) of the last data received. */
  get peerAddress(): number | undefined {
    return this._peerAddress;
  }

  get hdlcParameters(): Readonly<HdlcParameters> | undefined {
    return this.link?.parameters;
  }

  /** Client: open the link (SNRM). Without HDLC the link exists already: 'link-connected' at once. */
  connect(events: FramingEvent[]): Uint8Array[] {
    if (this.link) return this.link.connect();
    events.push({ type: 'link-connected' });
    return [];
  }

  /** Client: close the link (DISC). Without HDLC: 'link-disconnected' at once (the caller closes the socket). */
  disconnect(events: FramingEvent[]): Uint8Array[] {
    if (this.link) return this.link.disconnect();
    events.push({ type: 'link-disconnected', reason: 'local' });
    return [];
  }

  send(apdu: Uint8Array): Uint8Array[] {
    let out: Uint8Array[];
    if (this.link) out = this.link.sendApdu(apdu);
    else if (this.o.framing === 'wrapper') {
      if (this.o.peerWPort === undefined) throw new DlmsError('DLMS_ERR_STATE', 'no peer wPort known yet');
      out = [encodeWpdu(this.o.ownWPort, this.o.peerWPort, apdu)];
    } else out = [apdu];
    this.lastSent = out;
    return out;
  }

  /** What to write again after the caller's response timeout. */
  resend(): Uint8Array[] {
    return this.link ? this.link.resend() : this.lastSent;
  }

  receive(chunk: Uint8Array, events: FramingEvent[]): Uint8Array[] {
    if (this.link) return this.receiveHdlc(this.link, chunk, events);
    if (!this.wpdus) {
      events.push({ type: 'apdu', apdu: chunk });
      return [];
    }
    let wpdus;
    try {
      wpdus = this.wpdus.push(chunk);
    } catch (e) {
      if (!(e instanceof DlmsError)) throw e;
      this.wpdus.reset(); // no flags to resynchronise on: the caller should drop the connection
      events.push({ type: 'link-error', error: e });
      return [];
    }
    for (const w of wpdus) {
      if (w.destinationWPort !== this.o.ownWPort || (this.o.peerWPort !== undefined && this.o.role === 'client' && w.sourceWPort !== this.o.peerWPort)) {
        events.push({ type: 'link-error', error: new DlmsError('DLMS_ERR_WRAPPER', `WPDU ${w.sourceWPort} → ${w.destinationWPort} is not for wPort ${this.o.ownWPort}`) });
        continue;
      }
      if (this.o.role === 'server') this.o.peerWPort = this._peerAddress = w.sourceWPort;
      events.push({ type: 'apdu', apdu: w.apdu });
    }
    return [];
  }

  private receiveHdlc(link: HdlcLink, chunk: Uint8Array, events: FramingEvent[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const item of this.frames.push(chunk)) {
      if (item.kind === 'skipped') continue; // line noise between frames
      let frame: HdlcFrame;
      try {
        frame = decodeFrame(item.frame);
      } catch (e) {
        if (!(e instanceof DlmsError)) throw e;
        events.push({ type: 'link-error', error: e });
        continue;
      }
      if (this.o.role === 'server' && (frame.type === 'SNRM' || link.state === 'disconnected')) this._peerAddress = frame.source.logical;
      out.push(...link.receiveFrame(frame));
      for (let e = link.nextEvent(); e; e = link.nextEvent()) {
        switch (e.type) {
          case 'connected':
            events.push({ type: 'link-connected', hdlc: e.params });
            break;
          case 'disconnected':
            events.push({ type: 'link-disconnected', reason: e.reason });
            break;
          case 'apdu':
            events.push({ type: 'apdu', apdu: e.apdu });
            break;
          case 'ui': // unsolicited pushes may come in UI frames, LLC header included
            try {
              events.push({ type: 'apdu', apdu: stripLlc(e.info, this.o.role === 'client' ? 'response' : 'command') });
            } catch (err) {
              if (!(err instanceof DlmsError)) throw err;
              events.push({ type: 'link-error', error: err });
            }
            break;
          case 'error':
            events.push({ type: 'link-error', error: e.error });
            break;
          default: // ignored frames, busy peer, FRMR: the link handles them or the caller's timer does
        }
      }
    }
    return out;
  }
}
