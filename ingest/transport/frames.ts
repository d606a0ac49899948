/**
 * Whole frames out of a received byte stream (HDLC frames with their flags, wrapper WPDUs with their header),
 * for the exchange-log trace and for the bus. The codec's assemblers do the work; nothing is parsed twice
 * unless a trace or a sink wants the frames.
 */
import type { Framing } from '../../decoders/dlms/connection/index.js';
import { DlmsError } from '../../decoders/dlms/errors.js';
import { HdlcFrameAssembler } from '../../decoders/dlms/hdlc/assembler.js';
import { WrapperAssembler } from '../../decoders/dlms/wrapper/assembler.js';
import { encodeWpdu } from '../../decoders/dlms/wrapper/wpdu.js';

/** A frame as the bus carries it: wire bytes plus where they came from. */
export interface RawFrame {
  /** rx: from the meter; tx: to the meter (published in detail mode only). */
  direction: 'rx' | 'tx';
  /** mbus: M-Bus frames of a converter session (the DLMS framings otherwise). */
  framing: Framing | 'mbus';
  bytes: Uint8Array;
  receivedAt: number;
  /** session: inside a HES session; unsolicited: outside one (pushes, identification, last gasp). */
  kind: 'session' | 'unsolicited';
  deviceId?: string;
  projectId?: string;
  /** "tcp:ip:port", "udp:ip:port" of the meter. */
  remote: string;
  /** Listening port (CENC) or the channel the session ran on. */
  channel?: string;
}

/** Where connectors publish raw frames; bound to the bus's raw-frame topic by the process wiring it. */
export interface RawFrameSink {
  publish(frame: RawFrame): void;
}

/** A sink keeping frames in memory (tests, `hes read --trace`). */
export class MemoryRawFrameSink implements RawFrameSink {
  readonly frames: RawFrame[] = [];
  publish(frame: RawFrame): void {
    this.frames.push(frame);
  }
}

const FLAG = Uint8Array.of(0x7e);

export class FrameSplitter {
  private readonly hdlc: HdlcFrameAssembler | undefined;
  private readonly wrapper: WrapperAssembler | undefined;

  constructor(readonly framing: Framing) {
    if (framing === 'hdlc') this.hdlc = new HdlcFrameAssembler();
    if (framing === 'wrapper') this.wrapper = new WrapperAssembler();
  }

  /** Complete frames in this chunk (copies: callers keep them). Undecodable bytes come back as one piece. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.hdlc) {
      return this.hdlc.push(chunk).map((i) => (i.kind === 'frame' ? Buffer.concat([FLAG, i.frame, FLAG]) : Uint8Array.from(i.bytes)));
    }
    if (this.wrapper) {
      try {
        return this.wrapper.push(chunk).map((w) => encodeWpdu(w.sourceWPort, w.destinationWPort, w.apdu));
      } catch (e) {
        if (!(e instanceof DlmsError)) throw e;
        this.wrapper.reset();
        return [Uint8Array.from(chunk)];
      }
    }
    return [Uint8Array.from(chunk)];
  }
}
