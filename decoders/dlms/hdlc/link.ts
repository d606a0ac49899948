/**
 * A sans-I/O HDLC data link (IEC 62056-46, normal response mode) for the client (primary station) and the
 * server (secondary station) role.
 *
 * Style: every method returns the frames to write, in order, each flag to flag and ready for the wire;
 * what happened is queued as events and read with `nextEvent()`. The link owns no socket and no timer:
 * when the caller's response timer expires it calls `resend()` for the frames to transmit again.
 *
 *   client                                  server
 *   connect(params?)      → SNRM  ─────→   receive(): UA with the negotiated parameters, 'connected'
 *   receive(UA)           → 'connected'
 *   sendApdu(request)     → I-frames ───→   receive(): 'apdu' (RR for each segment but the last)
 *   receive(I-frames)     → 'apdu'  ←───   sendApdu(response) → I-frames (next segment after each RR)
 *   disconnect()          → DISC  ─────→   receive(): UA, 'disconnected'
 *
 * Sequence numbers N(S)/N(R) count modulo 8. APDUs longer than the negotiated maximum information field
 * are sent as segments with the segmentation bit, a window of frames at a time (the last with P/F set), the
 * next window after the peer's RR; received segments are reassembled and answered with RR. The LLC header
 * (E6 E6 00 / E6 E7 00) is added and removed here unless `llc: false`.
 */
import { DlmsError } from '../errors.js';
import { HdlcFrameAssembler } from './assembler.js';
import {
  decodeFrame,
  encodeFrame,
  HDLC_MAX_FRAME_LENGTH,
  hdlcAddressSize,
  sameAddress,
  type HdlcAddress,
  type HdlcFrame,
  type HdlcFrameInit,
} from './frame.js';
import { addLlc, stripLlc, LLC_HEADER_SIZE } from './llc.js';
import {
  decodeHdlcParameters,
  encodeHdlcParameters,
  HDLC_DEFAULT_PARAMETERS,
  negotiateHdlcParameters,
  type HdlcParameters,
} from './params.js';

export type HdlcLinkState = 'disconnected' | 'connecting' | 'connected' | 'disconnecting';
export type HdlcRole = 'client' | 'server';

export type HdlcLinkEvent =
  | { type: 'connected'; params: HdlcParameters }
  /** local: our DISC was confirmed; refused: DM answered our SNRM; peer: the other side ended the link. */
  | { type: 'disconnected'; reason: 'local' | 'refused' | 'peer' }
  | { type: 'apdu'; apdu: Uint8Array }
  | { type: 'ui'; info: Uint8Array }
  | { type: 'peer-busy' }
  | { type: 'frame-reject'; info: Uint8Array }
  | { type: 'ignored'; reason: 'address' | 'state' | 'sequence' | 'unexpected'; frame: HdlcFrame }
  | { type: 'skipped'; bytes: Uint8Array }
  | { type: 'error'; error: DlmsError };

export interface HdlcLinkOptions {
  role: HdlcRole;
  /** Client SAP (1-byte address). Required for a client; a server without it serves whichever client sends SNRM. */
  clientAddress?: number;
  serverAddress: HdlcAddress;
  /** Client: the default SNRM proposal (nothing: no information field). Server: what it can do (default 128/1). */
  parameters?: Partial<HdlcParameters>;
  /** Add and strip the LLC header (default true). */
  llc?: boolean;
  /** Largest APDU accepted from reassembly (default 65535). */
  maxApduSize?: number;
}

interface Unacked {
  ns: number;
  bytes: Uint8Array;
}

interface Segment {
  info: Uint8Array;
  more: boolean;
}

export class HdlcLink {
  readonly role: HdlcRole;
  private _state: HdlcLinkState = 'disconnected';
  private _params: HdlcParameters = { ...HDLC_DEFAULT_PARAMETERS };
  private proposal: HdlcParameters = { ...HDLC_DEFAULT_PARAMETERS };
  private readonly serverAddress: HdlcAddress;
  private clientAddress: number | undefined;
  private readonly llc: boolean;
  private readonly maxReassembly: number;
  private readonly assembler = new HdlcFrameAssembler();
  private readonly events: HdlcLinkEvent[] = [];
  private vs = 0; // V(S): N(S) of the next I-frame we send
  private vr = 0; // V(R): N(S) we expect next
  private txQueue: Segment[] = [];
  private txNext = 0;
  private unacked: Unacked[] = [];
  private awaiting: Uint8Array[] = [];
  private peerBusy = false;
  private rx: Uint8Array | undefined;
  private rxLength = 0;

  constructor(private readonly options: HdlcLinkOptions) {
    this.role = options.role;
    this.serverAddress = options.serverAddress;
    this.clientAddress = options.clientAddress;
    if (this.role === 'client' && this.clientAddress === undefined) {
      throw new DlmsError('DLMS_ERR_VALUE', 'an HDLC client needs its client address');
    }
    this.llc = options.llc ?? true;
    this.maxReassembly = (options.maxApduSize ?? 0xffff) + (this.llc ? LLC_HEADER_SIZE : 0);
  }

  get state(): HdlcLinkState {
    return this._state;
  }

  /** The parameters in force (negotiated on connect; defaults before). */
  get parameters(): Readonly<HdlcParameters> {
    return this._params;
  }

  nextEvent(): HdlcLinkEvent | undefined {
    return this.events.shift();
  }

  /** Client: open the link. `params` are proposed in the SNRM (absent ones are left to the default). */
  connect(params: Partial<HdlcParameters> | undefined = this.options.parameters): Uint8Array[] {
    this.requireRole('client', 'connect');
    this.proposal = { ...HDLC_DEFAULT_PARAMETERS, ...params };
    this._state = 'connecting';
    const info = params ? encodeHdlcParameters(params) : undefined;
    return this.expect([this.frame({ type: 'SNRM', info })]);
  }

  /** Client: close the link with DISC. */
  disconnect(): Uint8Array[] {
    this.requireRole('client', 'disconnect');
    if (this._state === 'disconnected') return [];
    this._state = 'disconnecting';
    return this.expect([this.frame({ type: 'DISC' })]);
  }

  /** Send one APDU (without LLC header unless `llc: false`): the I-frames of the first window. */
  sendApdu(apdu: Uint8Array): Uint8Array[] {
    if (this._state !== 'connected') throw new DlmsError('DLMS_ERR_STATE', `cannot send an APDU while ${this._state}`);
    if (this.txNext < this.txQueue.length || this.unacked.length > 0) {
      throw new DlmsError('DLMS_ERR_STATE', 'the previous APDU is not yet acknowledged');
    }
    const data = this.llc ? addLlc(apdu, this.role === 'client' ? 'command' : 'response') : apdu;
    const size = Math.min(this._params.maxInfoTx, HDLC_MAX_FRAME_LENGTH - this.frameOverhead());
    const segments: Segment[] = [];
    for (let off = 0; off < data.length || off === 0; off += size) {
      segments.push({ info: data.subarray(off, off + size), more: off + size < data.length });
    }
    this.txQueue = segments;
    this.txNext = 0;
    return this.sendWindow();
  }

  /** Frames to transmit again after the caller's response timeout (empty when no answer is awaited). */
  resend(): Uint8Array[] {
    if (this.peerBusy && this._state === 'connected') return this.expect([this.frame({ type: 'RR', nr: this.vr })]);
    return this.awaiting;
  }

  /** Feed bytes from the transport; returns the frames to send in answer. */
  receive(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const item of this.assembler.push(chunk)) {
      if (item.kind === 'skipped') {
        this.events.push({ type: 'skipped', bytes: item.bytes });
        continue;
      }
      let frame: HdlcFrame;
      try {
        frame = decodeFrame(item.frame);
      } catch (e) {
        if (!(e instanceof DlmsError)) throw e;
        this.events.push({ type: 'error', error: e });
        continue;
      }
      out.push(...this.receiveFrame(frame));
    }
    return out;
  }

  /** Handle one decoded frame; returns the frames to send in answer. */
  receiveFrame(f: HdlcFrame): Uint8Array[] {
    if (!this.addressedToUs(f)) return this.ignore('address', f);
    if (f.pf) this.awaiting = []; // the peer's turn ended: whatever we sent was answered
    return this.role === 'client' ? this.clientFrame(f) : this.serverFrame(f);
  }

  private clientFrame(f: HdlcFrame): Uint8Array[] {
    switch (f.type) {
      case 'UA':
        if (this._state === 'connecting') {
          let peer: HdlcParameters;
          try {
            peer = decodeHdlcParameters(f.info);
          } catch (e) {
            return this.fail(e);
          }
          this.reset('connected');
          this._params = negotiateHdlcParameters(this.proposal, peer);
          this.events.push({ type: 'connected', params: { ...this._params } });
          return [];
        }
        if (this._state === 'disconnecting') return this.lost('local');
        return this.ignore('state', f);
      case 'DM':
        if (this._state === 'connecting') return this.lost('refused');
        if (this._state === 'disconnecting') return this.lost('local');
        if (this._state === 'connected') return this.lost('peer');
        return this.ignore('state', f);
      case 'FRMR':
        this.events.push({ type: 'frame-reject', info: f.info });
        return [];
      case 'UI':
        this.events.push({ type: 'ui', info: f.info });
        return [];
      case 'I':
      case 'RR':
      case 'RNR':
        return this._state === 'connected' ? this.numbered(f) : this.ignore('state', f);
      default:
        return this.ignore('unexpected', f);
    }
  }

  private serverFrame(f: HdlcFrame): Uint8Array[] {
    switch (f.type) {
      case 'SNRM': {
        let proposal: HdlcParameters;
        try {
          proposal = decodeHdlcParameters(f.info);
        } catch (e) {
          this.fail(e);
          return this.expect([this.frame({ type: 'DM' }, f.source.logical)]);
        }
        this.clientAddress = f.source.logical;
        this.reset('connected');
        this._params = negotiateHdlcParameters({ ...HDLC_DEFAULT_PARAMETERS, ...this.options.parameters }, proposal);
        this.events.push({ type: 'connected', params: { ...this._params } });
        return this.expect([this.frame({ type: 'UA', info: encodeHdlcParameters(this._params) })]);
      }
      case 'DISC':
        if (this._state !== 'connected') return this.expect([this.frame({ type: 'DM' }, f.source.logical)]);
        this.lost('peer');
        return this.expect([this.frame({ type: 'UA' }, f.source.logical)]);
      case 'UI':
        this.events.push({ type: 'ui', info: f.info });
        return [];
      case 'I':
      case 'RR':
      case 'RNR':
        if (this._state === 'connected') return this.numbered(f);
        this.ignore('state', f);
        return f.pf ? this.expect([this.frame({ type: 'DM' }, f.source.logical)]) : [];
      default:
        return this.ignore('unexpected', f);
    }
  }

  /** I, RR and RNR frames on a connected link. */
  private numbered(f: HdlcFrame): Uint8Array[] {
    if (!this.acknowledge(f.nr)) return this.ignore('sequence', f);
    if (f.type === 'RNR') {
      this.peerBusy = true;
      this.events.push({ type: 'peer-busy' });
      return [];
    }
    this.peerBusy = false;
    if (f.type === 'RR') {
      if (this.unacked.length > 0) return this.expect(this.unacked.map((u) => u.bytes)); // N(R) asks to repeat
      if (this.txNext < this.txQueue.length) return this.sendWindow();
      return this.role === 'server' && f.pf ? this.expect([this.frame({ type: 'RR', nr: this.vr })]) : [];
    }
    if (f.ns !== this.vr) {
      // A repeat of what we already have (our answer was lost): answer again, do not deliver twice.
      this.ignore('sequence', f);
      if (!f.pf) return [];
      if (this.unacked.length > 0) return this.expect(this.unacked.map((u) => u.bytes));
      return this.expect([this.frame({ type: 'RR', nr: this.vr })]);
    }
    this.vr = (this.vr + 1) & 7;
    if (f.segmented) {
      if (!this.appendSegment(f.info)) return [];
      return f.pf ? this.expect([this.frame({ type: 'RR', nr: this.vr })]) : [];
    }
    let whole = f.info;
    if (this.rxLength > 0) {
      if (!this.appendSegment(f.info)) return [];
      whole = this.rx!.subarray(0, this.rxLength);
      this.rx = undefined; // handed over with the event
      this.rxLength = 0;
    }
    try {
      this.events.push({ type: 'apdu', apdu: this.llc ? stripLlc(whole, this.role === 'client' ? 'response' : 'command') : whole });
    } catch (e) {
      this.fail(e);
    }
    return [];
  }

  /** Process N(R): drop the frames it acknowledges. False when N(R) acknowledges frames never sent. */
  private acknowledge(nr: number): boolean {
    if (this.unacked.length === 0) return nr === this.vs;
    const count = (nr - this.unacked[0]!.ns) & 7;
    if (count > this.unacked.length) return false;
    this.unacked.splice(0, count);
    return true;
  }

  private sendWindow(): Uint8Array[] {
    const frames: Uint8Array[] = [];
    while (this.unacked.length < this._params.windowTx && this.txNext < this.txQueue.length) {
      const seg = this.txQueue[this.txNext++]!;
      const last = this.unacked.length + 1 === this._params.windowTx || this.txNext === this.txQueue.length;
      const bytes = this.frame({ type: 'I', ns: this.vs, nr: this.vr, pf: last, segmented: seg.more, info: seg.info });
      this.unacked.push({ ns: this.vs, bytes });
      this.vs = (this.vs + 1) & 7;
      frames.push(bytes);
    }
    return this.expect(frames);
  }

  private appendSegment(info: Uint8Array): boolean {
    const need = this.rxLength + info.length;
    if (need > this.maxReassembly) {
      this.rx = undefined;
      this.rxLength = 0;
      this.fail(new DlmsError('DLMS_ERR_LENGTH', `reassembled APDU exceeds ${this.maxReassembly} bytes`));
      return false;
    }
    if (!this.rx || this.rx.length < need) {
      const grown = new Uint8Array(Math.min(this.maxReassembly, Math.max(need, (this.rx?.length ?? 0) * 2, 256)));
      if (this.rx) grown.set(this.rx.subarray(0, this.rxLength));
      this.rx = grown;
    }
    this.rx.set(info, this.rxLength);
    this.rxLength = need;
    return true;
  }

  private addressedToUs(f: HdlcFrame): boolean {
    if (this.role === 'client') {
      return f.destination.logical === this.clientAddress && f.destination.physical === undefined && sameAddress(f.source, this.serverAddress);
    }
    if (!sameAddress(f.destination, this.serverAddress)) return false;
    const locked = this._state !== 'disconnected' || this.options.clientAddress !== undefined;
    return !locked || (f.source.logical === this.clientAddress && f.source.physical === undefined);
  }

  private frameOverhead(): number {
    return 2 + 1 + hdlcAddressSize(this.serverAddress) + 1 + 2 + 2; // format, addresses, control, HCS, FCS
  }

  private frame(f: Omit<HdlcFrameInit, 'destination' | 'source'>, client = this.clientAddress!): Uint8Array {
    const clientAddr: HdlcAddress = { logical: client, size: 1 };
    return this.role === 'client'
      ? encodeFrame({ ...f, destination: this.serverAddress, source: clientAddr })
      : encodeFrame({ ...f, destination: clientAddr, source: this.serverAddress });
  }

  private expect(frames: Uint8Array[]): Uint8Array[] {
    if (frames.length > 0) this.awaiting = frames;
    return frames;
  }

  private reset(state: HdlcLinkState): void {
    this._state = state;
    this.vs = 0;
    this.vr = 0;
    this.txQueue = [];
    this.txNext = 0;
    this.unacked = [];
    this.peerBusy = false;
    this.rx = undefined;
    this.rxLength = 0;
  }

  private lost(reason: 'local' | 'refused' | 'peer'): Uint8Array[] {
    this.reset('disconnected');
    this._params = { ...HDLC_DEFAULT_PARAMETERS };
    this.awaiting = [];
    this.events.push({ type: 'disconnected', reason });
    return [];
  }

  private ignore(reason: 'address' | 'state' | 'sequence' | 'unexpected', frame: HdlcFrame): Uint8Array[] {
    this.events.push({ type: 'ignored', reason, frame });
    return [];
  }

  private fail(e: unknown): Uint8Array[] {
    if (!(e instanceof DlmsError)) throw e;
    this.events.push({ type: 'error', error: e });
    return [];
  }

  private requireRole(role: HdlcRole, what: string): void {
    if (this.role !== role) throw new DlmsError('DLMS_ERR_STATE', `${what} is for the ${role} role`);
  }
}
